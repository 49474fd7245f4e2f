// End-to-end: presence (issue 12) over real sockets against the real daemon: the roster's
// joins and leaves, selection, typing that expires, the disconnect grace and a recovery without
// flicker, coalesced cursors and Agor's cursor events, privacy (no event to who may not see the
// board, NotFound for its find, a revoked member's entry removed), a stalled recipient under a
// cursor flood, and every bad input refused.
//
// One daemon for the file, with short presence times; each test case uses boards of its own.
// "Never arrives" is checked without sleeping: a connection's frames arrive in the daemon's
// order, so once a later frame has arrived, an earlier one that did not never will.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "tests/e2e/auth_test_helpers.h"
#include "tests/e2e/presence_client.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::AuthClient;
using test::Daemon;
using test::RawWebSocket;
using test::RestApi;

constexpr int kGraceMs = 600;

Daemon& Shared() {
  static Daemon d({"--presence-grace-ms", std::to_string(kGraceMs), "--presence-typing-ms", "300",
                   "--max-send-queue", "65536"});
  return d;
}

struct User {
  std::string id, token;
};

// A member made by the admin, logged in (one hash each: made once per user).
User MakeUser(const std::string& name) {
  Daemon& d = Shared();
  RestApi admin(d);
  std::string email = name + "@example.com", password = "password-of-" + name;
  User u;
  u.id = admin.Post(
      "/users",
      {{"email", email}, {"password", password}, {"name", name}, {"role", "member"}})["user_id"];
  u.token = test::Login(d.port(), email, password);
  return u;
}

const User& Alice() {
  static User u = MakeUser("alice");
  return u;
}
const User& Bob() {
  static User u = MakeUser("bob");
  return u;
}

std::string NewBoard(const std::string& visibility = "team") {
  static int n = 0;
  return RestApi(Shared()).Post("/boards", {{"name", "presence-" + std::to_string(++n)},
                                            {"visibility", visibility}})["board_id"];
}

// The shared client on the file's daemon.
struct Client : test::PresenceClient {
  explicit Client(const std::string& token, const std::string& query = "", Json auth = {})
      : PresenceClient(Shared().port(), token, query, std::move(auth)) {}
};

TEST_CASE("presence: roster join and leave, selection, typing that expires", "[e2e][presence]") {
  Daemon& d = Shared();
  std::string board = NewBoard();
  std::string session = RestApi(d).Post(
      "/sessions", {{"board_id", board}, {"agentic_tool", "claude-code"}})["session_id"];
  Client admin(d.token()), alice(Alice().token);
  Json mine = admin.Ok("create", {{{"board_id", board}}});
  CHECK(admin.WaitFor("presence created")["presence_id"] == mine["presence_id"]);
  Json entry = alice.Ok("create", {{{"board_id", board}}});
  CHECK(entry["user_id"] == Alice().id);
  CHECK(entry["name"] == "alice");
  std::string id = entry["presence_id"];
  CHECK(id != alice.pid);
  CHECK(admin.WaitFor("presence created", {{"presence_id", id}})["board_id"] == board);
  Json roster = AuthClient(d.port(), Alice().token).Get("/presence?board_id=" + board);
  CHECK(roster.size() == 2);
  alice.Ok("patch", {id, {{"selected_session_id", session}, {"typing_session_id", session}}});
  CHECK(admin.WaitFor("presence patched",
                      {{"typing_session_id", session}})["selected_session_id"] == session);
  Json expired = admin.WaitFor("presence patched", {{"typing_session_id", nullptr}});
  CHECK(expired["presence_id"] == id);
  CHECK(expired["selected_session_id"] == session);
  alice.Ok("remove", {id});
  CHECK(admin.WaitFor("presence removed", {{"presence_id", id}})["user_id"] == Alice().id);
  CHECK(admin.Ok("find", {{{"board_id", board}}}).size() == 1);
}

TEST_CASE("presence: a recovered connection keeps its entry without flicker", "[e2e][presence]") {
  Daemon& d = Shared();
  std::string board = NewBoard();
  Client admin(d.token());
  admin.Ok("create", {{{"board_id", board}}});
  auto alice = std::make_unique<Client>(Alice().token);
  auto carol = std::make_unique<Client>(Alice().token);  // leaves for good
  std::string alice_id = alice->Ok("create", {{{"board_id", board}}})["presence_id"];
  std::string carol_id = carol->Ok("create", {{{"board_id", board}}})["presence_id"];
  admin.WaitFor("presence created", {{"presence_id", carol_id}});
  std::string pid = alice->pid;
  alice.reset();  // the TCP connection drops
  carol.reset();
  Client back(Alice().token, "", {{"pid", pid}, {"offset", "0"}});
  REQUIRE(back.pid == pid);  // recovered
  back.Emit("cursor-move", {{"boardId", board}, {"x", 5}, {"y", 6}});
  Json moved = admin.WaitFor("cursor-moved", {{"presenceId", alice_id}});
  CHECK(moved["x"] == 5);
  // Carol's removal comes at the end of her grace, which began after alice's: alice's would
  // have arrived first.
  admin.WaitFor("presence removed", {{"presence_id", carol_id}});
  Json roster = admin.Ok("find", {{{"board_id", board}}});  // after whatever that sweep sent
  CHECK(admin.Count("presence removed", {{"presence_id", alice_id}}) == 0);
  CHECK(admin.Count("presence created", {{"presence_id", alice_id}}) == 1);
  REQUIRE(roster.size() == 2);
}

TEST_CASE("presence: cursors are coalesced, the last position arrives", "[e2e][presence]") {
  Daemon& d = Shared();
  std::string board = NewBoard();
  Client watcher(d.token(), "&board_id=" + board);  // on the board's channel only
  Client mover(Alice().token);
  for (int i = 1; i <= 200; ++i) {
    mover.Emit("cursor-move", {{"boardId", board}, {"x", i}, {"y", -i}});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // paces the load: 200 in ~1 s
  }
  Json created = watcher.WaitFor("presence created");  // alice joined by moving
  CHECK(created["user_id"] == Alice().id);
  Json last = watcher.WaitFor("cursor-moved", {{"x", 200}});
  CHECK(last["y"] == -200);
  CHECK(last["userId"] == Alice().id);
  CHECK(last["boardId"] == board);
  CHECK(last["presenceId"] == created["presence_id"]);
  size_t received = watcher.Count("cursor-moved");
  INFO(received << " cursor-moved for 200 moves");
  CHECK(received >= 5);  // about 20 a second: generous bounds, no timing target
  CHECK(received <= 60);
  mover.Emit("cursor-leave", {{"boardId", board}});
  Json left = watcher.WaitFor("cursor-left");
  CHECK(left["presenceId"] == created["presence_id"]);
  CHECK(watcher.Ok("find", {{{"board_id", board}}})[0]["cursor"].is_null());
  CHECK(mover.Count("cursor-moved") == 0);  // never to the sender
}

TEST_CASE("presence: a private board's presence stays with who may see it", "[e2e][presence]") {
  Daemon& d = Shared();
  std::string priv = NewBoard("private"), team = NewBoard();
  RestApi admin_rest(d);
  std::string membership = admin_rest.Post(
      "/board-members", {{"board_id", priv}, {"user_id", Alice().id}, {"role", "editor"}})["id"];
  Client admin(d.token()), alice(Alice().token), bob(Bob().token, "&board_id=" + team);
  admin.Ok("create", {{{"board_id", priv}}});
  std::string alice_id = alice.Ok("create", {{{"board_id", priv}}})["presence_id"];
  alice.Emit("cursor-move", {{"boardId", priv}, {"x", 1}, {"y", 1}});
  admin.WaitFor("cursor-moved", {{"presenceId", alice_id}});
  CHECK(bob.ErrorCode("find", {{{"board_id", priv}}}) == 404);
  CHECK(bob.ErrorCode("create", {{{"board_id", priv}}}) == 404);
  CHECK(bob.ErrorCode("get", {alice_id}) == 404);
  AuthClient(d.port(), Bob().token).Get("/presence?board_id=" + priv, 404);
  bob.Emit("cursor-move", {{"boardId", priv}, {"x", 1}, {"y", 1}});  // dropped
  admin.Ok("create", {{{"board_id", team}}});                        // a later frame for bob
  bob.WaitFor("presence created", {{"board_id", team}});
  for (const auto& e : bob.events) CHECK(e.dump().find(priv) == std::string::npos);
  // Revoking alice's membership removes her entry at once.
  admin.Ok("create", {{{"board_id", priv}}});
  admin_rest.Delete("/board-members/" + membership);
  CHECK(admin.WaitFor("presence removed", {{"presence_id", alice_id}})["user_id"] == Alice().id);
  CHECK(admin.Ok("find", {{{"board_id", priv}}}).size() == 1);
}

TEST_CASE("presence: bad input is refused and the connection stays", "[e2e][presence]") {
  Daemon& d = Shared();
  std::string board = NewBoard();
  Client alice(Alice().token);
  CHECK(alice.ErrorCode("create", {{{"board_id", board}, {"user_id", "x"}}}) == 400);
  CHECK(alice.ErrorCode("create", {{{"board_id", board}, {"cursor", {{"x", 1e8}, {"y", 0}}}}}) ==
        400);
  CHECK(alice.ErrorCode("create", {{{"board_id", board}, {"cursor", "here"}}}) == 400);
  CHECK(alice.ErrorCode("create", {{{"board_id", "00000000-0000-4000-8000-000000000000"}}}) == 404);
  CHECK(alice.ErrorCode("find", {Json::object()}) == 400);
  CHECK(alice.ErrorCode("update", {"x", Json::object()}) == 405);
  std::string id = alice.Ok("create", {{{"board_id", board}}})["presence_id"];
  CHECK(alice.ErrorCode("patch", {id, {{"board_id", board}}}) == 400);
  CHECK(alice.ErrorCode("patch", {"someone-else", {{"cursor", nullptr}}}) == 404);
  alice.Emit("cursor-move", {{"boardId", board}, {"x", "far"}, {"y", 0}});
  alice.Emit("cursor-move", "nonsense");
  alice.Emit("cursor-leave", 7);
  CHECK(alice.Ok("patch", {id, {{"cursor", {{"x", 1.5}, {"y", -2}}}}})["cursor"]["x"] == 1.5);
  Client anonymous("");
  CHECK(anonymous.ErrorCode("find", {{{"board_id", board}}}) == 401);
  AuthClient(d.port(), "").Get("/presence?board_id=" + board, 401);
  AuthClient rest(d.port(), Alice().token);
  rest.Get("/presence", 400);
  rest.Post("/presence", {{"board_id", board}}, 405);
  // Past 20 calls in a second: 429.
  int limited = 0;
  for (int i = 0; i < 30; ++i) {
    Json ack = alice.Call("find", {{{"board_id", board}}});
    limited += ack[0].is_object() && ack[0]["code"] == 429;
  }
  CHECK(limited > 0);
}

// A long-polling client that never polls again: its queue is the daemon's, nothing of it in
// the kernel. Its queue is filled past the cursor backlog (a quarter of --max-send-queue) with
// board events; then ten senders flood the board with cursors. Were cursors queued like other
// frames it would pass the queue's bound and be dropped; held, it stays, and gets each
// sender's latest cursor once it reads.
TEST_CASE("presence: a stalled recipient under a cursor flood stays connected and bounded",
          "[e2e][presence]") {
  Daemon& d = Shared();
  std::string board = NewBoard();
  httplib::Client http("127.0.0.1", d.port());
  http.set_read_timeout(10, 0);
  std::string base = "/socket.io/?EIO=4&transport=polling";
  auto open = http.Get(base.c_str());
  REQUIRE(open);
  std::string sid = Json::parse(open->body.substr(1))["sid"];
  base += "&sid=" + sid;
  std::string calls = test::ConnectPacket(d.token()) + "\x1e" + "421" +
                      Json::array({"create", "presence", {{"board_id", board}}}).dump();
  REQUIRE(http.Post(base.c_str(), calls, "text/plain")->body == "ok");
  RestApi rest(d);
  for (int i = 0; i < 24; ++i) rest.Post("/boards", {{"name", std::string(1000, 'f')}});
  std::vector<std::unique_ptr<Client>> senders;
  for (int i = 0; i < 10; ++i) senders.push_back(std::make_unique<Client>(Alice().token));
  for (int round = 1; round <= 60; ++round) {
    for (int i = 0; i < 10; ++i) {
      senders[i]->Emit("cursor-move", {{"boardId", board}, {"x", i}, {"y", round}});
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // paces the flood: ~1.2 s
  }
  senders[0]->WaitFor("cursor-moved", {{"x", 9}, {"y", 60}});  // the flood went through
  auto metrics = http.Get("/metrics", {{"Authorization", "Bearer " + d.token()}});
  REQUIRE(metrics);
  CHECK(metrics->body.find("\nagor_slow_clients_dropped_total 0") != std::string::npos);
  // Held for it: one per sender at most, and some (it was backed up).
  size_t at = metrics->body.find("\nagor_presence_held_cursors ");
  REQUIRE(at != std::string::npos);
  int held = std::stoi(metrics->body.substr(at + 28));
  CHECK(held > 0);
  CHECK(held <= 10);
  // It reads at last: everything queued, then (on a later tick) each sender's latest cursor.
  std::map<int, int> last;  // sender x -> latest y seen
  auto all_latest = [&] {
    if (last.size() < 10) return false;
    for (const auto& kv : last) {
      if (kv.second != 60) return false;
    }
    return true;
  };
  for (int polls = 0; polls < 50 && !all_latest(); ++polls) {
    auto got = http.Get(base.c_str());
    REQUIRE(got);
    REQUIRE(got->status == 200);  // the session is alive
    size_t at = 0;
    while ((at = got->body.find("42[\"cursor-moved\",", at)) != std::string::npos) {
      size_t end = got->body.find('\x1e', at);
      Json moved = Json::parse(
          got->body.substr(at + 2, end == std::string::npos ? std::string::npos : end - at - 2))[1];
      last[moved["x"].get<int>()] = moved["y"].get<int>();
      at += 2;
    }
  }
  REQUIRE(last.size() == 10);
  for (const auto& kv : last) CHECK(kv.second == 60);
}

}  // namespace
}  // namespace agor
