// Private boards over REST with the real binary, one daemon for every rule: a non-member does
// not see a private board or anything on it (find and its total, get with the very 404 a
// missing id gets, GET /events, sessions, tasks, messages, prompts); a board viewer reads but
// gets 403 on writes; on a team board a member acts as an editor; the global viewer never
// writes; only admins create command sessions.
#include <catch2/catch.hpp>
#include <string>

#include "tests/e2e/auth_test_helpers.h"
#include "tests/support/daemon.h"

namespace agor {
namespace {

using test::AuthClient;

// A user the admin creates, logged in: their id and a client with their token.
struct Member {
  std::string id;
  std::unique_ptr<AuthClient> api;
};

Member NewUser(int port, AuthClient* admin, const std::string& email, const std::string& role) {
  Json user = admin->Post("/users", {{"email", email}, {"role", role}, {"password", "password 1"}});
  Member m;
  m.id = user["user_id"];
  m.api = std::make_unique<AuthClient>(port, test::Login(port, email, "password 1"));
  return m;
}

std::string Missing(const std::string& id) {
  return "No record found for id '" + id + "'";
}

}  // namespace

TEST_CASE("privacy rest: private boards, board roles, team members, viewers, command sessions",
          "[e2e][privacy]") {
  test::Daemon daemon;
  const int port = daemon.port();
  AuthClient admin(port, test::ReadAdminCredentials(daemon.db_path())["api_key"]);
  Member owner = NewUser(port, &admin, "owner@example.com", "member");
  Member stranger = NewUser(port, &admin, "stranger@example.com", "member");
  Member watcher = NewUser(port, &admin, "watcher@example.com", "viewer");

  Json secret = owner.api->Post("/boards", {{"name", "secret"}, {"visibility", "private"}});
  const std::string board = secret["board_id"];
  CHECK(secret["owner_id"] == owner.id);
  Json team = owner.api->Post("/boards", {{"name", "team"}});
  const std::string team_board = team["board_id"];
  Json session = owner.api->Post("/sessions", {{"board_id", board}, {"title", "hidden"}});
  const std::string sid = session["session_id"];
  Json message =
      owner.api->Post("/messages", {{"session_id", sid}, {"role", "user"}, {"content", "psst"}});

  // Find: neither the board nor its records, totals included.
  Json page = stranger.api->Get("/boards");
  CHECK(page["total"] == 1);
  CHECK(page["data"][0]["board_id"] == team_board);
  CHECK(admin.Get("/boards")["total"] == 2);
  CHECK(stranger.api->Get("/sessions")["total"] == 0);
  CHECK(stranger.api->Get("/messages")["total"] == 0);
  CHECK(stranger.api->Get("/tasks")["total"] == 0);
  CHECK(stranger.api->Get("/boards?visibility=private")["total"] == 0);
  for (const Json& ev : stranger.api->Get("/events?$limit=200")["data"]) {
    CHECK(ev["board_id"] != board);
    CHECK(ev.dump().find("psst") == std::string::npos);
  }
  bool owner_sees = false;  // the same read does show them to the owner
  for (const Json& ev : owner.api->Get("/events?$limit=200")["data"])
    owner_sees = owner_sees || ev["board_id"] == board;
  CHECK(owner_sees);

  // Get, patch, remove, prompt: the very answer a missing id gets.
  const std::string missing = "00000000-0000-4000-8000-00000000abcd";
  CHECK(stranger.api->Get("/boards/" + missing, 404)["message"] == Missing(missing));
  for (const std::string path : {"/boards/" + board, "/sessions/" + sid,
                                 "/messages/" + message["message_id"].get<std::string>()}) {
    const std::string id = path.substr(path.rfind('/') + 1);
    Json unseen = stranger.api->Get(path, 404);
    CHECK(unseen["message"] == Missing(id));
    CHECK(unseen["name"] == "NotFound");
    CHECK(stranger.api->Patch(path, {{"title", "x"}}, 404)["message"] == Missing(id));
    CHECK(stranger.api->Delete(path, 404)["message"] == Missing(id));
  }
  CHECK(stranger.api->Post("/sessions/" + sid + "/prompt", {{"prompt", "hi"}}, 404)["message"] ==
        Missing(sid));
  CHECK(stranger.api->Post("/sessions/" + sid + "/stop", Json::object(), 404)["message"] ==
        Missing(sid));
  // Naming the private board in data answers as a missing board does.
  Json unseen_ref = stranger.api->Post("/sessions", {{"board_id", board}}, 400);
  Json missing_ref = stranger.api->Post("/sessions", {{"board_id", missing}}, 400);
  CHECK(unseen_ref["message"] == "board_id: no boards record with id '" + board + "'");
  CHECK(missing_ref["message"] == "board_id: no boards record with id '" + missing + "'");

  // A board viewer reads, and gets 403 Forbidden on writes.
  owner.api->Post("/board-members",
                  {{"board_id", board}, {"user_id", stranger.id}, {"role", "viewer"}});
  CHECK(stranger.api->Get("/boards/" + board)["name"] == "secret");
  CHECK(stranger.api->Get("/sessions")["total"] == 1);
  Json forbidden = stranger.api->Post("/sessions", {{"board_id", board}}, 403);
  CHECK(forbidden["name"] == "Forbidden");
  CHECK(forbidden["className"] == "forbidden");
  stranger.api->Patch("/sessions/" + sid, {{"title", "mine"}}, 403);
  stranger.api->Post("/sessions/" + sid + "/prompt", {{"prompt", "hi"}}, 403);
  stranger.api->Patch("/boards/" + board, {{"name", "mine"}}, 403);
  stranger.api->Post("/board-members", {{"board_id", board}, {"user_id", watcher.id}}, 403);

  // On a team board a member acts as an editor; only the owner changes the board.
  Json theirs = stranger.api->Post("/sessions", {{"board_id", team_board}, {"title", "t"}});
  stranger.api->Patch("/sessions/" + theirs["session_id"].get<std::string>(), {{"title", "u"}});
  stranger.api->Patch("/boards/" + team_board, {{"name", "mine"}}, 403);
  CHECK(theirs["created_by"] == stranger.id);

  // The global viewer reads the team board and writes nothing.
  CHECK(watcher.api->Get("/boards")["total"] == 1);
  watcher.api->Post("/sessions", {{"board_id", team_board}}, 403);
  watcher.api->Post("/boards", {{"name", "v"}}, 403);
  watcher.api->Post("/repos", {{"slug", "v"}}, 403);
  watcher.api->Get("/sessions/" + sid, 404);

  // Running an arbitrary program is an admin's power.
  owner.api->Post(
      "/sessions",
      {{"board_id", team_board}, {"agentic_tool", "command"}, {"agent_command", {"id"}}}, 403);
  Json command = admin.Post(
      "/sessions",
      {{"board_id", team_board}, {"agentic_tool", "command"}, {"agent_command", {"/bin/cat"}}});
  owner.api->Patch("/sessions/" + command["session_id"].get<std::string>(),
                   {{"agent_command", {"/bin/sh", "-c", "id"}}}, 403);

  // Users: emails only for oneself (and admins); roles only by admins.
  for (const Json& user : stranger.api->Get("/users")["data"])
    CHECK(user.contains("email") == (user["user_id"] == stranger.id));
  stranger.api->Patch("/users/" + stranger.id, {{"role", "admin"}}, 403);
  stranger.api->Post("/users", {{"email", "x@example.com"}}, 403);

  // Revocation at the commit: a private board's viewer removed sees nothing again.
  Json members = owner.api->Get("/board-members?board_id=" + board);
  REQUIRE(members["total"] == 1);
  owner.api->Delete("/board-members/" + members["data"][0]["id"].get<std::string>());
  CHECK(stranger.api->Get("/boards/" + board, 404)["message"] == Missing(board));
  Json left = stranger.api->Get("/sessions");
  CHECK(left["total"] == 2);  // the team board's two
  for (const Json& s : left["data"]) CHECK(s["board_id"] == team_board);
}

}  // namespace agor
