// End-to-end: Socket.IO identities and privacy over real sockets against the real daemon.
// A connection authenticates with a token in the CONNECT auth payload, in the handshake's
// Authorization header, or by calling `create authentication`; a bad token is a CONNECT_ERROR;
// an unauthenticated connection gets no event; private boards' events (streamed chunks too)
// reach only who may see them, a removed member stops getting them at the commit, and a
// recovery's replay waits for the client's authentication and is filtered.
//
// "Never arrives" is checked without sleeping: events reach a client in commit order, so when
// a later event (or the ack of a later call) has arrived, an earlier one that did not never
// will.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/raw_websocket.h"

namespace agor {
namespace {

using test::Daemon;
using test::RawWebSocket;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";

// The admin's API key the daemon wrote beside its database on first start.
std::string AdminKey(const Daemon& d) {
  std::string dir = d.db_path().substr(0, d.db_path().rfind('/'));
  std::ifstream in(dir + "/admin-credentials");
  std::stringstream text;
  text << in.rdbuf();
  Json credentials = Json::parse(text.str());
  return credentials["api_key"].get<std::string>();
}

// REST as one user: every call REQUIREs the status it expects.
class Rest {
 public:
  Rest(const Daemon& d, std::string token) : http_("127.0.0.1", d.port()) {
    http_.set_tcp_nodelay(true);
    http_.set_read_timeout(10, 0);
    if (!token.empty()) http_.set_default_headers({{"Authorization", "Bearer " + token}});
  }
  Json Send(const char* method, const std::string& path, const Json& body, int want) {
    httplib::Result r = std::string(method) == "POST"
                            ? http_.Post(path.c_str(), body.dump(), "application/json")
                        : std::string(method) == "PATCH"
                            ? http_.Patch(path.c_str(), body.dump(), "application/json")
                        : std::string(method) == "DELETE" ? http_.Delete(path.c_str())
                                                          : http_.Get(path.c_str());
    REQUIRE(r);
    INFO(method << " " << path << " -> " << r->body);
    REQUIRE(r->status == want);
    return r->body.empty() ? Json() : Json::parse(r->body);
  }
  Json Post(const std::string& path, const Json& body, int want = 201) {
    return Send("POST", path, body, want);
  }
  Json Patch(const std::string& path, const Json& body) { return Send("PATCH", path, body, 200); }
  Json Delete(const std::string& path) { return Send("DELETE", path, nullptr, 200); }

 private:
  httplib::Client http_;
};

struct User {
  std::string id, email, password, token;
};

// A user made by the admin, and their access token from a local login.
User MakeUser(const Daemon& d, Rest& admin, const std::string& name) {
  User u{"", name + "@example.com", "password-of-" + name, ""};
  u.id = admin.Post("/users", {{"email", u.email},
                               {"password", u.password},
                               {"name", name},
                               {"role", "member"}})["user_id"];
  Json login = Rest(d, "").Post(
      "/authentication", {{"strategy", "local"}, {"email", u.email}, {"password", u.password}});
  u.token = login["accessToken"];
  return u;
}

// One Socket.IO client over a raw WebSocket: calls with acks, pushed events kept in order.
class Sock {
 public:
  // Opens the Engine.IO session (with extra header lines) and reads its open packet.
  Sock(const Daemon& d, const std::string& query = "", std::vector<std::string> headers = {}) {
    REQUIRE(ws_.Connect(d.port(), "/socket.io/?EIO=4&transport=websocket" + query, headers) == 101);
    std::string open;
    REQUIRE(ws_.ReadText(&open, 10000));
    REQUIRE(open.rfind("0{", 0) == 0);
  }
  // Sends CONNECT with `auth` ("" for none) and returns the reply (40... or 44...).
  std::string Connect(const std::string& auth = "") {
    REQUIRE(ws_.SendText("40" + auth));
    return NextFrame("4");
  }
  // Calls `method` on `path`; returns the ack's arguments array. Events before it are kept.
  Json Call(const std::string& method, const std::string& path, const Json& arg) {
    int id = ++last_ack_;
    REQUIRE(ws_.SendText("42" + std::to_string(id) + Json::array({method, path, arg}).dump()));
    std::string ack = NextFrame("43" + std::to_string(id));
    return Json::parse(ack.substr(2 + std::to_string(id).size()));
  }
  // The next pushed event as [name, record, seq?]; REQUIREs one within 10 s.
  Json NextEvent() {
    if (!events_.empty()) {
      Json ev = events_.front();
      events_.erase(events_.begin());
      return ev;
    }
    std::string frame = NextFrame("42[");
    return Json::parse(frame.substr(2));
  }
  // Events until one named `name` (returned); those skipped are appended to `skipped`.
  Json WaitEvent(const std::string& name, std::vector<Json>* skipped = nullptr) {
    for (;;) {
      Json ev = NextEvent();
      if (ev[0] == name) return ev;
      if (skipped) skipped->push_back(ev);
    }
  }
  // The events received so far that a call's ack has overtaken (nothing is read).
  const std::vector<Json>& pending() const { return events_; }
  void Close() { ws_.SendText("41"); }

 private:
  // The next Socket.IO frame starting with `prefix`; pushed events on the way are kept, pings
  // answered.
  std::string NextFrame(const std::string& prefix) {
    for (;;) {
      std::string text;
      REQUIRE(ws_.ReadText(&text, 10000));
      if (text == "2") {
        ws_.SendText("3");
        continue;
      }
      if (text.rfind(prefix, 0) == 0) return text;
      if (text.rfind("42[", 0) == 0) events_.push_back(Json::parse(text.substr(2)));
    }
  }

  RawWebSocket ws_;
  std::vector<Json> events_;
  int last_ack_ = 0;
};

bool ConnectedOk(const std::string& reply) {
  return reply.rfind("40{\"sid\":", 0) == 0;
}

// Whether any of `events` names the record `id` anywhere in it.
bool Mentions(const std::vector<Json>& events, const std::string& id) {
  for (const auto& ev : events) {
    if (ev.dump().find(id) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("sockets authenticate by CONNECT auth, header or create authentication",
          "[e2e][auth][socket]") {
  Daemon d;
  const std::string key = AdminKey(d);
  Rest admin(d, key);
  User alice = MakeUser(d, admin, "alice");

  Sock by_payload(d);
  REQUIRE(ConnectedOk(by_payload.Connect(Json{{"token", alice.token}}.dump())));
  Sock by_header(d, "", {"Authorization: Bearer " + key});
  REQUIRE(ConnectedOk(by_header.Connect()));
  Sock by_key_payload(d);
  REQUIRE(ConnectedOk(by_key_payload.Connect(Json{{"token", key}}.dump())));
  Sock by_call(d);
  REQUIRE(ConnectedOk(by_call.Connect()));
  Json login =
      by_call.Call("create", "authentication",
                   {{"strategy", "local"}, {"email", alice.email}, {"password", alice.password}});
  REQUIRE(login[0].is_null());
  CHECK(login[1]["accessToken"].is_string());
  Sock anonymous(d);
  REQUIRE(ConnectedOk(anonymous.Connect()));

  // A bad token: CONNECT_ERROR with Feathers' error JSON; the same connection may retry.
  Sock bad(d);
  std::string refused = bad.Connect(Json{{"token", "not-a-token"}}.dump());
  REQUIRE(refused.rfind("44{", 0) == 0);
  Json error = Json::parse(refused.substr(2));
  CHECK(error["name"] == "NotAuthenticated");
  CHECK(error["code"] == 401);
  CHECK(error["className"] == "not-authenticated");
  CHECK(error["message"].is_string());
  std::string too_long = bad.Connect(Json{{"token", std::string(5000, 'a')}}.dump());
  CHECK(Json::parse(too_long.substr(2))["code"] == 401);
  Sock bad_header(d, "", {"Authorization: Bearer forged.token.here"});
  CHECK(bad_header.Connect().rfind("44{\"name\":\"NotAuthenticated\"", 0) == 0);
  REQUIRE(ConnectedOk(bad.Connect(Json{{"token", alice.token}}.dump())));

  std::string board = admin.Post("/boards", {{"name", "team board"}})["board_id"];
  for (Sock* s : {&by_payload, &by_header, &by_key_payload, &by_call, &bad}) {
    Json ev = s->WaitEvent("boards created");
    CHECK(ev[1]["board_id"] == board);
  }
  // The anonymous connection got nothing before the ack of a later call, so never will.
  Json answer = anonymous.Call("find", "boards", Json::object());
  CHECK(answer[0]["name"] == "NotAuthenticated");
  CHECK(anonymous.pending().empty());
  Json subscribe = anonymous.Call("create", "subscriptions", {{"board_id", board}});
  CHECK(subscribe[0]["code"] == 401);

  // Logging out: no more events for that connection.
  CHECK(by_call.Call("remove", "authentication", nullptr)[0].is_null());
  admin.Post("/boards", {{"name", "after logout"}});
  CHECK(by_payload.WaitEvent("boards created")[1]["name"] == "after logout");
  CHECK(by_call.Call("find", "boards", Json::object())[0]["code"] == 401);
  CHECK(by_call.pending().empty());
}

TEST_CASE(
    "private boards: events and streamed chunks only to who may see them, revocation at "
    "the commit",
    "[e2e][auth][socket]") {
  Daemon d({"--channels", "everybody"}, "",
           {"AGOR_CLAUDE_BIN=" + kFixtures + "fake_agent.sh",
            "AGOR_FIXTURE=" + kFixtures + "claude_tool_use.jsonl"});
  const std::string key = AdminKey(d);
  Rest admin(d, key);
  User alice = MakeUser(d, admin, "alice"), bob = MakeUser(d, admin, "bob"),
       carol = MakeUser(d, admin, "carol");
  std::string priv =
      admin.Post("/boards", {{"name", "secret"}, {"visibility", "private"}})["board_id"];
  admin.Post("/board-members", {{"board_id", priv}, {"user_id", alice.id}, {"role", "editor"}});
  std::string bob_member = admin.Post(
      "/board-members", {{"board_id", priv}, {"user_id", bob.id}, {"role", "viewer"}})["id"];
  Sock a(d), b(d), c(d);
  REQUIRE(ConnectedOk(a.Connect(Json{{"token", alice.token}}.dump())));
  REQUIRE(ConnectedOk(b.Connect(Json{{"token", bob.token}}.dump())));
  REQUIRE(ConnectedOk(c.Connect(Json{{"token", carol.token}}.dump())));
  // Joining what one may not see answers exactly as a missing board.
  Json hidden = c.Call("create", "subscriptions", {{"board_id", priv}});
  Json missing = c.Call("create", "subscriptions", {{"board_id", "00000000"}});
  CHECK(hidden[0]["name"] == "NotFound");
  CHECK(hidden[0]["message"] == "No record found for id '" + priv + "'");
  CHECK(missing[0]["message"] == "No record found for id '00000000'");

  // A prompt on the private board: its messages, chunks included, reach alice only.
  std::string session =
      admin.Post("/sessions", {{"board_id", priv}, {"agentic_tool", "claude-code"}})["session_id"];
  std::string task = admin.Post("/sessions/" + session + "/prompt", {{"prompt", "go"}})["task_id"];
  std::vector<Json> seen;
  for (;;) {
    Json ev = a.NextEvent();
    seen.push_back(ev);
    if (ev[0] == "tasks patched" && ev[1]["task_id"] == task && ev[1]["status"] == "completed")
      break;
  }
  bool streamed = false;
  for (const auto& ev : seen) streamed |= ev[0] == "messages streaming";
  CHECK(streamed);
  std::string marker = admin.Post("/boards", {{"name", "marker"}})["board_id"];
  std::vector<Json> carol_saw;
  c.WaitEvent("boards created", &carol_saw);
  CHECK_FALSE(Mentions(carol_saw, priv));
  CHECK_FALSE(Mentions(carol_saw, session));
  std::vector<Json> bob_saw;
  b.WaitEvent("boards created", &bob_saw);  // a viewer member sees everything of the board
  CHECK(Mentions(bob_saw, session));

  // Revocation: bob hears of his own removal, then nothing more of that board; alice does.
  admin.Delete("/board-members/" + bob_member);
  Json removal = b.WaitEvent("board-members removed");
  CHECK(removal[1]["user_id"] == bob.id);
  admin.Patch("/sessions/" + session, {{"title", "after the removal"}});
  Json patched;  // (the run's own patches of the session come before)
  do {
    patched = a.WaitEvent("sessions patched");
  } while (patched[1]["title"] != "after the removal");
  admin.Post("/boards", {{"name", "second marker"}});
  std::vector<Json> bob_after;
  b.WaitEvent("boards created", &bob_after);
  CHECK_FALSE(Mentions(bob_after, session));
  CHECK(b.Call("create", "subscriptions", {{"board_id", priv}})[0]["name"] == "NotFound");
}

TEST_CASE("a recovery's replay waits for authentication and holds only what the user may see",
          "[e2e][auth][socket]") {
  Daemon d;
  const std::string key = AdminKey(d);
  Rest admin(d, key);
  User alice = MakeUser(d, admin, "alice");
  std::string pid;
  std::string offset;
  {
    Sock first(d);
    std::string reply = first.Connect(Json{{"token", alice.token}}.dump());
    REQUIRE(ConnectedOk(reply));
    pid = Json::parse(reply.substr(2))["pid"];
    admin.Post("/boards", {{"name", "seen live"}});
    Json ev = first.WaitEvent("boards created");
    REQUIRE(ev.size() == 3);
    offset = ev[2];
    first.Close();
  }
  std::string missed = admin.Post("/boards", {{"name", "missed"}})["board_id"];
  std::string hidden =
      admin.Post("/boards", {{"name", "hidden"}, {"visibility", "private"}})["board_id"];

  Sock again(d);
  std::string reply = again.Connect(Json{{"pid", pid}, {"offset", offset}}.dump());
  REQUIRE(ConnectedOk(reply));
  CHECK(Json::parse(reply.substr(2))["pid"] == pid);  // recovered, told at once
  // Nothing before it authenticates: the ack of its login comes first.
  Json login =
      again.Call("create", "authentication", {{"strategy", "jwt"}, {"accessToken", alice.token}});
  REQUIRE(login[0].is_null());
  CHECK(again.pending().empty());
  std::string live = admin.Post("/boards", {{"name", "live"}})["board_id"];
  // The missed board (replayed), then the live one, each once; never the hidden one.
  std::vector<Json> after;
  std::vector<std::string> created;
  for (;;) {
    Json ev = again.NextEvent();
    after.push_back(ev);
    if (ev[0] != "boards created") continue;
    created.push_back(ev[1]["board_id"]);
    if (created.back() == live) break;
  }
  CHECK(created == std::vector<std::string>{missed, live});
  CHECK_FALSE(Mentions(after, hidden));
}

}  // namespace
}  // namespace agor
