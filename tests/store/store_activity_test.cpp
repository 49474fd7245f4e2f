// The store's actors and activity feed (store.h, store/store_activity.cpp): every appended
// event (cascades included) records the ActorScope's actor; each write's own event grows or
// starts a feed entry in its transaction, told to the activity listener after commit; the
// `activity` service reads as one user sees it and refuses bad queries; migration 8 from a
// version-7 database. Both engines but for the SQLite migration.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "store/database.h"
#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

// The cases run on both engines (engine_fixture.h), each in a database of its own.
struct Fixture : test::EngineStore {
  Fixture() : EngineStore(test::EachEngine(), "store_activity") {}
  // SQLite at `path`, for a migration's case.
  explicit Fixture(const std::string& path) : EngineStore("sqlite", "") {
    url = path;
    Reopen();
  }
  Json User(const std::string& email, const char* role = "member", const char* name = nullptr) {
    Json out, data{{"email", email}, {"role", role}};
    if (name) data["name"] = name;
    REQUIRE(store->CreateUser(data, "", &out).ok());
    return out;
  }
  Json Feed(const Json& query, const std::string& viewer) {
    Json page;
    Status s = store->FindActivity(query, &page, viewer);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return page;
  }
};

std::string TempDir(const char* tag) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("agor-activity-") + tag + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST_CASE("every event of a write records the scope's actor, cascades too", "[store][activity]") {
  Fixture f;
  Json ana = f.User("ana@x.io", "admin", "ana");
  std::string id = ana["user_id"];
  Json board, session;
  {
    Store::ActorScope scope(f.store.get(), id, "");
    board = f.Create("boards", {{"name", "Web"}});
    session = f.Create("sessions", {{"board_id", board["board_id"]}, {"title", "fix-login"}});
    {
      Store::ActorScope agent(f.store.get(), id, "claude-code");
      f.Create("messages", {{"session_id", session["session_id"]}, {"role", "assistant"}});
    }
    f.Create("messages", {{"session_id", session["session_id"]}, {"role", "user"}});
    size_t from = f.events.size();
    Json out;
    REQUIRE(f.store->Remove("boards", board["board_id"], &out).ok());
    REQUIRE(f.events.size() - from == 4);  // two messages, the session, the board
    for (size_t i = from; i < f.events.size(); ++i) {
      CHECK(f.events[i].actor_id == id);
      CHECK(f.events[i].actor_agent.empty());
    }
  }
  f.Create("repos", {{"slug", "r"}});  // outside every scope: the daemon's own
  std::vector<Event> logged;
  REQUIRE(f.store->event_log()->ReadSince(0, 100, &logged).ok());
  REQUIRE(logged.size() == f.events.size());
  CHECK(logged[0].actor_id.empty());  // the user's own creation: no scope
  CHECK(logged[2].actor_id == id);    // the session
  CHECK(logged[3].actor_agent == "claude-code");
  CHECK(logged[3].actor_id == id);
  CHECK(logged[4].actor_agent.empty());  // the agent's scope ended
  CHECK(logged.back().actor_id.empty());
  Json page;
  REQUIRE(f.store->FindEvents({{"$sort", {{"seq", 1}}}}, &page).ok());
  CHECK(page["data"][3]["actor"] == Json{{"user_id", id}, {"agent", "claude-code"}});
  CHECK(page["data"].back()["actor"] == Json{{"user_id", nullptr}, {"agent", nullptr}});
  std::vector<std::string> keys;
  for (const auto& [k, v] : page["data"][0].items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"seq", "ts", "service", "event", "board_id", "session_id",
                                         "record", "actor"});
  REQUIRE(f.store->FindEvents({{"actor_agent", "claude-code"}}, &page).ok());
  CHECK(page["total"] == 1);
}

TEST_CASE("the feed follows the writes, grouping a burst", "[store][activity]") {
  Fixture f;
  Json ana = f.User("ana@x.io", "admin", "ana");
  Store::ActorScope scope(f.store.get(), ana["user_id"], "");
  Json board = f.Create("boards", {{"name", "Web"}});
  Json session = f.Create("sessions", {{"board_id", board["board_id"]}, {"title", "fix-login"}});
  REQUIRE(f.live.size() == 2);
  CHECK(f.live[0].service == "activity");
  CHECK(f.live[0].event == "created");
  CHECK(f.live[0].seq == 0);
  CHECK(f.live[0].board_id == board["board_id"]);
  CHECK(f.live[1].record["summary"] == "ana created session fix-login");
  for (int i = 0; i < 5; ++i) {
    f.clock.now += 1000;
    f.Create("messages", {{"session_id", session["session_id"]}, {"role", "user"}});
  }
  REQUIRE(f.live.size() == 7);
  CHECK(f.live[2].event == "created");
  CHECK(f.live[6].event == "patched");
  CHECK(f.live[6].record["count"] == 5);
  CHECK(f.live[6].record["activity_id"] == f.live[2].record["activity_id"]);
  Json page = f.Feed({{"board_id", board["board_id"]}}, ana["user_id"]);
  REQUIRE(page["total"] == 3);
  CHECK(page["data"][0]["summary"] == "ana wrote 5 messages in fix-login");
  CHECK(page["data"][0]["count"] == 5);
  CHECK(page["data"][0]["actor"] == Json{{"user_id", ana["user_id"]}, {"name", "ana"}});
  CHECK(page["data"][2]["summary"] == "ana created board Web");
  CHECK(page["data"][0]["last_seq"].get<int64_t>() > page["data"][0]["first_seq"].get<int64_t>());
  Json one;
  REQUIRE(f.store->GetActivity(page["data"][1]["activity_id"], &one, ana["user_id"]).ok());
  CHECK(one == page["data"][1]);
  std::string prefix = page["data"][1]["activity_id"].get<std::string>().substr(0, 8);
  REQUIRE(f.store->GetActivity(prefix, &one, ana["user_id"]).ok());
  CHECK(one == page["data"][1]);
  // Not a board's: no entry, no live event.
  size_t before = f.live.size();
  f.Create("repos", {{"slug", "r"}});
  f.User("bo@x.io");
  CHECK(f.live.size() == before);
}

TEST_CASE("a refused write leaves the feed as it was", "[store][activity]") {
  Fixture f;
  Json board = f.Create("boards", {{"name", "Web"}, {"slug", "web"}});
  Json out;
  CHECK(f.store->Create("boards", {{"name", "Other"}, {"slug", "web"}}, &out).code() ==
        Code::kConflict);
  CHECK(f.store->Remove("boards", "00000000-0000-4000-8000-000000000000", &out).code() ==
        Code::kNotFound);
  Json page;
  REQUIRE(f.store->FindActivity(Json::object(), &page, "").ok());  // no such user: nothing
  CHECK(page["total"] == 0);
  Json admin = f.User("a@x.io", "admin");
  CHECK(f.Feed(Json::object(), admin["user_id"])["total"] == 1);
  CHECK(f.live.size() == 1);
}

TEST_CASE("the feed reads as its viewer sees the boards", "[store][activity]") {
  Fixture f;
  Json admin = f.User("a@x.io", "admin");
  Json ana = f.User("ana@x.io", "member", "ana");
  Json bo = f.User("bo@x.io", "member", "bo");
  Json team = f.Create("boards", {{"name", "Team"}});
  Json secret = f.Create("boards", {{"name", "Secret"}, {"visibility", "private"}},
                         {{"owner_id", ana["user_id"]}});
  Json seen = f.Feed(Json::object(), bo["user_id"]);
  CHECK(seen["total"] == 1);
  CHECK(seen["data"][0]["board_id"] == team["board_id"]);
  CHECK(f.Feed(Json::object(), ana["user_id"])["total"] == 2);
  CHECK(f.Feed(Json::object(), admin["user_id"])["total"] == 2);
  // A board they cannot see reads as a missing one: an empty page.
  Json hidden = f.Feed({{"board_id", secret["board_id"]}}, bo["user_id"]);
  Json missing = f.Feed({{"board_id", "00000000-0000-4000-8000-000000000000"}}, bo["user_id"]);
  CHECK(hidden == missing);
  CHECK(hidden["total"] == 0);
  Json entry = f.Feed({{"board_id", secret["board_id"]}}, ana["user_id"])["data"][0];
  Json out;
  Status s = f.store->GetActivity(entry["activity_id"], &out, bo["user_id"]);
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message() == "No record found for id '" + entry["activity_id"].get<std::string>() + "'");
  // Made a member: they see it from the commit on.
  f.Create("board-members",
           {{"board_id", secret["board_id"]}, {"user_id", bo["user_id"]}, {"role", "viewer"}});
  Json now = f.Feed({{"board_id", secret["board_id"]}}, bo["user_id"]);
  CHECK(now["total"] == 2);
  CHECK(now["data"][0]["summary"] == "bo joined the board");
}

TEST_CASE("$limit and $before page the feed newest first", "[store][activity]") {
  Fixture f;
  Json admin = f.User("a@x.io", "admin");
  for (int i = 0; i < 7; ++i) f.Create("boards", {{"name", "b" + std::to_string(i)}});
  Json page = f.Feed({{"$limit", "3"}}, admin["user_id"]);
  REQUIRE(page["data"].size() == 3);
  CHECK(page["total"] == 7);
  CHECK(page["limit"] == 3);
  CHECK(page["data"][0]["summary"] == "agor created board b6");
  std::vector<std::string> names;
  Json next = page;
  while (!next["data"].empty()) {
    for (const auto& e : next["data"]) names.push_back(e["summary"]);
    int64_t before = next["data"].back()["first_seq"];
    next = f.Feed({{"$limit", 3}, {"$before", std::to_string(before)}}, admin["user_id"]);
  }
  REQUIRE(names.size() == 7);
  CHECK(names.back() == "agor created board b0");
  CHECK(f.Feed({{"$limit", 0}}, admin["user_id"])["data"].empty());
  CHECK(f.Feed({{"$limit", 100000}}, admin["user_id"])["limit"] == 500);
  CHECK(f.Feed(Json::object(), admin["user_id"])["limit"] == 50);
}

TEST_CASE("bad activity queries answer BadRequest naming the field", "[store][activity]") {
  Fixture f;
  Json admin = f.User("a@x.io", "admin");
  auto field = [&](const Json& query) {
    Json page;
    Status s = f.store->FindActivity(query, &page, admin["user_id"]);
    CHECK(s.code() == Code::kBadRequest);
    return s.data().is_object() ? s.data().value("field", std::string()) : std::string();
  };
  CHECK(field({{"$limit", "-1"}}) == "$limit");
  CHECK(field({{"$limit", -1}}) == "$limit");
  CHECK(field({{"$limit", "x"}}) == "$limit");
  CHECK(field({{"$limit", 1.5}}) == "$limit");
  CHECK(field({{"$limit", "99999999999999999999"}}) == "$limit");
  CHECK(field({{"$before", "x"}}) == "$before");
  CHECK(field({{"$before", "0"}}) == "$before");
  CHECK(field({{"$before", Json::array({1})}}) == "$before");
  CHECK(field({{"board_id", 5}}) == "board_id");
  CHECK(field({{"board_id", {{"$in", {"a"}}}}}) == "board_id");
  CHECK(field({{"verb", "wrote"}}) == "verb");
  CHECK(field({{"$skip", "1"}}) == "$skip");
  Json page;
  CHECK(f.store->FindActivity(Json::array(), &page, admin["user_id"]).code() == Code::kBadRequest);
}

TEST_CASE("the feed is pruned with the log", "[store][activity]") {
  Fixture f;
  Json admin = f.User("a@x.io", "admin");
  for (int i = 0; i < 5; ++i) f.Create("boards", {{"name", "b" + std::to_string(i)}});
  int64_t removed = 0;
  REQUIRE(f.store->event_log()->Prune(2, 0, &removed).ok());
  REQUIRE(f.store->PruneActivity(&removed).ok());
  CHECK(removed == 3);
  CHECK(f.Feed(Json::object(), admin["user_id"])["total"] == 2);
}

// SQLite only: PostgreSQL's migrations start at today's schema (docs/scale-out.md).
TEST_CASE("migration 8 keeps a version-7 log, its actors null", "[store][activity][migration]") {
  const std::string dir = TempDir("migration8");
  const std::string path = dir + "/agor.db";
  {
    std::unique_ptr<SQLite::Database> db;
    REQUIRE(OpenDatabase(path, &db, 7).ok());
    db->exec(
        "INSERT INTO events (ts, service, event, board_id, session_id, record)"
        "  VALUES ('2026-01-01T00:00:00.000Z', 'repos', 'created', NULL, NULL, '{}');");
  }
  {
    Fixture f(path);
    std::vector<Event> logged;
    REQUIRE(f.store->event_log()->ReadSince(0, 10, &logged).ok());
    REQUIRE(logged.size() == 1);
    CHECK(logged[0].actor_id.empty());
    Json page;
    REQUIRE(f.store->FindEvents(Json::object(), &page).ok());
    CHECK(page["data"][0]["actor"] == Json{{"user_id", nullptr}, {"agent", nullptr}});
    Json admin = f.User("a@x.io", "admin");
    Store::ActorScope scope(f.store.get(), admin["user_id"], "");
    f.Create("boards", {{"name", "after"}});
    CHECK(f.Feed(Json::object(), admin["user_id"])["total"] == 1);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agor
