#include "server/realtime/hub.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "server/realtime/engine_server.h"
#include "tests/server/realtime/realtime_fixture.h"

namespace agor {
namespace {

using test::FakeSocket;
using test::World;

// A connection on the hub. The routing tests make it an admin's, whom the policy lets see
// every event, so only the routing decides.
struct Client {
  Client() {
    sub.socket = &socket;
    sub.caller.user_id = admin_id;
  }
  static std::string admin_id;
  FakeSocket socket;
  Subscriber sub;
};
std::string Client::admin_id;

// A world whose admin the routing tests' clients are.
struct RoutingWorld : World {
  RoutingWorld() { Client::admin_id = admin; }
};

Event MakeEvent(const char* service, const char* board, const char* session, int64_t seq) {
  Event ev;
  ev.seq = seq;
  ev.service = service;
  ev.event = "created";
  ev.board_id = board;
  ev.session_id = session;
  ev.record = {{"x", 1}};
  return ev;
}

TEST_CASE("boards mode routes by board and session, each recipient once", "[hub]") {
  RoutingWorld w;
  Hub hub(ChannelMode::kBoards, &w.store->access(), &w.clock);
  Client on_a, on_b, on_s1, on_a_and_s1, none;
  for (Client* c : {&on_a, &on_b, &on_s1, &on_a_and_s1, &none}) hub.Add(&c->sub);
  hub.JoinBoard(&on_a.sub, "A");
  hub.JoinBoard(&on_b.sub, "B");
  hub.JoinSession(&on_s1.sub, "s1");
  hub.JoinBoard(&on_a_and_s1.sub, "A");
  hub.JoinSession(&on_a_and_s1.sub, "s1");

  CHECK(hub.Publish(MakeEvent("messages", "A", "s1", 7)) == 3);
  CHECK(on_a.socket.frames.size() == 1);
  CHECK(on_s1.socket.frames.size() == 1);
  CHECK(on_a_and_s1.socket.frames.size() == 1);
  CHECK(on_b.socket.frames.empty());
  CHECK(none.socket.frames.empty());
  CHECK(on_a.socket.frames[0] == "42[\"messages created\",{\"x\":1},\"7\"]");

  CHECK(hub.Publish(MakeEvent("boards", "B", "", 8)) == 5);  // board lists stay live
  CHECK(hub.Publish(MakeEvent("repos", "", "", 9)) == 5);
  hub.LeaveBoard(&on_a.sub, "A");
  CHECK(hub.Publish(MakeEvent("tasks", "A", "s2", 10)) == 1);
  hub.Remove(&on_a_and_s1.sub);
  CHECK(hub.Publish(MakeEvent("tasks", "A", "s1", 11)) == 1);
  CHECK(hub.size() == 4);
}

TEST_CASE("everybody mode sends every event to every client", "[hub]") {
  RoutingWorld w;
  Hub hub(ChannelMode::kEverybody, &w.store->access(), &w.clock);
  Client a, b;
  hub.Add(&a.sub);
  hub.Add(&b.sub);
  CHECK(hub.Publish(MakeEvent("messages", "A", "s1", 1)) == 2);
  CHECK(hub.Wants(a.sub, MakeEvent("messages", "Z", "z", 2)));
}

TEST_CASE("events outside the log carry no offset", "[hub]") {
  Event ev = MakeEvent("messages", "A", "s", 0);
  ev.event = "streaming";
  CHECK(Hub::EncodeFrame(ev) == "42[\"messages streaming\",{\"x\":1}]");
}

TEST_CASE("connections that opted in get log entries, serialized once, others stock frames",
          "[hub]") {
  RoutingWorld w;
  Hub hub(ChannelMode::kBoards, &w.store->access(), &w.clock);
  Client stock, entries1, entries2, elsewhere;
  entries1.sub.log_entries = entries2.sub.log_entries = elsewhere.sub.log_entries = true;
  for (Client* c : {&stock, &entries1, &entries2, &elsewhere}) hub.Add(&c->sub);
  hub.JoinBoard(&stock.sub, "A");
  hub.JoinBoard(&entries1.sub, "A");
  hub.JoinSession(&entries2.sub, "s1");
  Event ev = MakeEvent("messages", "A", "s1", 7);
  ev.ts = "2026-12-01T22:00:00.123Z";
  ev.actor_id = "u1";  // log entries say who caused the event
  ev.actor_agent = "claude-code";
  CHECK(hub.Publish(ev) == 3);
  // Stock clients: byte for byte the frame they always got.
  REQUIRE(stock.socket.frames.size() == 1);
  CHECK(stock.socket.frames[0] == "42[\"messages created\",{\"x\":1},\"7\"]");
  const std::string entry =
      "42[\"events created\",{\"seq\":7,\"ts\":\"2026-12-01T22:00:00.123Z\","
      "\"service\":\"messages\",\"event\":\"created\",\"board_id\":\"A\",\"session_id\":\"s1\","
      "\"record\":{\"x\":1},\"actor\":{\"user_id\":\"u1\",\"agent\":\"claude-code\"}},\"7\"]";
  REQUIRE(entries1.socket.frames.size() == 1);
  REQUIRE(entries2.socket.frames.size() == 1);
  CHECK(entries1.socket.frames[0] == entry);
  CHECK(entries2.socket.frames[0] == entry);
  CHECK(entries1.socket.shared[0] == entries2.socket.shared[0]);  // one serialization
  CHECK(entries1.socket.shared[0] != stock.socket.shared[0]);
  CHECK(elsewhere.socket.frames.empty());
  CHECK(Hub::EncodeFrameFor(entries1.sub, ev) == entry);
  CHECK(Hub::EncodeFrameFor(stock.sub, ev) == stock.socket.frames[0]);

  Event repo = MakeEvent("repos", "", "", 8);  // no board, no session: nulls, as GET /events
  repo.ts = "t";
  repo.record_json = "{\"repo_id\":\"r\"}";  // spliced in as made by the log
  hub.Publish(repo);
  CHECK(elsewhere.socket.frames.back() ==
        "42[\"events created\",{\"seq\":8,\"ts\":\"t\",\"service\":\"repos\",\"event\":\"created\","
        "\"board_id\":null,\"session_id\":null,\"record\":{\"repo_id\":\"r\"},"
        "\"actor\":{\"user_id\":null,\"agent\":null}},\"8\"]");
  CHECK(stock.socket.frames.back() == "42[\"repos created\",{\"repo_id\":\"r\"},\"8\"]");
}

TEST_CASE("events outside the log reach log-entry connections as stock frames", "[hub]") {
  RoutingWorld w;
  Hub hub(ChannelMode::kEverybody, &w.store->access(), &w.clock);
  Client entries;
  entries.sub.log_entries = true;
  hub.Add(&entries.sub);
  Event ev = MakeEvent("messages", "A", "s", 0);
  ev.event = "streaming";
  hub.Publish(ev);
  REQUIRE(entries.socket.frames.size() == 1);
  CHECK(entries.socket.frames[0] == "42[\"messages streaming\",{\"x\":1}]");
}

// One connection of a given caller (or none).
struct Viewer {
  Viewer(const std::string& user, int64_t expires_ms = 0) {
    sub.socket = &socket;
    sub.caller.user_id = user;
    sub.caller.expires_ms = expires_ms;
  }
  FakeSocket socket;
  Subscriber sub;
};

TEST_CASE("an event reaches only authenticated, unexpired callers who may see it, in both modes",
          "[hub]") {
  const ChannelMode mode = GENERATE(ChannelMode::kEverybody, ChannelMode::kBoards);
  World w;
  Hub hub(mode, &w.store->access(), &w.clock);
  Viewer nobody(""), admin(w.admin), alice(w.alice), bob(w.bob);
  Viewer expired(w.alice, w.clock.now);  // expires at this very instant: already gone
  Viewer later(w.alice, w.clock.now + 1000);
  std::vector<Viewer*> all{&nobody, &admin, &alice, &bob, &expired, &later};
  for (Viewer* v : all) {
    hub.Add(&v->sub);
    hub.JoinBoard(&v->sub, w.team);  // the channels never widen what the policy allows
    hub.JoinBoard(&v->sub, w.priv);
  }
  auto got = [&] {
    std::vector<size_t> counts;
    for (Viewer* v : all) counts.push_back(v->socket.frames.size());
    return counts;
  };
  CHECK(hub.Publish(MakeEvent("messages", w.priv.c_str(), "s1", 100)) == 3);
  CHECK(got() == std::vector<size_t>{0, 1, 1, 0, 0, 1});
  CHECK(hub.Publish(MakeEvent("messages", w.team.c_str(), "s2", 101)) == 4);
  CHECK(got() == std::vector<size_t>{0, 2, 2, 1, 0, 2});
  Event board = MakeEvent("boards", w.priv.c_str(), "", 102);
  board.event = "patched";
  CHECK(hub.Publish(board) == 3);
  CHECK(got() == std::vector<size_t>{0, 3, 3, 1, 0, 3});
  Event streamed = MakeEvent("messages", w.priv.c_str(), "s1", 0);
  streamed.event = "streaming";
  CHECK(hub.Publish(streamed) == 3);
  CHECK_FALSE(hub.Wants(bob.sub, streamed));
  CHECK(hub.Wants(alice.sub, streamed));
  CHECK_FALSE(hub.Wants(nobody.sub, MakeEvent("repos", "", "", 103)));

  // The token of `later` expires: from that instant it gets nothing.
  w.clock.now += 1000;
  CHECK(hub.Publish(MakeEvent("messages", w.team.c_str(), "s2", 104)) == 3);
  CHECK(later.socket.frames.size() == 4);
  CHECK_FALSE(hub.Wants(later.sub, MakeEvent("messages", w.team.c_str(), "s2", 105)));
}

TEST_CASE("revocation holds from its commit: the removed member hears of it, then nothing more",
          "[hub]") {
  const ChannelMode mode = GENERATE(ChannelMode::kEverybody, ChannelMode::kBoards);
  World w;
  Hub hub(mode, &w.store->access(), &w.clock);
  w.store->SetCommitListener([&](const Event& ev) { hub.Publish(ev); });
  std::string carol = w.User("carol@example.com", "member");
  w.Member(w.priv, carol, "viewer");
  Viewer alice(w.alice), carol_on(carol), bob(w.bob);
  for (Viewer* v : {&alice, &carol_on, &bob}) hub.Add(&v->sub);
  hub.JoinBoard(&alice.sub, w.priv);
  hub.JoinBoard(&carol_on.sub, w.priv);
  Json record;
  REQUIRE(w.store->Patch("boards", w.priv, Json{{"description", "one"}}, &record).ok());
  CHECK(alice.socket.frames.size() == 1);
  CHECK(carol_on.socket.frames.size() == 1);
  CHECK(bob.socket.frames.empty());

  REQUIRE(w.store->Remove("board-members", w.alice_member, &record).ok());
  REQUIRE(alice.socket.frames.size() == 2);  // the removal of themself
  CHECK(alice.socket.frames[1].find("board-members removed") != std::string::npos);
  CHECK(bob.socket.frames.empty());  // nothing tells bob a private board exists

  REQUIRE(w.store->Patch("boards", w.priv, Json{{"description", "two"}}, &record).ok());
  CHECK(alice.socket.frames.size() == 2);
  CHECK(carol_on.socket.frames.size() == 3);
}

TEST_CASE("a board's channel lists who joined it, in either mode", "[hub]") {
  RoutingWorld w;
  Hub hub(ChannelMode::kEverybody, &w.store->access(), &w.clock);
  Client on_a, other;
  hub.Add(&on_a.sub);
  hub.Add(&other.sub);
  CHECK(hub.BoardChannel("A") == nullptr);
  hub.JoinBoard(&on_a.sub, "A");
  REQUIRE(hub.BoardChannel("A") != nullptr);
  CHECK(hub.BoardChannel("A")->size() == 1);
  CHECK(hub.BoardChannel("A")->count(&on_a.sub) == 1);
  hub.Remove(&on_a.sub);
  CHECK(hub.BoardChannel("A") == nullptr);
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

TEST_CASE("a recovered client skips the live events its recovery already sent", "[hub]") {
  RoutingWorld w;
  Hub hub(ChannelMode::kBoards, &w.store->access(), &w.clock);
  Client c;
  c.sub.seen_through = 8;  // replayed up to 8 on a node whose deliveries were at 6
  hub.Add(&c.sub);
  hub.JoinBoard(&c.sub, "A");
  CHECK_FALSE(hub.Wants(c.sub, MakeEvent("messages", "A", "", 8)));
  CHECK(hub.Publish(MakeEvent("messages", "A", "", 7)) == 0);
  CHECK(hub.Publish(MakeEvent("messages", "A", "", 8)) == 0);
  CHECK(hub.Publish(MakeEvent("messages", "A", "", 9)) == 1);
  CHECK(hub.Publish(MakeEvent("messages", "A", "", 0)) == 1);  // streamed text has no seq
  CHECK(c.socket.frames.size() == 2);
}

TEST_CASE("the interest hook hears a channel's first join and last leave only", "[hub]") {
  RoutingWorld w;
  Hub hub(ChannelMode::kBoards, &w.store->access(), &w.clock);
  std::vector<std::string> edges;
  hub.SetInterestHook([&](Hub::ChannelKind kind, const std::string& id, bool wanted) {
    edges.push_back(std::string(kind == Hub::kBoardChannel ? "board " : "session ") + id +
                    (wanted ? " +" : " -"));
  });
  Client a, b;
  hub.Add(&a.sub);
  hub.Add(&b.sub);
  hub.JoinBoard(&a.sub, "A");
  hub.JoinBoard(&b.sub, "A");
  hub.JoinBoard(&a.sub, "A");  // again: no edge
  hub.JoinSession(&b.sub, "s1");
  hub.LeaveBoard(&a.sub, "A");
  hub.LeaveBoard(&a.sub, "A");  // not a member any more: no edge
  hub.Remove(&b.sub);           // its last channels go with it
  CHECK(edges ==
        std::vector<std::string>{"board A +", "session s1 +", "board A -", "session s1 -"});
}

}  // namespace
}  // namespace agor
