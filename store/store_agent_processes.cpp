// Store's record of running agents' process groups (see store.h): three plain statements on
// the agent_processes table, outside the services, their validation and the event log, on the
// store's SqlSession (either engine).
#include "store/store.h"

namespace agor {

Status Store::RecordAgentProcess(const AgentProcess& process) {
  // ON CONFLICT rather than INSERT OR REPLACE: the form PostgreSQL speaks too.
  return session_->Exec(
      "INSERT INTO agent_processes (task_id, pgid, start_time) VALUES (?, ?, ?) "
      "ON CONFLICT (task_id) DO UPDATE SET pgid = excluded.pgid, start_time = excluded.start_time",
      {process.task_id, process.pgid, process.start_time});
}

Status Store::ForgetAgentProcess(const std::string& task_id) {
  return session_->Exec("DELETE FROM agent_processes WHERE task_id = ?", {task_id});
}

Status Store::ListAgentProcesses(std::vector<AgentProcess>* out) {
  out->clear();
  SqlResult r;
  Status s = session_->Query(
      "SELECT task_id, pgid, start_time FROM agent_processes ORDER BY task_id", {}, &r);
  for (const SqlRow& row : r.rows)
    out->push_back({row[0].text(), row[1].integer(), row[2].integer()});
  return s;
}

}  // namespace agor
