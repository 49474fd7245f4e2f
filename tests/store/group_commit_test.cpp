// Group commit: with a commit scheduler, writes join one batch transaction and nothing of it
// (events, answers) is told before Commit(). On both engines but where a raw SQLite connection
// looks in or breaks the log.
#include <SQLiteCpp/Database.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

// A batching store on each engine (engine_fixture.h), or SQLite at `path`; `told` has the
// events and the AfterCommit answers in the order they came.
struct Batched : test::EngineStore {
  explicit Batched(const char* name, bool durable = false)
      : EngineStore(test::EachEngine(), name, durable) {
    Batch();
  }
  explicit Batched(const std::string& path) : EngineStore("sqlite", "") {
    url = path;
    Reopen();
    Batch();
  }
  void Batch() {
    store->SetCommitListener([this](const Event& ev) {
      told.push_back("event " + std::to_string(ev.seq) + " " + ev.record.value("name", ""));
    });
    store->SetCommitScheduler([this] { ++scheduled; });
  }
  Status CreateBoard(const Json& data) {
    Json out;
    return store->Create("boards", data, &out);
  }
  void Then(const std::string& label) {
    store->AfterCommit([this, label](const Status& s) { told.push_back(label + " " + s.name()); });
  }

  std::vector<std::string> told;
  int scheduled = 0;
};

TEST_CASE("batched writes are told after Commit, in the order they happened", "[store]") {
  Batched b("batch_order");
  REQUIRE(b.CreateBoard({{"name", "a"}}).ok());
  b.Then("answer-a");
  REQUIRE(b.CreateBoard({{"name", "b"}}).ok());
  b.Then("answer-b");
  CHECK(b.scheduled == 1);  // one batch, scheduled by its first write
  CHECK(b.store->batch_open());
  CHECK(b.told.empty());
  REQUIRE(b.store->Commit().ok());
  CHECK(b.told == std::vector<std::string>{"event 1 a", "answer-a OK", "event 2 b", "answer-b OK"});
  CHECK_FALSE(b.store->batch_open());
  REQUIRE(b.CreateBoard({{"name", "c"}}).ok());
  CHECK(b.scheduled == 2);  // the next write opens (and schedules) the next batch
}

TEST_CASE("a refused write in a batch undoes only itself", "[store]") {
  Batched b("batch_refused");
  REQUIRE(
      b.CreateBoard({{"name", "a"}, {"board_id", "11111111-2222-4333-8444-555555555555"}}).ok());
  CHECK(b.CreateBoard({{"name", "x"}, {"junk", 1}}).code() == Code::kBadRequest);
  Status dup = b.CreateBoard({{"name", "y"}, {"board_id", "11111111-2222-4333-8444-555555555555"}});
  CHECK(dup.code() == Code::kConflict);
  REQUIRE(b.CreateBoard({{"name", "c"}}).ok());
  REQUIRE(b.store->Commit().ok());
  CHECK(b.told == std::vector<std::string>{"event 1 a", "event 2 c"});  // seq stays gapless
  Json page;
  REQUIRE(b.store->Find("boards", Json::object(), &page).ok());
  CHECK(page["total"] == 2);
}

// SQLite only: the other connection is a raw SQLite one.
TEST_CASE("another connection sees nothing of a batch before its Commit", "[store]") {
  auto dir = std::filesystem::temp_directory_path() / ("agor-batch-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    Batched b((dir / "agor.db").string());
    SQLite::Database reader((dir / "agor.db").string(), SQLite::OPEN_READONLY);
    REQUIRE(b.CreateBoard({{"name", "a"}}).ok());
    CHECK(reader.execAndGet("SELECT count(*) FROM boards").getInt() == 0);
    REQUIRE(b.store->Commit().ok());
    CHECK(reader.execAndGet("SELECT count(*) FROM boards").getInt() == 1);
  }
  std::filesystem::remove_all(dir);
}

// SQLite only: the failing append is a SQLite trigger, made through a raw connection.
TEST_CASE("a create whose event cannot be logged takes its whole batch down", "[store]") {
  auto dir = std::filesystem::temp_directory_path() / ("agor-batch3-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "agor.db").string();
  {
    Batched b(path);
    {  // another connection makes the log refuse repos' events (an append failing mid-batch)
      SQLite::Database admin(path, SQLite::OPEN_READWRITE);
      admin.exec(
          "CREATE TRIGGER no_repo_events BEFORE INSERT ON events WHEN NEW.service = "
          "'repos' BEGIN SELECT RAISE(ABORT, 'log refused'); END");
    }
    REQUIRE(b.CreateBoard({{"name", "a"}}).ok());
    b.Then("answer-a");
    Json out;
    CHECK_FALSE(b.store->Create("repos", {{"slug", "r"}}, &out).ok());
    CHECK_FALSE(b.store->batch_open());  // rolled back: neither the board nor the repo stays
    CHECK(b.told.size() == 1);
    CHECK(b.told[0].rfind("answer-a ", 0) == 0);
    CHECK(b.told[0] != "answer-a OK");
    Json page;
    REQUIRE(b.store->Find("boards", Json::object(), &page).ok());
    CHECK(page["total"] == 0);
    REQUIRE(b.store->Find("repos", Json::object(), &page).ok());
    CHECK(page["total"] == 0);
    REQUIRE(b.CreateBoard({{"name", "b"}}).ok());  // the store goes on
    REQUIRE(b.store->Commit().ok());
    CHECK(b.told.back() == "event 1 b");
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("AfterCommit runs at once when no batch is open", "[store]") {
  Batched b("batch_after_commit");
  b.Then("now");
  CHECK(b.told == std::vector<std::string>{"now OK"});
  CHECK(b.scheduled == 0);
}

TEST_CASE("a store closed with a batch open keeps its writes", "[store]") {
  Batched b("batch_closed", /*durable=*/true);
  REQUIRE(b.CreateBoard({{"name", "a"}}).ok());
  b.Reopen();
  CHECK(b.Total("boards") == 1);
}

}  // namespace
}  // namespace agor
