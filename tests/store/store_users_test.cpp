// The store's identities (store/store_users.cpp): users and their password hashes, api keys,
// memberships, their cascades, token revocation, secrets, board owners, and migration 7 from a
// version-6 database. Secrets must never reach a record, a page or the event log. Both engines
// but for the SQLite migration.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "base/ids.h"
#include "store/database.h"
#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

// The cases run on both engines (engine_fixture.h), each in a database of its own.
struct Fixture : test::EngineStore {
  Fixture() : EngineStore(test::EachEngine(), "store_users") {}
  // SQLite at `path`, for a migration's case.
  explicit Fixture(const std::string& path) : EngineStore("sqlite", "") {
    url = path;
    Reopen();
  }
  Json User(const std::string& email, const std::string& hash = "", const char* role = "member") {
    Json out;
    Status s = store->CreateUser({{"email", email}, {"role", role}}, hash, &out);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return out;
  }
  Json Member(const Json& board, const Json& user, const char* role = "editor") {
    return Create("board-members",
                  {{"board_id", board["board_id"]}, {"user_id", user["user_id"]}, {"role", role}});
  }
  Json Key(const Json& user, const std::string& hash) {
    Json out;
    Status s = store->CreateApiKey({{"user_id", user["user_id"]}, {"name", "cli"}}, "agor_sk_ab",
                                   hash, &out);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return out;
  }
  // Every event the log holds, as the text it stores.
  std::string LogText() {
    std::vector<Event> all;
    REQUIRE(store->event_log()->ReadSince(0, 100000, &all).ok());
    std::string text;
    for (const auto& ev : all) text += ev.record.dump() + "\n";
    return text;
  }
  std::vector<std::string> Since(size_t from) {
    std::vector<std::string> out;
    for (size_t i = from; i < events.size(); ++i)
      out.push_back(events[i].service + " " + events[i].event);
    return out;
  }
};

std::string TempDir(const char* tag) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("agor-users-") + tag + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST_CASE_METHOD(Fixture, "a user's password hash never reaches a record, page or event",
                 "[store][users]") {
  const std::string hash = "$argon2id$v=19$m=65536,t=2,p=1$SECRETHASHSALT$SECRETHASHVALUE";
  Json user = User("Ada@Example.org", hash);
  CHECK(user["email"] == "Ada@Example.org");  // stored as given
  CHECK(user["role"] == "member");
  CHECK_FALSE(user.contains("password"));
  CHECK(user.dump().find("SECRETHASH") == std::string::npos);
  Json page, patched;
  REQUIRE(store->Find("users", Json::object(), &page).ok());
  CHECK(page.dump().find("SECRETHASH") == std::string::npos);
  REQUIRE(store->PatchUser(user["user_id"], {{"name", "Ada"}}, hash + "2", &patched).ok());
  CHECK(LogText().find("SECRETHASH") == std::string::npos);
  REQUIRE(store->FindEvents({{"$limit", 1000}}, &page).ok());
  CHECK(page.dump().find("SECRETHASH") == std::string::npos);
  CHECK(events.size() == 2);
  CHECK(events[0].user_id == user["user_id"]);
  CHECK(events[0].board_id.empty());
}

TEST_CASE_METHOD(Fixture, "login finds a user by email whatever its case", "[store][users]") {
  Json user = User("Ada@Example.org", "h1");
  Json found;
  std::string hash;
  REQUIRE(store->FindLogin("ada@example.ORG", &found, &hash).ok());
  CHECK(found == user);
  CHECK(hash == "h1");
  CHECK(store->FindLogin("bob@example.org", &found, &hash).code() == Code::kNotFound);
  Json patched;
  REQUIRE(store->PatchUser(user["user_id"], Json::object(), "h2", &patched).ok());
  REQUIRE(store->PasswordHash(user["user_id"], &hash).ok());
  CHECK(hash == "h2");
  REQUIRE(store->PatchUser(user["user_id"], {{"name", "A"}}, "", &patched).ok());
  REQUIRE(store->PasswordHash(user["user_id"], &hash).ok());
  CHECK(hash == "h2");  // "" keeps the old hash
  CHECK(store->CountUsers() == 1);
}

TEST_CASE_METHOD(Fixture, "emails are unique case-insensitively and must look like emails",
                 "[store][users]") {
  User("ada@example.org", "h");
  Json out;
  Status s = store->CreateUser({{"email", "ADA@example.org"}}, "other", &out);
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message().find("email") != std::string::npos);
  CHECK(store->CountUsers() == 1);
  const std::string too_long = std::string(250, 'a') + "@b.io";
  for (const std::string& bad :
       {std::string("no-at"), std::string("a@b@c"), std::string("@b"), std::string("a@"),
        std::string("a b@c"), std::string("a@b\n"), std::string(""), too_long}) {
    INFO(bad);
    s = store->CreateUser({{"email", bad}}, "h", &out);
    CHECK(s.code() == Code::kBadRequest);
    CHECK(s.data()["field"] == "email");
  }
  s = store->CreateUser({{"name", "x"}}, "h", &out);
  CHECK(s.data()["field"] == "email");
  s = store->CreateUser({{"email", "x@y"}, {"role", "root"}}, "h", &out);
  CHECK(s.data()["field"] == "role");
  s = store->CreateUser({{"email", "x@y"}, {"password", "secret123"}}, "h", &out);
  CHECK(s.data()["field"] == "password");  // the api layer takes it off the body
  CHECK(store->CountUsers() == 1);
  std::string hash;
  Json found;
  CHECK(store->FindLogin("x@y", &found, &hash).code() == Code::kNotFound);
}

TEST_CASE_METHOD(Fixture, "a membership is unique per board and user and keeps both",
                 "[store][users]") {
  Json board = Create("boards", {{"name", "b"}}), user = User("a@b.c");
  Json member = Member(board, user);
  CHECK(member["role"] == "editor");
  CHECK(events.back().board_id == board["board_id"]);
  CHECK(events.back().user_id == user["user_id"]);
  Json out;
  Status s = store->Create(
      "board-members",
      {{"board_id", board["board_id"]}, {"user_id", user["user_id"]}, {"role", "viewer"}}, &out);
  CHECK(s.code() == Code::kConflict);
  s = store->Patch("board-members", member["id"], {{"user_id", NewUuid()}}, &out);
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.data()["field"] == "user_id");
  REQUIRE(store->Patch("board-members", member["id"], {{"role", "owner"}}, &out).ok());
  CHECK(out["role"] == "owner");
  s = store->Create("board-members", {{"board_id", board["board_id"]}, {"user_id", NewUuid()}},
                    &out);
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.data()["field"] == "user_id");
}

TEST_CASE_METHOD(Fixture, "removing a user removes their keys, memberships and password",
                 "[store][users][cascade]") {
  Json board = Create("boards", {{"name", "b"}}), user = User("a@b.c", "hash");
  Json other = User("o@b.c", "hash2");
  Member(board, user);
  Member(board, other);
  Key(user, "keyhash1");
  Key(other, "keyhash2");
  size_t from = events.size();
  Json out;
  REQUIRE(store->Remove("users", user["user_id"], &out).ok());
  CHECK(Since(from) ==
        std::vector<std::string>{"api-keys removed", "board-members removed", "users removed"});
  std::string hash = "x";
  REQUIRE(store->PasswordHash(user["user_id"], &hash).ok());
  CHECK(hash.empty());
  CHECK(store->FindApiKey("keyhash1", &out).code() == Code::kNotFound);
  REQUIRE(store->FindApiKey("keyhash2", &out).ok());
  Json page;
  REQUIRE(store->Find("board-members", Json::object(), &page).ok());
  CHECK(page["total"] == 1);
  CHECK(store->access().RoleOf(user["user_id"]) == UserRole::kNone);
}

TEST_CASE_METHOD(Fixture, "removing a board removes its memberships after its sessions",
                 "[store][users][cascade]") {
  Json board = Create("boards", {{"name", "b"}}), user = User("a@b.c");
  Member(board, user);
  Create("sessions", {{"board_id", board["board_id"]}});
  size_t from = events.size();
  Json out;
  REQUIRE(store->Remove("boards", board["board_id"], &out).ok());
  CHECK(Since(from) ==
        std::vector<std::string>{"sessions removed", "board-members removed", "boards removed"});
  CHECK(store->access().Board(user["user_id"], board["board_id"]) == BoardAccess::kNone);
  Json page;
  REQUIRE(store->Find("board-members", Json::object(), &page).ok());
  CHECK(page["total"] == 0);
}

TEST_CASE_METHOD(Fixture, "api keys are found by hash, carry no hash, and are touched sparingly",
                 "[store][users]") {
  Json user = User("a@b.c");
  Json key = Key(user, "SECRETKEYHASH");
  CHECK(key["prefix"] == "agor_sk_ab");
  CHECK(key["last_used_at"].is_null());
  CHECK_FALSE(key.contains("key_hash"));
  CHECK(events.back().user_id == user["user_id"]);
  CHECK(LogText().find("SECRETKEYHASH") == std::string::npos);
  Json found, out;
  REQUIRE(store->FindApiKey("SECRETKEYHASH", &found).ok());
  CHECK(found == key);
  CHECK(store->FindApiKey("other", &found).code() == Code::kNotFound);
  CHECK(store->CreateApiKey({{"user_id", user["user_id"]}}, "p", "SECRETKEYHASH", &out).code() ==
        Code::kConflict);
  CHECK(store->CreateApiKey({{"user_id", NewUuid()}}, "p", "h2", &out).code() == Code::kBadRequest);
  size_t told = events.size();
  REQUIRE(store->TouchApiKey(key["id"]).ok());
  REQUIRE(store->Get("api-keys", key["id"], &found).ok());
  const Json first = found["last_used_at"];
  CHECK(first.is_string());
  clock.now += 30000;
  REQUIRE(store->TouchApiKey(key["id"]).ok());
  REQUIRE(store->Get("api-keys", key["id"], &found).ok());
  CHECK(found["last_used_at"] == first);  // within the minute: no write
  clock.now += 31000;
  REQUIRE(store->TouchApiKey(key["id"]).ok());
  REQUIRE(store->Get("api-keys", key["id"], &found).ok());
  CHECK(found["last_used_at"] != first);
  CHECK(events.size() == told);  // touching logs no event
}

TEST_CASE("revoked tokens and secrets outlive a restart", "[store][users]") {
  test::EngineStore f(test::EachEngine(), "store_users_restart", /*durable=*/true);
  int made = 0;
  auto make = [&] {
    ++made;
    return std::string("\x01\x00\xffsecret", 9);
  };
  {
    std::string secret;
    REQUIRE(f.store->GetOrCreateSecret("jwt", make, &secret).ok());
    CHECK(secret == std::string("\x01\x00\xffsecret", 9));
    REQUIRE(f.store->RevokeToken("j1", f.clock.now + 3600000).ok());
    REQUIRE(f.store->RevokeToken("expired", f.clock.now - 1).ok());
    REQUIRE(f.store->RevokeUserTokens("u1", 1000, "keep").ok());
    CHECK(f.store->IsTokenRevoked("j1", "u2", 5000));
    CHECK_FALSE(f.store->IsTokenRevoked("j2", "u2", 5000));
    CHECK(f.store->IsTokenRevoked("j3", "u1", 999));
    CHECK_FALSE(f.store->IsTokenRevoked("j3", "u1", 1000));
    CHECK_FALSE(f.store->IsTokenRevoked("keep", "u1", 999));
  }
  f.Reopen();
  std::string secret;
  REQUIRE(f.store->GetOrCreateSecret("jwt", make, &secret).ok());
  CHECK(made == 1);
  CHECK(secret == std::string("\x01\x00\xffsecret", 9));
  CHECK(f.store->IsTokenRevoked("j1", "u2", 5000));
  CHECK_FALSE(f.store->IsTokenRevoked("expired", "u2", 5000));  // pruned at open
  CHECK(f.store->IsTokenRevoked("j3", "u1", 999));
  CHECK_FALSE(f.store->IsTokenRevoked("keep", "u1", 999));
}

TEST_CASE_METHOD(Fixture, "server fields set a board's owner, clients cannot", "[store][users]") {
  Json user = User("a@b.c"), out;
  REQUIRE(store
              ->Create("boards", {{"name", "b"}, {"owner_id", NewUuid()}}, &out,
                       {{"owner_id", user["user_id"]}, {"created_by", user["user_id"]}})
              .ok());
  CHECK(out["owner_id"] == user["user_id"]);
  CHECK(out["created_by"] == user["user_id"]);
  // A client's created_by is ignored, on create and update alike: the creator stays.
  Json updated;
  REQUIRE(
      store->Update("boards", out["board_id"], {{"name", "b"}, {"created_by", "forged"}}, &updated)
          .ok());
  CHECK(updated["created_by"] == user["user_id"]);
  CHECK(events.back().user_id == user["user_id"]);
  CHECK(store->access().Board(user["user_id"], out["board_id"]) == BoardAccess::kOwn);
  Json plain = Create("boards", {{"name", "c"}, {"owner_id", user["user_id"]}});
  CHECK(plain["owner_id"].is_null());  // a client's owner_id is ignored, as any stamp
  REQUIRE(store->Patch("boards", out["board_id"], {{"owner_id", NewUuid()}}, &out).ok());
  CHECK(out["owner_id"] == user["user_id"]);
  CHECK(store->Create("boards", {{"name", "d"}}, &out, {{"owner_id", "not-a-uuid"}}).code() ==
        Code::kBadRequest);
}

// SQLite only: PostgreSQL's migrations start at today's schema (docs/scale-out.md).
TEST_CASE("migration 7 turns public boards into team boards the first admin owns",
          "[store][users][migration]") {
  const std::string dir = TempDir("migration7");
  const std::string path = dir + "/agor.db";
  {
    std::unique_ptr<SQLite::Database> db;
    REQUIRE(OpenDatabase(path, &db, 6).ok());
    db->exec(
        "INSERT INTO boards VALUES ('00000000-0000-4000-8000-000000000001', 'pub', NULL, NULL,"
        "  NULL, NULL, 'public', 'x', 't1', 't1');"
        "INSERT INTO boards VALUES ('00000000-0000-4000-8000-000000000002', 'priv', NULL, NULL,"
        "  NULL, NULL, 'private', NULL, 't2', 't2');"
        "INSERT INTO events (ts, service, event, board_id, session_id, record)"
        "  VALUES ('t1', 'boards', 'created', '00000000-0000-4000-8000-000000000001', NULL, "
        "'{}');");
  }
  Fixture f(path);
  Json page;
  REQUIRE(f.store->Find("boards", {{"$sort", {{"name", 1}}}}, &page).ok());
  REQUIRE(page["total"] == 2);
  CHECK(page["data"][0]["name"] == "priv");
  CHECK(page["data"][0]["visibility"] == "private");
  CHECK(page["data"][1]["visibility"] == "team");
  CHECK(page["data"][1]["owner_id"].is_null());
  std::vector<std::string> order;
  for (auto it = page["data"][1].begin(); it != page["data"][1].end(); ++it)
    order.push_back(it.key());
  std::vector<std::string> schema;
  for (const auto& field : FindService("boards")->fields) schema.push_back(field.name);
  CHECK(order == schema);  // owner_id sits at the table's end, the record in schema order
  CHECK(f.store->CountUsers() == 0);
  Json admin = f.User("admin@localhost", "h", "admin");
  Json member = f.User("m@localhost");
  size_t from = f.events.size();
  REQUIRE(f.store->AssignBoardOwners(admin["user_id"]).ok());
  CHECK(f.Since(from) == std::vector<std::string>{"boards patched", "boards patched"});
  REQUIRE(f.store->AssignBoardOwners(member["user_id"]).ok());  // none left without owner
  CHECK(f.events.size() == from + 2);
  REQUIRE(f.store->Find("boards", Json::object(), &page).ok());
  for (const Json& board : page["data"]) CHECK(board["owner_id"] == admin["user_id"]);
  const std::string priv = "00000000-0000-4000-8000-000000000002";
  CHECK(f.store->access().Board(member["user_id"], priv) == BoardAccess::kNone);
  CHECK(f.store->access().Board(member["user_id"], "00000000-0000-4000-8000-000000000001") ==
        BoardAccess::kWrite);
  f.store.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

TEST_CASE_METHOD(Fixture, "an id prefix resolves among what the viewer may see", "[store][users]") {
  Json user = User("p@q.r");
  // Two boards whose ids share their first 8 hex digits: one private (not the user's).
  Create("boards", {{"board_id", "abcdef01-0000-4000-8000-000000000001"}, {"name", "team"}});
  Create("boards", {{"board_id", "abcdef01-0000-4000-8000-000000000002"},
                    {"name", "hidden"},
                    {"visibility", "private"}});
  std::string full;
  // Everyone else (the daemon's own reads) sees both: the prefix is ambiguous.
  CHECK(store->ResolveId("boards", "abcdef01", &full).code() == Code::kConflict);
  // The user sees one board: the prefix is that board, and nothing hints at the other.
  REQUIRE(store->ResolveId("boards", "abcdef01", &full, user["user_id"]).ok());
  CHECK(full == "abcdef01-0000-4000-8000-000000000001");
  Status hidden =
      store->ResolveId("boards", "abcdef01-0000-4000-8000-000000000002", &full, user["user_id"]);
  Status missing =
      store->ResolveId("boards", "abcdef01-0000-4000-8000-000000000003", &full, user["user_id"]);
  CHECK(hidden.code() == Code::kNotFound);
  CHECK(hidden.ToJson()["message"].get<std::string>().find("-000000000002") != std::string::npos);
  CHECK(missing.code() == Code::kNotFound);
}

}  // namespace
}  // namespace agor
