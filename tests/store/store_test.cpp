// The Store's services through its public API, on both engines (engine_fixture.h): ids, times,
// events after commit, refused writes, prefixes, update and patch, finds, a reopen; and
// SQLite's migration 3.
#include "store/store.h"

#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/ids.h"
#include "store/database.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

using test::FakeClock;

// Each case runs on both engines (engine_fixture.h); one database per case, as the cases count
// seqs from 1.
struct Fixture : test::EngineStore {
  Fixture() : EngineStore(test::EachEngine(), "store") {}
};

TEST_CASE_METHOD(Fixture, "create stamps ids and times and emits one event after commit",
                 "[store]") {
  Json board = Board("first");
  CHECK(IsUuid(board["board_id"].get<std::string>()));
  CHECK(board["created_at"] == "2025-11-26T09:40:00.000Z");
  CHECK(board["visibility"] == "team");
  REQUIRE(events.size() == 1);
  CHECK(events[0].seq == 1);
  CHECK(events[0].service == "boards");
  CHECK(events[0].event == "created");
  CHECK(events[0].board_id == board["board_id"]);
  CHECK(events[0].record == board);
}

TEST_CASE_METHOD(Fixture, "a refused write leaves no event and no row", "[store]") {
  Json out;
  Board("a");
  Status s = store->Create("boards", {{"name", "x"}, {"junk", 1}}, &out);
  CHECK(s.code() == Code::kBadRequest);
  s = store->Create("sessions", {{"board_id", NewUuid()}}, &out);
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message().find("board_id") != std::string::npos);
  CHECK(events.size() == 1);
  CHECK(store->event_log()->LastSeq() == 1);
  Json page;
  REQUIRE(store->Find("sessions", Json::object(), &page).ok());
  CHECK(page["total"] == 0);
}

TEST_CASE_METHOD(Fixture, "a write rolled back by a constraint leaves no event", "[store]") {
  Create("boards", {{"name", "a"}, {"slug", "same"}});
  Json out;
  Status s = store->Create("boards", {{"name", "b"}, {"slug", "same"}}, &out);
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "slug \"same\" is already taken");
  CHECK(events.size() == 1);
  std::vector<Event> log;
  REQUIRE(store->event_log()->ReadSince(0, 100, &log).ok());
  CHECK(log.size() == 1);
}

TEST_CASE_METHOD(Fixture, "every committed write has exactly one event, in seq order", "[store]") {
  Json board = Board();
  Json session = Session(board);
  Json msg = Create("messages", {{"session_id", session["session_id"]}, {"role", "user"}});
  Json out;
  REQUIRE(store->Patch("boards", board["board_id"], {{"name", "renamed"}}, &out).ok());
  REQUIRE(store
              ->Update("messages", msg["message_id"],
                       {{"session_id", session["session_id"]}, {"role", "assistant"}, {"index", 0}},
                       &out)
              .ok());
  REQUIRE(store->Remove("messages", msg["message_id"], &out).ok());
  std::vector<Event> log;
  REQUIRE(store->event_log()->ReadSince(0, 100, &log).ok());
  REQUIRE(log.size() == 6);
  for (size_t i = 0; i < log.size(); ++i) {
    CHECK(log[i].seq == static_cast<int64_t>(i + 1));
    CHECK(log[i].seq == events[i].seq);
  }
  CHECK(log[3].event == "patched");
  CHECK(log[4].event == "updated");
  CHECK(log[5].event == "removed");
  CHECK(log[5].board_id == board["board_id"]);  // messages route through their session's board
  CHECK(log[5].session_id == session["session_id"]);
}

TEST_CASE_METHOD(Fixture, "messages get the next index of their session", "[store]") {
  Json s1 = Session(Board());
  Json s2 = Session(Board("other"));
  CHECK(Create("messages", {{"session_id", s1["session_id"]}, {"role", "user"}})["index"] == 0);
  CHECK(Create("messages", {{"session_id", s1["session_id"]}, {"role", "user"}})["index"] == 1);
  CHECK(Create("messages", {{"session_id", s2["session_id"]}, {"role", "user"}})["index"] == 0);
  Json out;
  Status s = store->Create(
      "messages", {{"session_id", s1["session_id"]}, {"role", "user"}, {"index", 1}}, &out);
  CHECK(s.code() == Code::kConflict);
}

TEST_CASE_METHOD(Fixture, "ids resolve by unique prefix, ambiguity is a conflict", "[store]") {
  Json a = Create("boards", {{"name", "a"}, {"board_id", "abcdef01-0000-4000-8000-000000000001"}});
  Create("boards", {{"name", "b"}, {"board_id", "abcdef01-0000-4000-8000-000000000002"}});
  Json out;
  CHECK(store->Get("boards", "abcdef01", &out).code() == Code::kConflict);
  REQUIRE(store->Get("boards", "abcdef01-0000-4000-8000-0000000000", &out).code() ==
          Code::kConflict);
  REQUIRE(store->Get("boards", "ABCDEF01-0000-4000-8000-000000000001", &out).ok());
  CHECK(out == a);
  REQUIRE(
      store->Patch("boards", "abcdef01-0000-4000-8000-00000000000", {{"name", "x"}}, &out).code() ==
      Code::kConflict);
  CHECK(store->Get("boards", "abcdef02", &out).code() == Code::kNotFound);
  CHECK(store->Get("boards", "abcd", &out).code() == Code::kNotFound);  // too short: exact only
}

TEST_CASE_METHOD(Fixture, "a client-chosen id must be a UUID and unique", "[store]") {
  Json out;
  CHECK(store->Create("boards", {{"name", "a"}, {"board_id", "nope"}}, &out).code() ==
        Code::kBadRequest);
  Create("boards", {{"name", "a"}, {"board_id", "abcdef01-0000-4000-8000-000000000001"}});
  CHECK(store
            ->Create("boards",
                     {{"name", "a"}, {"board_id", "abcdef01-0000-4000-8000-000000000001"}}, &out)
            .code() == Code::kConflict);
}

TEST_CASE_METHOD(Fixture, "update replaces, patch merges, ids cannot change", "[store]") {
  Json board = Create("boards", {{"name", "a"}, {"description", "d"}, {"slug", "s"}});
  std::string id = board["board_id"];
  clock.now += 5000;
  Json out;
  REQUIRE(store->Patch("boards", id, {{"name", "b"}}, &out).ok());
  CHECK(out["description"] == "d");
  CHECK(out["updated_at"] != board["updated_at"]);
  CHECK(out["created_at"] == board["created_at"]);
  REQUIRE(store->Update("boards", id, {{"name", "c"}}, &out).ok());
  CHECK(out["description"].is_null());
  CHECK(out["slug"].is_null());
  CHECK(out["created_at"] == board["created_at"]);
  CHECK(store->Patch("boards", id, {{"board_id", NewUuid()}}, &out).code() == Code::kBadRequest);
  CHECK(store->Update("boards", id, {{"description", "no name"}}, &out).code() ==
        Code::kBadRequest);
  CHECK(store->Patch("boards", id, {{"name", nullptr}}, &out).code() == Code::kBadRequest);
}

TEST_CASE_METHOD(Fixture, "removing a session removes its tasks and messages", "[store]") {
  Json session = Session(Board());
  Json task = Create("tasks", {{"session_id", session["session_id"]}, {"prompt", "p"}});
  Create("messages",
         {{"session_id", session["session_id"]}, {"task_id", task["task_id"]}, {"role", "user"}});
  Json out;
  REQUIRE(store->Remove("sessions", session["session_id"], &out).ok());
  Json page;
  REQUIRE(store->Find("messages", Json::object(), &page).ok());
  CHECK(page["total"] == 0);
  REQUIRE(store->Find("tasks", Json::object(), &page).ok());
  CHECK(page["total"] == 0);
}

TEST_CASE_METHOD(Fixture, "find pages with total, limit and skip", "[store]") {
  for (int i = 0; i < 5; ++i) Board("b" + std::to_string(i));
  Json page;
  REQUIRE(
      store->Find("boards", {{"$limit", 2}, {"$skip", 1}, {"$sort", {{"name", -1}}}}, &page).ok());
  CHECK(page["total"] == 5);
  CHECK(page["limit"] == 2);
  CHECK(page["skip"] == 1);
  REQUIRE(page["data"].size() == 2);
  CHECK(page["data"][0]["name"] == "b3");
  REQUIRE(store->Find("boards", {{"$limit", 0}}, &page).ok());
  CHECK(page["total"] == 5);
  CHECK(page["data"].empty());
}

TEST_CASE_METHOD(Fixture, "unknown services are NotFound", "[store]") {
  Json out;
  CHECK(store->Find("nope", Json::object(), &out).code() == Code::kNotFound);
  CHECK(store->Create("nope", Json::object(), &out).code() == Code::kNotFound);
  CHECK(store->Create("boards", Json::array({{{"name", "a"}}}), &out).code() ==
        Code::kMethodNotAllowed);
}

// SQLite only: PostgreSQL's migrations start at today's schema (docs/scale-out.md).
TEST_CASE("migration 3 keeps the event log and its seq going on", "[store]") {
  char tmpl[] = "/tmp/agor-store-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string path = std::string(tmpl) + "/agor.db";
  {
    std::unique_ptr<SQLite::Database> db;
    REQUIRE(OpenDatabase(path, &db, 2).ok());
    db->exec(
        "INSERT INTO events (ts, service, event, record) VALUES "
        "('t', 'boards', 'created', '{}'), ('t', 'boards', 'created', '{}')");
  }
  FakeClock clock;
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({path, {}}, &clock, &store).ok());
  CHECK(store->event_log()->FirstSeq() == 1);
  CHECK(store->event_log()->LastSeq() == 2);
  Json out;
  REQUIRE(store->Create("boards", {{"name", "after"}}, &out).ok());
  CHECK(store->event_log()->LastSeq() == 3);
  store.reset();
  std::filesystem::remove_all(tmpl);
}

TEST_CASE("a database survives reopening with its events", "[store]") {
  test::EngineStore f(test::EachEngine(), "store_reopen", /*durable=*/true);
  Json board = f.Board("kept");
  f.Reopen();
  Json out;
  REQUIRE(f.store->Get("boards", board["board_id"], &out).ok());
  CHECK(out == board);
  CHECK(f.store->event_log()->LastSeq() == 1);
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

TEST_CASE_METHOD(Fixture, "tasks and messages carry their session's board, and move with it",
                 "[store]") {
  Json a = Board("a");
  Json b = Board("b");
  Json session = Session(a);
  Json task = Create("tasks", {{"session_id", session["session_id"]}, {"board_id", b["board_id"]}});
  CHECK(task["board_id"] == a["board_id"]);  // server-set: the client's value is ignored
  Json msg = Create("messages", {{"session_id", session["session_id"]}, {"role", "user"}});
  CHECK(msg["board_id"] == a["board_id"]);
  CHECK(events.back().board_id == a["board_id"]);
  Json out;
  REQUIRE(
      store->Patch("sessions", session["session_id"], {{"board_id", b["board_id"]}}, &out).ok());
  REQUIRE(store->Get("messages", msg["message_id"], &out).ok());
  CHECK(out["board_id"] == b["board_id"]);
  REQUIRE(store->Get("tasks", task["task_id"], &out).ok());
  CHECK(out["board_id"] == b["board_id"]);
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

TEST_CASE_METHOD(Fixture, "the log covers an offset only within retention", "[store]") {
  for (int i = 0; i < 10; ++i) {
    clock.now += 1000;
    Create("repos", {{"slug", "r" + std::to_string(i)}});
  }
  EventLog* log = store->event_log();
  Retention keep_all{1000, 0};
  CHECK(log->Covers(0, keep_all, clock.now));
  CHECK(log->Covers(10, keep_all, clock.now));
  CHECK_FALSE(log->Covers(11, keep_all, clock.now));  // from the future (another database)
  CHECK_FALSE(log->Covers(-1, keep_all, clock.now));
  CHECK(log->Covers(5, Retention{5, 0}, clock.now));
  CHECK_FALSE(log->Covers(4, Retention{5, 0}, clock.now));  // six missed, five kept
  CHECK(log->Covers(7, Retention{1000, 3500}, clock.now));
  CHECK_FALSE(log->Covers(5, Retention{1000, 3500}, clock.now));  // event 6 is 4 s old
  int64_t removed = 0;
  REQUIRE(log->Prune(3, 0, &removed).ok());
  CHECK_FALSE(log->Covers(6, keep_all, clock.now));  // event 7 is gone
  CHECK(log->Covers(7, keep_all, clock.now));
}

}  // namespace
}  // namespace agor
