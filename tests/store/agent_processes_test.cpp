// Tests of the store's record of running agents' process groups (migration 4 and
// Store::RecordAgentProcess / ForgetAgentProcess / ListAgentProcesses): durable across a
// reopen, in a batch committed with it, outside the services and the event log; on both engines
// but for SQLite's migration 4.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "store/database.h"
#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

class FixedClock : public Clock {
 public:
  int64_t NowMillis() override { return 1764150000000; }
};

struct TempDb {
  TempDb() {
    char tmpl[] = "/tmp/agor-procs-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    dir = tmpl;
    path = dir + "/agor.db";
  }
  ~TempDb() { std::filesystem::remove_all(dir); }
  std::string dir, path;
};

std::vector<AgentProcess> List(Store* store) {
  std::vector<AgentProcess> out;
  REQUIRE(store->ListAgentProcesses(&out).ok());
  return out;
}

TEST_CASE("agent processes: recorded, listed after a reopen, forgotten", "[store]") {
  test::EngineStore f(test::EachEngine(), "agent_processes", /*durable=*/true);
  CHECK(List(f.store.get()).empty());
  REQUIRE(f.store->RecordAgentProcess({"task-b", 4321, 99887766}).ok());
  REQUIRE(f.store->RecordAgentProcess({"task-a", 1234, 5}).ok());
  REQUIRE(f.store->RecordAgentProcess({"task-a", 1235, 6}).ok());  // a task's newest agent
  CHECK(f.store->event_log()->LastSeq() == 0);                     // not a service: no event
  f.Reopen();
  auto left = List(f.store.get());
  REQUIRE(left.size() == 2);
  CHECK((left[0].task_id == "task-a" && left[0].pgid == 1235 && left[0].start_time == 6));
  CHECK((left[1].task_id == "task-b" && left[1].pgid == 4321 && left[1].start_time == 99887766));
  REQUIRE(f.store->ForgetAgentProcess("task-a").ok());
  REQUIRE(f.store->ForgetAgentProcess("never-recorded").ok());
  CHECK(List(f.store.get()).size() == 1);
}

TEST_CASE("agent processes: in an open batch they commit with it", "[store]") {
  test::EngineStore f(test::EachEngine(), "agent_processes_batch", /*durable=*/true);
  int scheduled = 0;
  f.store->SetCommitScheduler([&] { ++scheduled; });
  f.Board();
  REQUIRE(f.store->batch_open());
  REQUIRE(f.store->RecordAgentProcess({"task", 77, 8}).ok());
  REQUIRE(f.store->Commit().ok());
  f.Reopen();
  CHECK(List(f.store.get()).size() == 1);
}

// SQLite only: PostgreSQL's migrations start at today's schema (docs/scale-out.md).
TEST_CASE("migration 4 adds the table to an older database", "[store]") {
  TempDb db;
  {
    std::unique_ptr<SQLite::Database> old;
    REQUIRE(OpenDatabase(db.path, &old, 3).ok());
    CHECK_FALSE(old->tableExists("agent_processes"));
  }
  FixedClock clock;
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({db.path, {}}, &clock, &store).ok());
  CHECK(List(store.get()).empty());
  REQUIRE(store->RecordAgentProcess({"t", 1, 2}).ok());
}

}  // namespace
}  // namespace agor
