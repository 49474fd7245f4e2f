// The api layer's per-call rules over a real store: who may call, what a read returns and
// which writes go through. Each refusal is tried with the input that must be refused, and
// what a user may not see is compared with what a missing id answers.
#include <catch2/catch.hpp>

#include "server/api/password_hasher.h"
#include "tests/server/api/api_fixture.h"

namespace agor::test {
namespace {

const char* kMissing = "00000000-0000-4000-8000-000000000000";

Json ErrorJson(const Status& s) {
  return s.ToJson();
}

}  // namespace

TEST_CASE("access rules: every service but authentication needs a current user", "[api]") {
  ApiFixture f;
  Caller nobody;
  Status s = f.Call(nobody, "find", "boards");
  CHECK(s.code() == Code::kNotAuthenticated);
  CHECK(ErrorJson(s)["className"] == "not-authenticated");
  CHECK(f.Call(nobody, "find", "events").code() == Code::kNotAuthenticated);
  CHECK(f.Call(nobody, "create", "boards", nullptr, {{"name", "x"}}).code() ==
        Code::kNotAuthenticated);

  Caller expired = f.member;
  expired.api_key = false;
  expired.expires_ms = SystemClock()->NowMillis() - 1000;
  s = f.Call(expired, "find", "boards");
  CHECK(s.code() == Code::kNotAuthenticated);
  CHECK(s.message() == "jwt expired");
  CHECK(s.data()["name"] == "TokenExpiredError");

  Caller ghost = f.member;
  ghost.user_id = kMissing;  // a user that does not exist (or was removed)
  CHECK(f.Call(ghost, "find", "boards").code() == Code::kNotAuthenticated);
  CHECK(f.Call(f.admin, "remove", "users", f.other.user_id).ok());
  CHECK(f.Call(f.other, "find", "boards").code() == Code::kNotAuthenticated);
  CHECK(f.Call(f.member, "find", "boards").ok());
}

TEST_CASE("access rules: a private board is invisible to a non-member, totals included", "[api]") {
  ApiFixture f;
  std::string team = f.Create(f.other, "boards", {{"name", "team"}}, "board_id");
  std::string secret =
      f.Create(f.other, "boards", {{"name", "secret"}, {"visibility", "private"}}, "board_id");
  std::string session = f.Create(f.other, "sessions", {{"board_id", secret}}, "session_id");
  Json message;
  REQUIRE(f.Call(f.other, "create", "messages", nullptr,
                 {{"session_id", session}, {"role", "user"}, {"content", "hi"}}, &message)
              .ok());

  Json page;
  REQUIRE(f.Call(f.member, "find", "boards", nullptr, {}, &page).ok());
  CHECK(page["total"] == 1);
  CHECK(page["data"][0]["board_id"] == team);
  REQUIRE(f.Call(f.admin, "find", "boards", nullptr, {}, &page).ok());
  CHECK(page["total"] == 2);
  for (const char* service : {"sessions", "messages"}) {
    REQUIRE(f.Call(f.member, "find", service, nullptr, {}, &page).ok());
    CHECK(page["total"] == 0);
  }
  REQUIRE(f.Call(f.member, "find", "events", nullptr, {}, &page).ok());
  for (const Json& ev : page["data"]) CHECK(ev["board_id"] != secret);

  // get: the very answer a missing id gets, on every service and every method.
  for (const auto& [service, id] : std::vector<std::pair<std::string, std::string>>{
           {"boards", secret}, {"sessions", session}, {"messages", message["message_id"]}}) {
    INFO(service);
    Status unseen = f.Call(f.member, "get", service, id);
    std::string missing_id = kMissing;
    Status missing = f.Call(f.member, "get", service, missing_id);
    CHECK(unseen.code() == Code::kNotFound);
    CHECK(unseen.message() == "No record found for id '" + id + "'");
    CHECK(missing.message() == "No record found for id '" + missing_id + "'");
    CHECK(f.Call(f.member, "patch", service, id, {{"title", "x"}}).message() == unseen.message());
    CHECK(f.Call(f.member, "remove", service, id).message() == unseen.message());
  }
  // Data naming an unseen board or session answers as a missing one.
  Status unseen = f.Call(f.member, "create", "sessions", nullptr, {{"board_id", secret}});
  Status missing = f.Call(f.member, "create", "sessions", nullptr, {{"board_id", kMissing}});
  CHECK(unseen.code() == missing.code());
  CHECK(unseen.message() == "board_id: no boards record with id '" + secret + "'");
  unseen = f.Call(f.member, "create", "messages", nullptr,
                  {{"session_id", session}, {"role", "user"}, {"content", "x"}});
  CHECK(unseen.code() == Code::kBadRequest);
  CHECK(unseen.message() == "session_id: no sessions record with id '" + session + "'");
  // The owner, and admins, see it all.
  CHECK(f.Call(f.other, "get", "sessions", session).ok());
  CHECK(f.Call(f.admin, "get", "sessions", session).ok());
}

TEST_CASE("access rules: board roles decide writes, and team members act as editors", "[api]") {
  ApiFixture f;
  std::string team = f.Create(f.other, "boards", {{"name", "team"}}, "board_id");
  std::string secret =
      f.Create(f.other, "boards", {{"name", "secret"}, {"visibility", "private"}}, "board_id");
  Json board;
  REQUIRE(f.Call(f.other, "get", "boards", team, {}, &board).ok());
  CHECK(board["owner_id"] == f.other.user_id);
  CHECK(board["created_by"] == f.other.user_id);

  // Team board: a member writes sessions; only the owner changes the board.
  std::string session = f.Create(f.member, "sessions", {{"board_id", team}}, "session_id");
  CHECK(f.Call(f.member, "patch", "boards", team, {{"name", "mine"}}).code() == Code::kForbidden);
  CHECK(f.Call(f.member, "remove", "boards", team).code() == Code::kForbidden);
  CHECK(f.Call(f.other, "patch", "boards", team, {{"visibility", "private"}}).ok());
  // Now private: the member no longer sees their own session.
  CHECK(f.Call(f.member, "get", "sessions", session).code() == Code::kNotFound);

  // A board viewer reads but does not write.
  f.Create(f.other, "board-members",
           {{"board_id", secret}, {"user_id", f.member.user_id}, {"role", "viewer"}}, "id");
  CHECK(f.Call(f.member, "get", "boards", secret).ok());
  Status s = f.Call(f.member, "create", "sessions", nullptr, {{"board_id", secret}});
  CHECK(s.code() == Code::kForbidden);
  CHECK(ErrorJson(s)["name"] == "Forbidden");
  // Members' lists are the owners' business.
  CHECK(f.Call(f.member, "create", "board-members", nullptr,
               {{"board_id", secret}, {"user_id", f.viewer.user_id}})
            .code() == Code::kForbidden);

  // The global viewer never writes, not even on a team board, and creates no board.
  std::string open = f.Create(f.member, "boards", {{"name", "open"}}, "board_id");
  CHECK(f.Call(f.viewer, "get", "boards", open).ok());
  CHECK(f.Call(f.viewer, "create", "sessions", nullptr, {{"board_id", open}}).code() ==
        Code::kForbidden);
  CHECK(f.Call(f.viewer, "create", "boards", nullptr, {{"name", "v"}}).code() == Code::kForbidden);
  CHECK(f.Call(f.viewer, "create", "repos", nullptr, {{"slug", "r"}}).code() == Code::kForbidden);

  // Moving a session needs write access on both boards.
  std::string s2 = f.Create(f.member, "sessions", {{"board_id", open}}, "session_id");
  CHECK(f.Call(f.member, "patch", "sessions", s2, {{"board_id", secret}}).code() ==
        Code::kForbidden);
}

TEST_CASE("access rules: only admins create command sessions or set agent_command", "[api]") {
  ApiFixture f;
  std::string board = f.Create(f.member, "boards", {{"name", "b"}}, "board_id");
  Status s = f.Call(f.member, "create", "sessions", nullptr,
                    {{"board_id", board}, {"agentic_tool", "command"}, {"agent_command", {"sh"}}});
  CHECK(s.code() == Code::kForbidden);
  CHECK(f.Call(f.member, "create", "sessions", nullptr,
               {{"board_id", board}, {"agent_command", {"/bin/sh", "-c", "id"}}})
            .code() == Code::kForbidden);
  std::string session =
      f.Create(f.admin, "sessions",
               {{"board_id", board}, {"agentic_tool", "command"}, {"agent_command", {"/bin/cat"}}},
               "session_id");
  CHECK(f.Call(f.member, "patch", "sessions", session, {{"agent_command", {"/bin/sh"}}}).code() ==
        Code::kForbidden);
  CHECK(f.Call(f.member, "patch", "sessions", session, {{"title", "fine"}}).ok());
  CHECK(f.Call(f.admin, "patch", "sessions", session, {{"agent_command", {"/bin/echo"}}}).ok());
}

TEST_CASE("access rules: users, api-keys and routes on sessions", "[api]") {
  ApiFixture f;
  CHECK(f.Call(f.member, "create", "users", nullptr, {{"email", "x@example.com"}}).code() ==
        Code::kForbidden);
  CHECK(f.Call(f.member, "remove", "users", f.other.user_id).code() == Code::kForbidden);
  CHECK(f.Call(f.member, "patch", "users", f.member.user_id, {{"name", "me"}}).ok());
  CHECK(f.Call(f.member, "patch", "users", f.member.user_id, {{"role", "admin"}}).code() ==
        Code::kForbidden);
  CHECK(f.Call(f.member, "patch", "users", f.other.user_id, {{"name", "you"}}).code() ==
        Code::kForbidden);
  Json page;
  REQUIRE(f.Call(f.member, "find", "users", nullptr, {}, &page).ok());
  CHECK(page["total"] == 4);
  for (const Json& user : page["data"])
    CHECK(user.contains("email") == (user["user_id"] == f.member.user_id));
  REQUIRE(f.Call(f.admin, "find", "users", nullptr, {}, &page).ok());
  for (const Json& user : page["data"]) CHECK(user.contains("email"));

  Json key;
  REQUIRE(f.Call(f.member, "create", "api-keys", nullptr, {{"name", "ci"}}, &key).ok());
  CHECK(key["key"].get<std::string>().rfind("agor_sk_", 0) == 0);
  CHECK(key["user_id"] == f.member.user_id);
  CHECK(f.Call(f.member, "create", "api-keys", nullptr,
               {{"name", "theirs"}, {"user_id", f.other.user_id}})
            .code() == Code::kForbidden);
  std::string key_id = key["id"];
  CHECK(f.Call(f.other, "get", "api-keys", key_id).message() ==
        "No record found for id '" + key_id + "'");
  CHECK(f.Call(f.other, "remove", "api-keys", key_id).code() == Code::kNotFound);
  REQUIRE(f.Call(f.other, "find", "api-keys", nullptr, {}, &page).ok());
  CHECK(page["total"] == 0);
  REQUIRE(f.Call(f.member, "get", "api-keys", key_id, {}, &key).ok());
  CHECK_FALSE(key.contains("key"));

  // Routes on a session: write access to its board, an unseen one 404 like a missing one.
  std::vector<std::string> routed;
  f.dispatcher->AddRecordRoute(
      "sessions", "prompt",
      [&](const std::string& id, const Json&, const Caller& caller, Json* result) {
        routed.push_back(caller.user_id);
        *result = Json{{"id", id}};
        return Status::OK();
      });
  std::string secret =
      f.Create(f.other, "boards", {{"name", "s"}, {"visibility", "private"}}, "board_id");
  std::string session = f.Create(f.other, "sessions", {{"board_id", secret}}, "session_id");
  Status s =
      f.Call(f.member, "create", "sessions/" + session + "/prompt", nullptr, {{"prompt", "hi"}});
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message() == "No record found for id '" + session + "'");
  CHECK(f.Call(f.viewer, "create", "sessions/" + session + "/prompt").code() == Code::kNotFound);
  std::string team = f.Create(f.other, "boards", {{"name", "t"}}, "board_id");
  std::string open = f.Create(f.other, "sessions", {{"board_id", team}}, "session_id");
  CHECK(f.Call(f.viewer, "create", "sessions/" + open + "/prompt").code() == Code::kForbidden);
  CHECK(f.Call(f.member, "create", "sessions/" + open + "/prompt").ok());
  CHECK(routed == std::vector<std::string>{f.member.user_id});
}

TEST_CASE("access rules: passwords hash off the loop, are checked, and never echoed", "[api]") {
  ApiFixture f;
  TestLoop loop;
  PasswordHasher hasher([&](std::function<void()> fn) { loop.Post(std::move(fn)); },
                        PasswordHasher::Options());
  f.dispatcher->SetAuthentication(nullptr, &hasher);
  Json user;
  // The synchronous form cannot wait for a hash.
  CHECK(f.Call(f.admin, "create", "users", nullptr,
               {{"email", "p@example.com"}, {"password", "long enough"}})
            .code() == Code::kUnavailable);
  Status s = f.CallAsync(&loop, f.admin, "create", "users", nullptr,
                         {{"email", "p@example.com"}, {"password", "short"}});
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.data()["field"] == "password");
  CHECK(s.ToJsonText().find("short") == std::string::npos);
  REQUIRE(f.CallAsync(&loop, f.admin, "create", "users", nullptr,
                      {{"email", "p@example.com"}, {"password", "long enough"}}, &user)
              .ok());
  CHECK_FALSE(user.contains("password"));
  std::string hash;
  REQUIRE(f.store->PasswordHash(user["user_id"], &hash).ok());
  CHECK(PasswordHasher::VerifyNow("long enough", hash));

  // One's own password: the current one first.
  s = f.CallAsync(&loop, f.member, "patch", "users", f.member.user_id,
                  {{"password", "new password"}});
  CHECK(s.data()["field"] == "current_password");
  REQUIRE(f.store->PasswordHash(f.member.user_id, &hash).ok());
  // Another user's: admins only.
  CHECK(f.CallAsync(&loop, f.member, "patch", "users", f.other.user_id,
                    {{"password", "new password"}})
            .code() == Code::kForbidden);
  REQUIRE(f.CallAsync(&loop, f.admin, "patch", "users", f.member.user_id,
                      {{"password", "set by admin"}})
              .ok());
  REQUIRE(f.store->PasswordHash(f.member.user_id, &hash).ok());
  CHECK(PasswordHasher::VerifyNow("set by admin", hash));
  CHECK(f.CallAsync(&loop, f.member, "patch", "users", f.member.user_id,
                    {{"password", "new password"}, {"current_password", "wrong one"}})
            .data()["field"] == "current_password");
  REQUIRE(f.CallAsync(&loop, f.member, "patch", "users", f.member.user_id,
                      {{"password", "new password"}, {"current_password", "set by admin"}}, &user)
              .ok());
  CHECK_FALSE(user.contains("password"));
  REQUIRE(f.store->PasswordHash(f.member.user_id, &hash).ok());
  CHECK(PasswordHasher::VerifyNow("new password", hash));
}

}  // namespace agor::test
