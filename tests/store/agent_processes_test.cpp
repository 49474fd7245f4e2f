// Tests of the store's record of running agents' process groups (migration 4 and
// Store::RecordAgentProcess / ForgetAgentProcess / ListAgentProcesses): durable across a
// reopen, in a batch committed with it, outside the services and the event log.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "store/database.h"
#include "store/store.h"

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
  TempDb db;
  FixedClock clock;
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({db.path, {}}, &clock, &store).ok());
  CHECK(List(store.get()).empty());
  REQUIRE(store->RecordAgentProcess({"task-b", 4321, 99887766}).ok());
  REQUIRE(store->RecordAgentProcess({"task-a", 1234, 5}).ok());
  REQUIRE(store->RecordAgentProcess({"task-a", 1235, 6}).ok());  // a task's newest agent
  CHECK(store->event_log()->LastSeq() == 0);                     // not a service: no event
  store.reset();
  REQUIRE(Store::Open({db.path, {}}, &clock, &store).ok());
  auto left = List(store.get());
  REQUIRE(left.size() == 2);
  CHECK((left[0].task_id == "task-a" && left[0].pgid == 1235 && left[0].start_time == 6));
  CHECK((left[1].task_id == "task-b" && left[1].pgid == 4321 && left[1].start_time == 99887766));
  REQUIRE(store->ForgetAgentProcess("task-a").ok());
  REQUIRE(store->ForgetAgentProcess("never-recorded").ok());
  CHECK(List(store.get()).size() == 1);
}

TEST_CASE("agent processes: in an open batch they commit with it", "[store]") {
  TempDb db;
  FixedClock clock;
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({db.path, {}}, &clock, &store).ok());
  int scheduled = 0;
  store->SetCommitScheduler([&] { ++scheduled; });
  Json board;
  REQUIRE(store->Create("boards", {{"name", "b"}}, &board).ok());
  REQUIRE(store->batch_open());
  REQUIRE(store->RecordAgentProcess({"task", 77, 8}).ok());
  REQUIRE(store->Commit().ok());
  store.reset();
  REQUIRE(Store::Open({db.path, {}}, &clock, &store).ok());
  CHECK(List(store.get()).size() == 1);
}

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
