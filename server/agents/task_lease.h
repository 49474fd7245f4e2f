// TaskLease: a node's lease on the agents it runs, when several nodes share one store (issue
// 14, docs/scale-out.md "Task leases"). The node's row in `nodes` holds its heartbeat, stamped
// at Start and then every lease/3 (Tick). A node whose heartbeat is older than the lease has
// stopped responding: at its Start and each Tick every other node looks for such nodes and
// claims them (Store::ClaimNode: exactly one claimer wins), and the winner ends the dead
// node's tasks (TaskManager::ReclaimFrom: stopped, sessions idle, queued prompts started
// here). A node that restarts gets a new id, so its former self is claimed like any dead
// node; one that stops cleanly expires its lease at once (Release).
//
// Clocks: heartbeats are stamped with each node's clock, so the nodes' clocks must agree to
// well within the lease. A node stalled past its lease (or cut off from the store) is claimed
// although it lives: its next beat finds its row gone, says so in the log and takes a new row,
// and the claimer's `tasks patched` events end those tasks' agents here
// (TaskManager::OnDelivered).
//
// Threading: the event loop's, as the store's.
#pragma once

#include <cstdint>
#include <string>

#include "base/clock.h"
#include "server/agents/task_manager.h"
#include "store/store.h"

namespace agor {

class TaskLease {
 public:
  // Everything is borrowed. `lease_ms`: how long after its last heartbeat a node is dead.
  // `reclaimed` counts the tasks this node ended for dead nodes (the node's metrics).
  TaskLease(Store* store, TaskManager* tasks, Clock* clock, std::string node_id, int64_t lease_ms,
            int64_t* reclaimed);

  // The first heartbeat (the node's row), then the claim of nodes already dead (this node's
  // former self among them, after a crash): fails when the heartbeat does.
  Status Start();
  // On a clean stop, once the loop is over: the lease is expired now (heartbeat 0), so the
  // next tick of another node claims this one and ends the tasks it leaves, without waiting
  // for the lease.
  void Release();
  // A heartbeat, then the claim of every node whose lease has expired. Failures are logged:
  // the next tick tries again.
  void Tick();
  int interval_ms() const { return static_cast<int>(lease_ms_ / 3); }
  const std::string& node_id() const { return node_id_; }

 private:
  void ClaimExpired();
  void Claim(const std::string& dead_id, int64_t before_ms);

  Store* store_;
  TaskManager* tasks_;
  Clock* clock_;
  std::string node_id_;
  int64_t lease_ms_;
  int64_t* reclaimed_;
};

}  // namespace agor
