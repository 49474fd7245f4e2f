// Store's record of running agents' process groups and of the nodes that run them (their
// leases; see store.h): plain statements on the agent_processes and nodes tables, outside the
// services, their validation and the event log, on the store's SqlSession (either engine).
#include "store/store.h"

namespace agor {
namespace {

constexpr int64_t kMaxExpiredListed = 100;  // a tick claims these; the next one the rest

// A row of (task_id, pgid, start_time, node_id), in that order.
AgentProcess ToAgentProcess(SqlRow& r) {
  return {r[0].TakeText(), r[1].integer(), r[2].integer(), r[3].TakeText()};
}

}  // namespace

Status Store::RecordAgentProcess(const AgentProcess& process) {
  // ON CONFLICT rather than INSERT OR REPLACE: the form PostgreSQL speaks too.
  SqlValue node = process.node_id.empty() ? SqlValue() : SqlValue(process.node_id);
  return session_->Exec(
      "INSERT INTO agent_processes (task_id, pgid, start_time, node_id) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (task_id) DO UPDATE SET pgid = excluded.pgid, "
      "start_time = excluded.start_time, node_id = excluded.node_id",
      {process.task_id, process.pgid, process.start_time, std::move(node)});
}

Status Store::ForgetAgentProcess(const std::string& task_id) {
  return session_->Exec("DELETE FROM agent_processes WHERE task_id = ?", {task_id});
}

Status Store::ListAgentProcesses(std::vector<AgentProcess>* out) {
  out->clear();
  SqlResult r;
  Status s = session_->Query(
      "SELECT task_id, pgid, start_time, node_id FROM agent_processes ORDER BY task_id", {}, &r);
  for (SqlRow& row : r.rows) out->push_back(ToAgentProcess(row));
  return s;
}

// An UPDATE first: a missing row (the first beat, or a claimed node) is then inserted.
Status Store::Heartbeat(const std::string& node_id, int64_t now_ms, bool* had_row) {
  SqlResult r;
  Status s =
      session_->Exec("UPDATE nodes SET heartbeat_ms = ? WHERE node_id = ?", {now_ms, node_id}, &r);
  if (had_row) *had_row = s.ok() && r.affected == 1;
  if (!s.ok() || r.affected == 1) return s;
  return session_->Exec(
      "INSERT INTO nodes (node_id, heartbeat_ms) VALUES (?, ?) "
      "ON CONFLICT (node_id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms",
      {node_id, now_ms});
}

Status Store::ExpiredNodes(int64_t before_ms, std::vector<std::string>* node_ids) {
  node_ids->clear();
  SqlResult r;
  Status s = session_->Query(
      "SELECT node_id FROM nodes WHERE heartbeat_ms < ? ORDER BY heartbeat_ms LIMIT ?",
      {before_ms, kMaxExpiredListed}, &r);
  for (SqlRow& row : r.rows) node_ids->push_back(row[0].TakeText());
  return s;
}

// The row's deletion is the claim: a second claimer's DELETE waits for the first's
// transaction (the row's lock), then finds nothing to delete.
Status Store::ClaimNode(const std::string& dead_id, int64_t before_ms,
                        const std::string& claimer_id, bool* won,
                        std::vector<AgentProcess>* taken) {
  taken->clear();
  bool deleted = false;
  Status done = InSavepoint([&] {
    SqlResult r;
    Status s = session_->Exec("DELETE FROM nodes WHERE node_id = ? AND heartbeat_ms < ?",
                              {dead_id, before_ms}, &r);
    deleted = s.ok() && r.affected == 1;
    if (!deleted) return s;
    s = session_->Query(
        "SELECT task_id, pgid, start_time, node_id FROM agent_processes WHERE node_id = ? "
        "ORDER BY task_id",
        {dead_id}, &r);
    for (SqlRow& row : r.rows) taken->push_back(ToAgentProcess(row));
    if (!s.ok()) return s;
    return session_->Exec("UPDATE agent_processes SET node_id = ? WHERE node_id = ?",
                          {claimer_id, dead_id});
  });
  *won = done.ok() && deleted;
  if (!*won) taken->clear();
  for (AgentProcess& p : *taken) p.node_id = claimer_id;
  return done;
}

}  // namespace agor
