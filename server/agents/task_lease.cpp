#include "server/agents/task_lease.h"

#include "base/log.h"

namespace agor {

TaskLease::TaskLease(Store* store, TaskManager* tasks, Clock* clock, std::string node_id,
                     int64_t lease_ms, int64_t* reclaimed)
    : store_(store),
      tasks_(tasks),
      clock_(clock),
      node_id_(std::move(node_id)),
      lease_ms_(lease_ms),
      reclaimed_(reclaimed) {}

Status TaskLease::Start() {
  Status s = store_->Heartbeat(node_id_, clock_->NowMillis());
  if (!s.ok()) return Status(s.code(), "registering this node's lease: " + s.message());
  Log(LogLevel::kInfo, "node " + node_id_ + ": lease of " + std::to_string(lease_ms_) + " ms");
  ClaimExpired();
  return s;
}

void TaskLease::Release() {
  Status s = store_->Heartbeat(node_id_, 0);
  if (!s.ok()) Log(LogLevel::kWarn, "cannot release this node's lease: " + s.message());
}

void TaskLease::Tick() {
  bool had_row = true;
  Status s = store_->Heartbeat(node_id_, clock_->NowMillis(), &had_row);
  if (!s.ok()) {
    Log(LogLevel::kWarn, "node heartbeat failed: " + s.message());
    return;
  }
  if (!had_row) {
    Log(LogLevel::kError, "node " + node_id_ +
                              ": its lease had expired and another node claimed it (its "
                              "running tasks were marked stopped); it took a new lease");
  }
  ClaimExpired();
}

void TaskLease::ClaimExpired() {
  const int64_t before = clock_->NowMillis() - lease_ms_;
  std::vector<std::string> dead;
  Status s = store_->ExpiredNodes(before, &dead);
  if (!s.ok()) Log(LogLevel::kWarn, "listing expired nodes failed: " + s.message());
  for (const std::string& id : dead) {
    if (id != node_id_) Claim(id, before);
  }
}

// The open batch is committed first: a claim waiting on another claimer's row lock must not
// hold the event log's lock (the other claimer's appends would wait on it: a deadlock).
void TaskLease::Claim(const std::string& dead_id, int64_t before_ms) {
  bool won = false;
  std::vector<AgentProcess> taken;
  Status s = store_->Commit();
  if (s.ok()) s = store_->ClaimNode(dead_id, before_ms, node_id_, &won, &taken);
  if (!s.ok()) {
    Log(LogLevel::kWarn, "claiming node " + dead_id + " failed: " + s.message());
    return;
  }
  if (!won) return;  // another node did
  int ended = tasks_->ReclaimFrom(taken);
  *reclaimed_ += ended;
  Log(LogLevel::kWarn, "node " + dead_id + " stopped responding: " + std::to_string(ended) +
                           " of its tasks marked stopped");
}

}  // namespace agor
