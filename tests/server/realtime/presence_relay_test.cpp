// PresenceRelay (server/realtime/presence_relay.h) and its message (presence_relay_message.h):
// the format, every refusal of hostile bytes, and two "nodes" (two presences on one store,
// each with its relay) on a real redis-server: a join, a cursor and a leave on one reach the
// other's watchers; a node starting late loads the other's snapshot; a node gone silent has
// its entries removed after the timeout; garbage on the channel changes nothing.
#include "server/realtime/presence_relay.h"

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/server/realtime/presence_fixture.h"
#include "tests/support/loop_runner.h"
#include "tests/support/redis_server.h"

namespace agor {
namespace {

using test::Conn;
using test::PresenceWorld;

PresenceEntry Entry() {
  PresenceEntry e;
  e.presence_id = "p-1";
  e.pid = "secret-pid";
  e.user_id = "u-1";
  e.board_id = "b-1";
  e.name = "Alice";
  e.has_cursor = true;
  e.x = 1.5;
  e.y = -2;
  e.selected_session_id = "s-1";
  e.last_active_ms = 1764700000000;
  return e;
}

TEST_CASE("presence relay: each message decodes to what was encoded, never with the pid",
          "[relay]") {
  PresenceRelayMessage m;
  m.node = "node-a";
  m.op = PresenceOp::kUpsert;
  m.entries.push_back(Entry());
  const std::string bytes = EncodePresenceRelayMessage(m);
  CHECK(bytes.find("secret-pid") == std::string::npos);
  PresenceRelayMessage out;
  REQUIRE(DecodePresenceRelayMessage(bytes, &out).ok());
  REQUIRE(out.entries.size() == 1);
  const PresenceEntry& e = out.entries[0];
  CHECK(out.node == "node-a");
  CHECK(e.presence_id == "p-1");
  CHECK(e.pid.empty());
  CHECK(e.name == "Alice");
  CHECK(e.emoji.is_null());
  CHECK((e.has_cursor && e.x == 1.5 && e.y == -2));
  CHECK(e.selected_session_id == "s-1");
  CHECK(e.typing_session_id.empty());
  CHECK(e.last_active_ms == 1764700000000);
  m = PresenceRelayMessage{"node-a", PresenceOp::kCursor, {}, "p-1", 3, 4, 99, 0};
  REQUIRE(DecodePresenceRelayMessage(EncodePresenceRelayMessage(m), &out).ok());
  CHECK((out.op == PresenceOp::kCursor && out.presence_id == "p-1" && out.x == 3 && out.y == 4 &&
         out.at_ms == 99));
  m = PresenceRelayMessage{"node-a", PresenceOp::kBeat, {}, "", 0, 0, 0, 7};
  REQUIRE(DecodePresenceRelayMessage(EncodePresenceRelayMessage(m), &out).ok());
  CHECK((out.op == PresenceOp::kBeat && out.count == 7));
  m = PresenceRelayMessage{"node-a", PresenceOp::kSnapshot, {Entry(), Entry()}, "", 0, 0, 0, 0};
  REQUIRE(DecodePresenceRelayMessage(EncodePresenceRelayMessage(m), &out).ok());
  CHECK(out.entries.size() == 2);
  // A name too long for the format is cut at a character, not refused by the others.
  m = PresenceRelayMessage{"node-a", PresenceOp::kUpsert, {Entry()}, "", 0, 0, 0, 0};
  m.entries[0].name = std::string(kMaxPresenceNameBytes - 1, 'a') + "\xc3\xa9";
  REQUIRE(DecodePresenceRelayMessage(EncodePresenceRelayMessage(m), &out).ok());
  CHECK(out.entries[0].name.get<std::string>().size() == kMaxPresenceNameBytes - 1);
}

TEST_CASE("presence relay: hostile messages are refused, naming why", "[relay]") {
  const std::string entry =
      R"({"presence_id":"p","user_id":"u","board_id":"b","name":null,"emoji":null,)"
      R"("cursor":null,"selected_session_id":null,"typing_session_id":null,"idle":false,)"
      R"("last_active":1})";
  auto upsert = [](const std::string& e) {
    return R"({"v":1,"node":"n","op":"upsert","entry":)" + e + "}";
  };
  auto with = [&](const std::string& from, const std::string& to) {
    std::string e = entry;
    e.replace(e.find(from), from.size(), to);
    return upsert(e);
  };
  PresenceRelayMessage out;
  REQUIRE(DecodePresenceRelayMessage(upsert(entry), &out).ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "Invalid presence relay message"},
      {"[1,2]", "not an object with v, node and op"},
      {R"({"v":2,"node":"n","op":"beat","n":1})", "unknown version"},
      {R"({"v":1,"node":"","op":"beat","n":1})", "node is not an id"},
      {R"({"v":1,"node":")" + std::string(65, 'n') + R"(","op":"beat","n":1})", "node is not"},
      {R"({"v":1,"node":"n","op":"hello","n":1})", "unknown op"},
      {R"({"v":1,"node":"n","op":7,"n":1})", "unknown op"},
      {R"({"v":1,"node":"n","op":"beat"})", "not exactly the keys"},
      {R"({"v":1,"node":"n","op":"beat","n":1,"x":1})", "not exactly the keys"},
      {R"({"v":1,"node":"n","op":"beat","id":"x"})", "not exactly the keys"},
      {R"({"v":1,"node":"n","op":"beat","n":-1})", "n is not an integer"},
      {R"({"v":1,"node":"n","op":"beat","n":1.5})", "n is not an integer"},
      {R"({"v":1,"node":"n","op":"remove","id":5})", "id is not an id"},
      {R"({"v":1,"node":"n","op":"cursor","id":"p","x":1e8,"y":0,"at":1})", "x is not a finite"},
      {R"({"v":1,"node":"n","op":"cursor","id":"p","x":0,"y":"0","at":1})", "y is not a finite"},
      {R"({"v":1,"node":"n","op":"left","id":"p","at":"1"})", "at is not an integer"},
      {R"({"v":1,"node":"n","op":"snapshot","entries":{}})", "entries is not an array"},
      {R"({"v":1,"node":"n","op":"snapshot","entries":[1]})", "not exactly its 10 keys"},
      {upsert("{}"), "not exactly its 10 keys"},
      {with("\"name\":null,", ""), "not exactly its 10 keys"},
      {with("\"name\":null", "\"pid\":\"x\""), "not exactly its 10 keys"},
      {with("\"p\"", "\"\""), "presence_id is not an id"},
      {with("\"u\"", "null"), "user_id is not an id"},
      {with("\"name\":null", "\"name\":5"), "name is not null or a string"},
      {with("\"name\":null", "\"name\":\"" + std::string(kMaxPresenceNameBytes + 1, 'a') + "\""),
       "name is not null or a string"},
      {with("\"cursor\":null", R"("cursor":{"x":1})"), "cursor is not null or {x, y}"},
      {with("\"cursor\":null", R"("cursor":{"x":1,"y":1e300})"), "y is not a finite"},
      {with("\"typing_session_id\":null", R"("typing_session_id":[])"),
       "typing_session_id is not an id"},
      {with("\"idle\":false", "\"idle\":0"), "idle is not a bool"},
      {with("\"last_active\":1", "\"last_active\":-5"), "last_active is not an integer"},
      {with("\"name\":null", "\"name\":\"\xff\""), "Invalid presence relay message"},
      {upsert(R"({"a":[[[[1]]]]})"), "Invalid presence relay message"},  // depth > 4
      {R"({"v":1,"node":"n","op":"beat","n":1})" + std::string(kMaxPresenceMessageBytes, ' '),
       "too long"},  // only a snapshot may be that long
      {std::string(kMaxPresenceSnapshotBytes + 1, ' '), "too long"},
  };
  for (const auto& [bytes, why] : bad) {
    INFO(bytes.substr(0, 120));
    Status s = DecodePresenceRelayMessage(bytes, &out);
    CHECK(s.code() == Code::kBadRequest);
    CHECK(s.message().find(why) != std::string::npos);
  }
  CHECK(out.entries.at(0).presence_id == "p");  // untouched by the refusals
}

// One node: its own hub and presence on the world's store, and its relay.
struct TestNode {
  TestNode(PresenceWorld& w, test::LoopRunner& loop, const std::string& url, const char* id)
      : hub(ChannelMode::kBoards, &w.store->access(), &w.clock),
        presence(
            w.store.get(), &hub, &w.clock, [](int, std::function<void()>) {},
            PresenceWorld::Options(100000)) {
    RedisConnectionOptions ro;
    ro.url = url;
    PresenceRelayOptions po;
    po.heartbeat_ms = 50;
    po.timeout_ms = 150;
    relay = std::make_unique<PresenceRelay>(
        std::make_unique<RedisConnection>(loop.io, ro), &presence, &w.clock,
        [&loop](int ms, std::function<void()> fn) {
          auto timer = std::make_shared<asio::steady_timer>(loop.io, std::chrono::milliseconds(ms));
          timer->async_wait([timer, fn](const asio::error_code&) { fn(); });
        },
        id, po);
  }
  ~TestNode() { relay.reset(); }
  Hub hub;
  Presence presence;
  std::unique_ptr<PresenceRelay> relay;
};

// Node A with alice connected, node B with bob watching the team board; nothing started.
struct TwoNodes {
  TwoNodes() {
    a.hub.Add(&alice.sub);
    b.hub.Add(&watcher.sub);
    b.hub.JoinBoard(&watcher.sub, w.team);
  }
  ~TwoNodes() { a.presence.Detach(&alice.sub); }
  void Up(TestNode& n) {
    REQUIRE(n.relay->Start().ok());
    REQUIRE(loop.RunUntil([&] { return n.relay->up(); }, 10000));
  }
  // Alice joins the team board on A: her presence_id.
  std::string JoinAlice() {
    Json out;
    ServiceCall join{"create", "presence", nullptr, {{"board_id", w.team}}, {}, alice.sub.caller};
    REQUIRE(a.presence.Call(join, &alice.sub, alice.pid, &out).ok());
    return out["presence_id"];
  }

  test::RedisServer server;
  test::LoopRunner loop;
  PresenceWorld w;
  TestNode a{w, loop, server.url(), "node-a"}, b{w, loop, server.url(), "node-b"};
  Conn alice{w.alice, "pa"}, watcher{w.bob, "pw"};
};

TEST_CASE("presence relay: two nodes share rosters, cursors and leaves", "[relay]") {
  TwoNodes n;
  TestNode &a = n.a, &b = n.b;
  Conn &alice = n.alice, &watcher = n.watcher;
  PresenceWorld& w = n.w;
  test::LoopRunner& loop = n.loop;
  // Alice joins on A before B is up: B loads A's snapshot when it comes up.
  n.Up(a);
  const std::string id = n.JoinAlice();
  REQUIRE(loop.RunUntil([&] { return a.relay->stats().published >= 3; }, 10000));  // a beat
  REQUIRE(b.relay->Start().ok());
  REQUIRE(loop.RunUntil([&] { return !watcher.Got("presence created").empty(); }, 10000));
  CHECK(watcher.Got("presence created")[0]["presence_id"] == id);
  CHECK(b.presence.registry().ById(id)->pid.empty());  // the recovery pid stayed on A
  // A cursor sent on A's tick reaches B's watcher on B's tick.
  Json move{{"boardId", w.team}, {"x", 10}, {"y", 20}};
  a.presence.CursorMove(&alice.sub, alice.pid, move);
  a.presence.Flush();
  REQUIRE(loop.RunUntil(
      [&] {
        b.presence.Flush();
        return !watcher.Got("cursor-moved").empty();
      },
      10000));
  CHECK(watcher.Got("cursor-moved")[0]["presenceId"] == id);
  CHECK(watcher.Got("cursor-moved")[0]["x"] == 10.0);
  // A node silent past the timeout (A closes: no more beats) leaves with its entries.
  a.relay->Close();
  REQUIRE(loop.RunUntil(
      [&] {
        w.clock.now += 50;  // the relays time nodes by the world's clock
        return !watcher.Got("presence removed").empty();
      },
      10000));
  CHECK(watcher.Got("presence removed")[0]["presence_id"] == id);
  CHECK(b.presence.registry().remote() == 0);
  CHECK(b.relay->stats().expired == 1);
}

TEST_CASE("presence relay: a beat whose count differs brings the node's snapshot", "[relay]") {
  TwoNodes n;
  TestNode &a = n.a, &b = n.b;
  Conn& watcher = n.watcher;
  test::LoopRunner& loop = n.loop;
  n.Up(b);
  REQUIRE(a.relay->Start().ok());
  REQUIRE(loop.RunUntil([&] { return b.relay->nodes() == 1; }, 10000));  // A's first beat
  // An entry B holds of A that A does not have (as if B had missed A's remove).
  PresenceEntry ghost;
  ghost.node = "node-a";
  ghost.presence_id = "ghost";
  ghost.user_id = n.w.alice;
  ghost.board_id = n.w.team;
  REQUIRE(b.presence.PutRemote(ghost));
  REQUIRE(loop.RunUntil([&] { return !watcher.Got("presence removed").empty(); }, 10000));
  CHECK(watcher.Got("presence removed")[0]["presence_id"] == "ghost");
  CHECK(b.presence.registry().remote() == 0);
}

TEST_CASE("presence relay: after a Redis restart the snapshots come back for a new node",
          "[relay]") {
  TwoNodes n;
  TestNode &a = n.a, &b = n.b;
  test::LoopRunner& loop = n.loop;
  n.Up(a);
  const std::string id = n.JoinAlice();
  n.server.Stop();  // empty when it comes back: A's snapshot and the node set are gone
  REQUIRE(loop.RunUntil([&] { return !a.relay->up(); }, 10000));
  n.server.Start();
  REQUIRE(loop.RunUntil([&] { return a.relay->up(); }, 10000));
  REQUIRE(b.relay->Start().ok());
  REQUIRE(loop.RunUntil([&] { return !n.watcher.Got("presence created").empty(); }, 10000));
  CHECK(n.watcher.Got("presence created")[0]["presence_id"] == id);
}

TEST_CASE("presence relay: garbage on the channel is counted and changes nothing", "[relay]") {
  test::RedisServer server;
  test::LoopRunner loop;
  PresenceWorld w;
  TestNode b(w, loop, server.url(), "node-b");
  REQUIRE(b.relay->Start().ok());
  REQUIRE(loop.RunUntil([&] { return b.relay->up(); }, 10000));
  RedisConnectionOptions ro;
  ro.url = server.url();
  RedisConnection raw(loop.io, ro);
  REQUIRE(raw.Start().ok());
  REQUIRE(loop.RunUntil([&] { return raw.up(); }, 10000));
  const std::vector<std::string> junk = {"{", R"({"v":1,"node":"x","op":"snapshot","entries":[]})",
                                         R"({"v":1,"node":"x","op":"upsert","entry":{}})"};
  for (const auto& j : junk)
    raw.Command({"PUBLISH", "agor:presence", j}, [](Status, RedisReply) {});
  REQUIRE(loop.RunUntil([&] { return b.relay->stats().invalid == 3; }, 10000));
  CHECK(b.presence.registry().size() == 0);
  CHECK(b.relay->nodes() == 0);
  raw.Close();
}

}  // namespace
}  // namespace agor
