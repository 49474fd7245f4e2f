// The store's rules over whole records: dense message indexes with queued prompts, the
// agent_command rule on the merged record, and conflicts that name the taken value; on both
// engines but for SQLite's migration 6.
#include <SQLiteCpp/Database.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "store/database.h"
#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

using test::FakeClock;

// The cases run on both engines (engine_fixture.h), each in a database of its own, with one
// board and one session made.
struct Fixture : test::EngineStore {
  Fixture() : EngineStore(test::EachEngine(), "store_rules") {
    Json board = Board();
    board_id = board["board_id"];
    session_id = Session(board)["session_id"];
  }
  Json Message(const char* status = nullptr) {
    Json data{{"session_id", session_id}, {"role", "user"}};
    if (status) data["status"] = status;
    return Create("messages", data);
  }
  Json Patch(const std::string& service, const std::string& id, const Json& data) {
    Json out;
    Status s = store->Patch(service, id, data, &out);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return out;
  }
  // The session's indexes in index order, queued (null) ones last.
  std::vector<Json> Indexes() {
    Json page;
    REQUIRE(store->Find("messages", {{"session_id", session_id}, {"$sort", {{"index", 1}}}}, &page)
                .ok());
    std::vector<Json> out;
    for (const Json& m : page["data"]) out.push_back(m["index"]);
    return out;
  }

  std::string board_id, session_id;
};

TEST_CASE_METHOD(Fixture, "a queued message has no index until it leaves the queue",
                 "[store][index]") {
  Message();
  Json first = Message("queued"), second = Message("queued");
  CHECK(first["index"].is_null());
  Message("sent");  // the running task's answer goes on while prompts wait
  CHECK(Indexes() == std::vector<Json>{0, 1, nullptr, nullptr});
  Json started = Patch("messages", first["message_id"], {{"status", "sent"}});
  CHECK(started["index"] == 2);
  Json out;
  REQUIRE(store->Remove("messages", second["message_id"], &out).ok());  // cancelled: no hole
  CHECK(Message()["index"] == 3);
  CHECK(Indexes() == std::vector<Json>{0, 1, 2, 3});
}

TEST_CASE_METHOD(Fixture, "queued messages sort after the placed ones, before them descending",
                 "[store][index]") {
  Json queued = Message("queued");
  Message();
  Message();
  Json page;
  REQUIRE(store->Find("messages", {{"$sort", {{"index", -1}}}}, &page).ok());
  CHECK(page["data"][0]["message_id"] == queued["message_id"]);
  CHECK(page["data"][1]["index"] == 1);
  CHECK(Indexes() == std::vector<Json>{0, 1, nullptr});
  REQUIRE(store->Find("messages", {{"index", nullptr}}, &page).ok());
  CHECK(page["total"] == 1);
}

TEST_CASE_METHOD(Fixture, "an index is never taken back, nor given to a queued message",
                 "[store][index]") {
  Json sent = Message();
  Json queued = Message("queued");
  Json out;
  Status requeue = store->Patch("messages", sent["message_id"], {{"status", "queued"}}, &out);
  CHECK(requeue.code() == Code::kBadRequest);
  CHECK(requeue.data()["field"] == "status");
  Status nulled = store->Patch("messages", sent["message_id"], {{"index", nullptr}}, &out);
  CHECK(nulled.code() == Code::kBadRequest);
  CHECK(nulled.data()["field"] == "index");
  Status placed = store->Patch("messages", queued["message_id"], {{"index", 7}}, &out);
  CHECK(placed.code() == Code::kBadRequest);
  CHECK(placed.data()["field"] == "index");
  Status created = store->Create(
      "messages",
      {{"session_id", session_id}, {"role", "user"}, {"status", "queued"}, {"index", 4}}, &out);
  CHECK(created.code() == Code::kBadRequest);
  CHECK(Patch("messages", queued["message_id"], {{"content", "edited"}})["index"].is_null());
  // Leaving the queue with a chosen index is the client's choice, as on create.
  CHECK(Patch("messages", queued["message_id"], {{"status", "sent"}, {"index", 5}})["index"] == 5);
}

TEST_CASE_METHOD(Fixture, "a command session needs an agent_command, checked on the merged record",
                 "[store][validation]") {
  Json out;
  Status bare =
      store->Create("sessions", {{"board_id", board_id}, {"agentic_tool", "command"}}, &out);
  CHECK(bare.code() == Code::kBadRequest);
  CHECK(bare.data()["field"] == "agent_command");
  Status extra =
      store->Create("sessions", {{"board_id", board_id}, {"agent_command", {"ls"}}}, &out);
  CHECK(extra.code() == Code::kBadRequest);
  CHECK(extra.data()["field"] == "agent_command");
  // Patched to command without a command: the merged record has none.
  Status patch = store->Patch("sessions", session_id, {{"agentic_tool", "command"}}, &out);
  CHECK(patch.code() == Code::kBadRequest);
  CHECK(patch.data()["field"] == "agent_command");
  CHECK(store->Patch("sessions", session_id, {{"agent_command", {"ls"}}}, &out).code() ==
        Code::kBadRequest);
  Json command =
      Patch("sessions", session_id, {{"agentic_tool", "command"}, {"agent_command", {"ls"}}});
  CHECK(command["agent_command"] == Json::array({"ls"}));
  CHECK(store->Patch("sessions", session_id, {{"agent_command", nullptr}}, &out).code() ==
        Code::kBadRequest);
  CHECK(store->Patch("sessions", session_id, {{"agentic_tool", "codex"}}, &out).code() ==
        Code::kBadRequest);
  Status put = store->Update("sessions", session_id,
                             {{"board_id", board_id}, {"agentic_tool", "command"}}, &out);
  CHECK(put.code() == Code::kBadRequest);
  CHECK(put.data()["field"] == "agent_command");
  CHECK(Patch("sessions", session_id,
              {{"agentic_tool", "codex"}, {"agent_command", nullptr}})["agentic_tool"] == "codex");
  Json page;
  REQUIRE(store->Find("sessions", {{"agentic_tool", "command"}}, &page).ok());
  CHECK(page["total"] == 0);  // nothing refused was stored
}

TEST_CASE_METHOD(Fixture, "a conflict names the value that is taken", "[store][validation]") {
  Create("boards", {{"name", "web"}, {"slug", "web"}});
  Json out;
  Status board = store->Create("boards", {{"name", "other"}, {"slug", "web"}}, &out);
  CHECK(board.code() == Code::kConflict);
  CHECK(board.message() == "slug \"web\" is already taken");
  CHECK(board.data()["fields"] == Json::array({"slug"}));
  Json second = Create("boards", {{"name", "second"}, {"slug", "second"}});
  Status patch = store->Patch("boards", second["board_id"], {{"slug", "web"}}, &out);
  CHECK(patch.message() == "slug \"web\" is already taken");
  Create("repos", {{"slug", "api"}});
  CHECK(store->Create("repos", {{"slug", "api"}}, &out).message() ==
        "slug \"api\" is already taken");
  Message();
  Status index =
      store->Create("messages", {{"session_id", session_id}, {"role", "user"}, {"index", 0}}, &out);
  CHECK(index.code() == Code::kConflict);
  CHECK(index.message() == "index 0 is already taken for session_id \"" + session_id + "\"");
  const std::string long_slug(100000, 'a');  // echoed, but not all of it
  Create("boards", {{"name", "long"}, {"slug", long_slug}});
  Status long_taken = store->Create("boards", {{"name", "again"}, {"slug", long_slug}}, &out);
  CHECK(long_taken.code() == Code::kConflict);
  CHECK(long_taken.message().rfind("slug \"aaa", 0) == 0);
  CHECK(long_taken.message().size() < 300);
  Status id = store->Create("boards", {{"name", "x"}, {"board_id", board_id}}, &out);
  CHECK(id.message() == "board_id \"" + board_id + "\" is already taken");
}

TEST_CASE_METHOD(Fixture, "empty names and slugs and bad colours are refused by the store",
                 "[store][validation]") {
  Json out;
  CHECK(store->Create("boards", {{"name", ""}}, &out).data()["field"] == "name");
  CHECK(store->Patch("boards", board_id, {{"slug", ""}}, &out).data()["field"] == "slug");
  CHECK(
      store->Update("boards", board_id, {{"name", "b"}, {"color", "blue"}}, &out).data()["field"] ==
      "color");
  CHECK(store->Create("repos", {{"slug", " "}}, &out).data()["field"] == "slug");
  Json page;
  REQUIRE(store->Find("boards", Json::object(), &page).ok());
  CHECK(page["total"] == 1);
  CHECK(page["data"][0]["slug"].is_null());
}

// SQLite only: PostgreSQL's migrations start at today's schema (docs/scale-out.md).
TEST_CASE("migration 6 takes back the index of the queued messages it finds", "[store][index]") {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("agor-migration6-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "agor.db").string();
  {
    std::unique_ptr<SQLite::Database> db;
    REQUIRE(OpenDatabase(path, &db, 5).ok());
    db->exec(
        "INSERT INTO boards VALUES ('b', 'b', NULL, NULL, NULL, NULL, 'public', NULL, 't', 't');"
        "INSERT INTO sessions (session_id, board_id, agentic_tool, status, created_at, updated_at)"
        "  VALUES ('s', 'b', 'claude-code', 'idle', 't', 't');"
        "INSERT INTO messages (message_id, session_id, board_id, \"index\", role, timestamp,"
        "  status, queue_position) VALUES"
        "  ('m0', 's', 'b', 0, 'user', 't', 'sent', NULL),"
        "  ('m1', 's', 'b', 1, 'user', 't', 'queued', 1),"
        "  ('m2', 's', 'b', 2, 'assistant', 't', NULL, NULL);");
  }
  FakeClock clock;
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({path, {}}, &clock, &store).ok());
  Json page;
  REQUIRE(store->Find("messages", {{"$sort", {{"index", 1}}}}, &page).ok());
  REQUIRE(page["total"] == 3);
  CHECK(page["data"][0]["index"] == 0);
  CHECK(page["data"][1]["index"] == 2);
  CHECK(page["data"][2]["message_id"] == "m1");
  CHECK(page["data"][2]["index"].is_null());
  CHECK(page["data"][2]["queue_position"] == 1);
  Json started;
  REQUIRE(store->Patch("messages", "m1", {{"status", "sent"}}, &started).ok());
  CHECK(started["index"] == 3);
  store.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agor
