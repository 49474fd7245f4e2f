// Tests of server/agents/task_lease: two nodes' leases on one store (SQLite in memory, the
// claim itself runs on both engines in tests/store/store_engines_test.cpp), each with its own
// clock: a node within its lease is left alone, a silent one is claimed once and its running
// task ends stopped, a node claimed while it lived takes a new row at its next beat, and a
// node stopped cleanly is claimed at once.
#include "server/agents/task_lease.h"

#include <catch2/catch.hpp>

#include "server/agents/agent_paths.h"

namespace agor {
namespace {

// One node: its task manager and lease, on a clock of its own (the node is its clock).
struct Node : Clock {
  Node(Store* store, const std::string& id)
      : supervisor([](std::function<void()>) {}),
        paths(RealFileSystem(), "/"),
        tasks(
            store, [](const Event&) {}, &supervisor, &paths, this,
            [](int, std::function<void()>) {}),
        lease(store, &tasks, this, id, 3000, &reclaimed) {
    tasks.SetNode(id);
  }
  int64_t NowMillis() override { return now; }
  int64_t now = 1000000;
  ProcessSupervisor supervisor;
  AgentPaths paths;
  TaskManager tasks;
  int64_t reclaimed = 0;
  TaskLease lease;
};

// A task running on node `node_id` (its process row says so), as another daemon left it.
std::string RunningTask(Store* store, const std::string& node_id) {
  Json board, session, task;
  REQUIRE(store->Create("boards", {{"name", "b"}}, &board).ok());
  REQUIRE(
      store->Create("sessions", {{"board_id", board["board_id"]}, {"status", "running"}}, &session)
          .ok());
  REQUIRE(
      store->Create("tasks", {{"session_id", session["session_id"]}, {"status", "running"}}, &task)
          .ok());
  REQUIRE(store->RecordAgentProcess({task["task_id"], 123, 4, node_id}).ok());
  return task["task_id"];
}

TEST_CASE("task lease: a silent node is claimed once, a beating one never") {
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({":memory:"}, SystemClock(), &store).ok());
  Node a(store.get(), "a"), b(store.get(), "b"), c(store.get(), "c");
  CHECK(a.lease.interval_ms() == 1000);
  REQUIRE(a.lease.Start().ok());
  REQUIRE(b.lease.Start().ok());
  REQUIRE(c.lease.Start().ok());
  std::string task = RunningTask(store.get(), "a");

  for (Node* n : {&a, &b, &c}) n->now += 2500;  // within the lease: nobody is claimed
  for (Node* n : {&b, &c}) n->lease.Tick();
  Json record;
  REQUIRE(store->Get("tasks", task, &record).ok());
  CHECK(record["status"] == "running");

  for (Node* n : {&b, &c}) n->now += 1000;  // a is silent past its lease
  b.lease.Tick();
  c.lease.Tick();  // too late: b claimed it
  REQUIRE(store->Get("tasks", task, &record).ok());
  CHECK(record["status"] == "stopped");
  CHECK(record["error"] == "the node running it stopped responding");
  CHECK(b.reclaimed == 1);
  CHECK(c.reclaimed == 0);
  std::vector<AgentProcess> rows;
  REQUIRE(store->ListAgentProcesses(&rows).ok());
  CHECK(rows.empty());  // forgotten, never signalled (pid 123 is nobody's here)

  a.now = b.now;  // a wakes up: its row is gone, it takes a new one
  a.lease.Tick();
  std::vector<std::string> expired;
  REQUIRE(store->ExpiredNodes(b.now - 3000, &expired).ok());
  CHECK(expired.empty());

  std::string left = RunningTask(store.get(), "c");
  c.lease.Release();  // a clean stop: claimed at the next tick, with no wait for the lease
  b.lease.Tick();
  REQUIRE(store->Get("tasks", left, &record).ok());
  CHECK(record["status"] == "stopped");
  CHECK(b.reclaimed == 2);
}

}  // namespace
}  // namespace agor
