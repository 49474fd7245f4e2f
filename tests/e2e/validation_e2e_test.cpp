// End-to-end: the validation rules over the wire (README, REST): each bad input is sent and
// answered with the Feathers error that names the field or the taken value, and nothing is
// stored.
#include <catch2/catch.hpp>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using Api = test::RestApi;

// Sends a write expecting the error `status`, and returns the error body.
Json Refused(Api& api, const char* method, const std::string& path, const Json& body, int status) {
  auto& http = api.http();
  std::string m = method, text = body.dump();
  httplib::Result r = m == "POST"  ? http.Post(path.c_str(), text, "application/json")
                      : m == "PUT" ? http.Put(path.c_str(), text, "application/json")
                                   : http.Patch(path.c_str(), text, "application/json");
  REQUIRE(r);
  INFO(method << " " << path << " " << text << " -> " << r->body);
  CHECK(r->status == status);
  Json error = Json::parse(r->body);
  CHECK(error["code"] == status);
  return error;
}

TEST_CASE("empty names and slugs, bad colours and agent commands are refused",
          "[e2e][validation]") {
  Daemon d;
  Api api(d);
  std::string board = api.Board();
  struct Case {
    const char* method;
    std::string path;
    Json body;
    const char* field;
  } cases[] = {
      {"POST", "/boards", {{"name", ""}}, "name"},
      {"POST", "/boards", {{"name", "b"}, {"slug", ""}}, "slug"},
      {"PATCH", "/boards/" + board, {{"slug", "  "}}, "slug"},
      {"PUT", "/boards/" + board, {{"name", "b"}, {"color", "red"}}, "color"},
      {"PATCH", "/boards/" + board, {{"color", "#12345"}}, "color"},
      {"POST", "/repos", {{"slug", ""}}, "slug"},
      {"POST", "/repos", {{"slug", "r"}, {"name", ""}}, "name"},
      {"POST", "/sessions", {{"board_id", board}, {"agentic_tool", "command"}}, "agent_command"},
      {"POST",
       "/sessions",
       {{"board_id", board}, {"agentic_tool", "command"}, {"agent_command", {"ls", ""}}},
       "agent_command"},
      {"POST", "/sessions", {{"board_id", board}, {"agent_command", {"ls"}}}, "agent_command"},
  };
  for (const auto& c : cases) {
    Json error = Refused(api, c.method, c.path, c.body, 400);
    CHECK(error["name"] == "BadRequest");
    CHECK(error["data"]["field"] == c.field);
    CHECK(error["message"].get<std::string>().find(c.field) != std::string::npos);
  }
  // A patch is checked merged onto the stored record.
  std::string session = api.Post("/sessions", {{"board_id", board}})["session_id"];
  Json merged = Refused(api, "PATCH", "/sessions/" + session, {{"agentic_tool", "command"}}, 400);
  CHECK(merged["message"] == "agent_command is required when agentic_tool is command");
  Json patched =
      api.Patch("/sessions/" + session, {{"agentic_tool", "command"}, {"agent_command", {"cat"}}});
  CHECK(patched["agent_command"] == Json::array({"cat"}));
  CHECK(api.Get("/boards")["total"] == 1);
  CHECK(api.Get("/repos")["total"] == 0);
  CHECK(api.Get("/boards/" + board)["slug"].is_null());
}

TEST_CASE("a conflict names the value that is taken", "[e2e][validation]") {
  Daemon d;
  Api api(d);
  api.Post("/boards", {{"name", "web"}, {"slug", "web"}});
  Json error = Refused(api, "POST", "/boards", {{"name", "other"}, {"slug", "web"}}, 409);
  CHECK(error["name"] == "Conflict");
  CHECK(error["message"] == "slug \"web\" is already taken");
  api.Post("/repos", {{"slug", "api"}});
  CHECK(Refused(api, "POST", "/repos", {{"slug", "api"}}, 409)["message"] ==
        "slug \"api\" is already taken");
}

TEST_CASE("tasks are created by prompts, not by a bare create", "[e2e][validation]") {
  Daemon d;
  Api api(d);
  std::string session = api.Session("command", {"cat"});
  Json rest = Refused(api, "POST", "/tasks", {{"session_id", session}, {"prompt", "p"}}, 405);
  CHECK(rest["name"] == "MethodNotAllowed");
  CHECK(rest["message"] == "tasks are created by POST /sessions/:id/prompt");
  test::RawWebSocket ws;
  REQUIRE(ws.Connect(d.port(), "/socket.io/?EIO=4&transport=websocket") == 101);
  std::string frame;
  REQUIRE(ws.ReadText(&frame, 5000));
  ws.SendText(test::ConnectPacket(d.token()));
  REQUIRE(ws.ReadText(&frame, 5000));
  ws.SendText("421[\"create\",\"tasks\",{\"session_id\":\"" + session + "\"},{}]");
  do {
    REQUIRE(ws.ReadText(&frame, 5000));
  } while (frame.rfind("43", 0) != 0);
  Json ack = Json::parse(frame.substr(frame.find('[')));
  CHECK(ack[0]["name"] == "MethodNotAllowed");
  CHECK(ack[0]["code"] == 405);
  CHECK(api.Get("/tasks")["total"] == 0);
}

}  // namespace
}  // namespace agor
