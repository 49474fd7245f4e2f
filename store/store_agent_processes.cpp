// Store's record of running agents' process groups (see store.h): three plain statements on
// the agent_processes table, outside the services, their validation and the event log. A
// prepared statement each time: they run once per task start and end, not per request.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "store/database.h"
#include "store/store.h"

namespace agor {

Status Store::RecordAgentProcess(const AgentProcess& process) {
  try {
    // ON CONFLICT rather than INSERT OR REPLACE: the form PostgreSQL speaks too.
    SQLite::Statement insert(*db_,
                             "INSERT INTO agent_processes (task_id, pgid, start_time) "
                             "VALUES (?, ?, ?) ON CONFLICT (task_id) DO UPDATE SET "
                             "pgid = excluded.pgid, start_time = excluded.start_time");
    insert.bind(1, process.task_id);
    insert.bind(2, process.pgid);
    insert.bind(3, process.start_time);
    insert.exec();
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

Status Store::ForgetAgentProcess(const std::string& task_id) {
  try {
    SQLite::Statement remove(*db_, "DELETE FROM agent_processes WHERE task_id = ?");
    remove.bind(1, task_id);
    remove.exec();
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

Status Store::ListAgentProcesses(std::vector<AgentProcess>* out) {
  out->clear();
  try {
    SQLite::Statement select(*db_,
                             "SELECT task_id, pgid, start_time FROM agent_processes ORDER BY "
                             "task_id");
    while (select.executeStep()) {
      out->push_back({select.getColumn(0).getString(), select.getColumn(1).getInt64(),
                      select.getColumn(2).getInt64()});
    }
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

}  // namespace agor
