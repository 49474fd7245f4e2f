// Presence (server/realtime/presence.h) with a fake clock and fake sockets: the roster and who
// hears of it, validation, coalesced cursors and the cursors held for a backed-up recipient,
// typing, idleness, the disconnect grace, loss of access and the rate limits.
#include "server/realtime/presence.h"

#include <catch2/catch.hpp>

#include "tests/server/realtime/presence_fixture.h"

namespace agor {
namespace {

using test::Conn;
using test::FakeSocket;
using test::PresenceWorld;
using test::StartsWith;
using test::World;

TEST_CASE("create joins a board: the roster and who hears of it", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), b(w.bob, "pb"), watcher(w.bob, "pw"), elsewhere(w.bob, "pe");
  w.hub.Add(&watcher.sub);
  w.hub.JoinBoard(&watcher.sub, w.team);
  Json entry = w.Join(a, w.team);
  CHECK(entry["user_id"] == w.alice);
  CHECK(entry["name"] == "alice@example.com");
  CHECK(entry["board_id"] == w.team);
  CHECK(entry["cursor"].is_null());
  CHECK(entry["idle"] == false);
  CHECK(entry["presence_id"] != "pa");  // never the recovery pid
  CHECK(a.Got("presence created").size() == 1);
  CHECK(watcher.Got("presence created").size() == 1);  // on the board's channel
  CHECK(elsewhere.socket.frames.empty());
  CHECK(StartsWith(watcher.socket.frames[0], "42[\"presence created\",{"));
  CHECK(watcher.socket.frames[0].back() == ']');  // no offset: seq-less
  w.Join(b, w.team);
  CHECK(a.Got("presence created").size() == 2);  // on the board: hears the next one
  Json roster;
  REQUIRE(w.Call(elsewhere, "find", nullptr, nullptr, &roster, {{"board_id", w.team}}).ok());
  CHECK(roster.size() == 2);
  // REST (no connection) finds and gets, but cannot write.
  Json out;
  ServiceCall rest{"find", "presence", nullptr, nullptr, {{"board_id", w.team}}, b.sub.caller};
  REQUIRE(w.presence.Call(rest, nullptr, "", &out).ok());
  CHECK(out.size() == 2);
  rest.method = "create";
  rest.data = Json{{"board_id", w.team}};
  CHECK(w.presence.Call(rest, nullptr, "", &out).code() == Code::kMethodNotAllowed);
}

TEST_CASE("a private board's presence reaches only who may see it", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), bob(w.bob, "pb");
  w.hub.Add(&bob.sub);
  w.hub.JoinBoard(&bob.sub, w.priv);  // as if he had joined before losing access
  w.Join(a, w.priv);
  CHECK(bob.socket.frames.empty());
  Json out;
  CHECK(w.Call(bob, "create", nullptr, {{"board_id", w.priv}}, &out).code() == Code::kNotFound);
  CHECK(w.Call(bob, "find", nullptr, nullptr, &out, {{"board_id", w.priv}}).code() ==
        Code::kNotFound);
  std::string id = a.Got("presence created")[0]["presence_id"];
  CHECK(w.Call(bob, "get", id, nullptr, &out).code() == Code::kNotFound);
  // An expired caller hears nothing either.
  Conn late(w.alice, "pl");
  late.sub.caller.expires_ms = w.clock.now;
  w.hub.Add(&late.sub);
  w.hub.JoinBoard(&late.sub, w.priv);
  w.Call(a, "patch", id, {{"cursor", {{"x", 1}, {"y", 2}}}}, &out);
  CHECK(late.socket.frames.empty());
  CHECK(a.Got("presence patched").size() == 1);
}

TEST_CASE("presence refuses bad input", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), b(w.bob, "pb");
  Json out;
  auto code = [&](Json data) { return w.Call(a, "create", nullptr, std::move(data), &out).code(); };
  CHECK(code({{"board_id", w.team}, {"user_id", w.bob}}) == Code::kBadRequest);
  CHECK(code({{"cursor", nullptr}}) == Code::kBadRequest);  // no board
  CHECK(code({{"board_id", 7}}) == Code::kBadRequest);
  CHECK(code("team") == Code::kBadRequest);
  CHECK(code({{"board_id", "00000000-0000-4000-8000-000000000000"}}) == Code::kNotFound);
  CHECK(code({{"board_id", w.team}, {"cursor", {{"x", 1e8}, {"y", 0}}}}) == Code::kBadRequest);
  CHECK(code({{"board_id", w.team}, {"cursor", {{"x", "1"}, {"y", 0}}}}) == Code::kBadRequest);
  CHECK(code({{"board_id", w.team}, {"cursor", {{"x", 1}}}}) == Code::kBadRequest);
  CHECK(code({{"board_id", w.team}, {"cursor", {{"x", 1}, {"y", 1}, {"z", 1}}}}) ==
        Code::kBadRequest);
  std::string on_priv = w.Session(w.priv);
  CHECK(code({{"board_id", w.team}, {"selected_session_id", on_priv}}) == Code::kBadRequest);
  CHECK(code({{"board_id", w.team},
              {"typing_session_id",
               "00000000-0000-4000-8000-00000000000"
               "0"}}) == Code::kNotFound);
  CHECK(code({{"board_id", w.team}, {"selected_session_id", 3}}) == Code::kBadRequest);
  CHECK(w.presence.registry().size() == 0);  // nothing half-done
  Json entry = w.Join(a, w.team);
  std::string id = entry["presence_id"];
  CHECK(w.Call(a, "patch", id, {{"board_id", w.priv}}, &out).code() == Code::kBadRequest);
  CHECK(w.Call(b, "patch", id, {{"cursor", nullptr}}, &out).code() == Code::kNotFound);
  CHECK(w.Call(b, "remove", id, nullptr, &out).code() == Code::kNotFound);
  CHECK(w.Call(a, "remove", nullptr, nullptr, &out).code() == Code::kMethodNotAllowed);
  CHECK(w.Call(a, "update", id, {{"cursor", nullptr}}, &out).code() == Code::kMethodNotAllowed);
  CHECK(w.Call(a, "find", nullptr, nullptr, &out, {{"board_id", w.team}, {"$limit", 1}}).code() ==
        Code::kBadRequest);
  CHECK(w.Call(a, "find", nullptr, nullptr, &out).code() == Code::kBadRequest);
  Conn anon("", "px");
  CHECK(w.Call(anon, "find", nullptr, nullptr, &out, {{"board_id", w.team}}).code() ==
        Code::kNotAuthenticated);
}

TEST_CASE("selection, typing that expires, idleness and leaving", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), b(w.bob, "pb");
  std::string other = w.Board("other", "team");
  std::string s1 = w.Session(w.team);
  std::string id = w.Join(a, w.team)["presence_id"];
  w.Join(b, w.team);
  Json out;
  REQUIRE(
      w.Call(a, "patch", id, {{"selected_session_id", s1}, {"typing_session_id", s1}}, &out).ok());
  CHECK(out["selected_session_id"] == s1);
  CHECK(b.Got("presence patched").back()["typing_session_id"] == s1);
  w.clock.now += 4999;
  w.presence.Sweep();
  CHECK(b.Got("presence patched").size() == 1);
  w.clock.now += 1;
  w.presence.Sweep();
  REQUIRE(b.Got("presence patched").size() == 2);
  CHECK(b.Got("presence patched").back()["typing_session_id"].is_null());
  CHECK(b.Got("presence patched").back()["selected_session_id"] == s1);
  w.clock.now += 55000;  // 60 s after alice's patch
  w.presence.Sweep();
  bool idle = false;
  for (const auto& p : b.Got("presence patched"))
    idle |= p["presence_id"] == id && p["idle"] == true;
  CHECK(idle);
  w.presence.CursorMove(&a.sub, a.pid, {{"boardId", w.team}, {"x", 1}, {"y", 2}});
  CHECK(b.Got("presence patched").back()["idle"] == false);
  // Joining another board leaves this one.
  w.Join(a, other);
  CHECK(b.Got("presence removed").size() == 1);
  CHECK(w.presence.registry().RosterOf(w.team).size() == 1);
  std::string id2 = a.Got("presence created").back()["presence_id"];
  REQUIRE(w.Call(a, "remove", id2, nullptr, &out).ok());
  CHECK(w.presence.registry().size() == 1);
}

TEST_CASE("cursor moves are coalesced per sender, the latest winning", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), b(w.bob, "pb");
  w.Join(b, w.team);
  for (int i = 1; i <= 10; ++i) {
    w.presence.CursorMove(&a.sub, a.pid, {{"boardId", w.team}, {"x", i}, {"y", -i}});
  }
  CHECK(b.Got("presence created").size() == 2);  // alice joined implicitly
  CHECK(w.armed == 1);                           // one tick armed for the burst
  CHECK(b.Got("cursor-moved").empty());
  w.presence.Flush();
  auto moved = b.Got("cursor-moved");
  REQUIRE(moved.size() == 1);
  CHECK(moved[0]["x"] == 10);
  CHECK(moved[0]["y"] == -10);
  CHECK(moved[0]["userId"] == w.alice);
  CHECK(moved[0]["boardId"] == w.team);
  CHECK(moved[0]["timestamp"] == w.clock.now);
  CHECK(a.Got("cursor-moved").empty());  // not to the sender
  w.presence.Flush();                    // nothing new: nothing sent
  CHECK(b.Got("cursor-moved").size() == 1);
  w.presence.CursorLeave(&a.sub, {{"boardId", w.team}});
  CHECK(b.Got("cursor-left").size() == 1);
  Json roster;
  w.Call(b, "find", nullptr, nullptr, &roster, {{"board_id", w.team}});
  for (const auto& e : roster) CHECK(e["cursor"].is_null());
  // Bad moves are dropped: unknown fields, far coordinates, boards one may not see.
  Conn bob2(w.bob, "pb2");
  w.presence.CursorMove(&bob2.sub, bob2.pid, {{"boardId", w.team}, {"x", 1}, {"y", 1}, {"z", 1}});
  w.presence.CursorMove(&bob2.sub, bob2.pid, {{"boardId", w.team}, {"x", 1e9}, {"y", 1}});
  w.presence.CursorMove(&bob2.sub, bob2.pid, {{"boardId", w.priv}, {"x", 1}, {"y", 1}});
  w.presence.CursorMove(&bob2.sub, bob2.pid, Json::array());
  CHECK(w.presence.registry().BySub(&bob2.sub) == nullptr);
}

TEST_CASE("a backed-up recipient gets only the latest cursor of each sender", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), c(w.admin, "pc"), slow(w.bob, "ps");
  w.Join(slow, w.team);
  slow.socket.queued = 5000;  // past backlog_bytes
  for (int round = 1; round <= 3; ++round) {
    w.presence.CursorMove(&a.sub, a.pid, {{"boardId", w.team}, {"x", round}, {"y", 0}});
    w.presence.CursorMove(&c.sub, c.pid, {{"boardId", w.team}, {"x", 10 * round}, {"y", 0}});
    w.presence.Flush();
  }
  CHECK(slow.Got("cursor-moved").empty());
  CHECK(w.presence.held() == 2);             // one per sender, never more
  CHECK(a.Got("cursor-moved").size() == 3);  // the others were not held back
  slow.socket.queued = 0;
  w.presence.Flush();
  auto moved = slow.Got("cursor-moved");
  REQUIRE(moved.size() == 2);
  for (const auto& m : moved) CHECK((m["x"] == 3 || m["x"] == 30));
  CHECK(w.presence.held() == 0);
  // A sender that leaves takes what is held of it along.
  slow.socket.queued = 5000;
  w.presence.CursorMove(&a.sub, a.pid, {{"boardId", w.team}, {"x", 4}, {"y", 0}});
  w.presence.Flush();
  CHECK(w.presence.held() == 1);
  w.presence.CursorLeave(&a.sub, {{"boardId", w.team}});
  CHECK(w.presence.held() == 0);
  w.presence.Detach(&slow.sub);
}

TEST_CASE("a closed connection keeps its entry through the grace, a recovery takes it back",
          "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), b(w.bob, "pb");
  w.Join(b, w.team);
  std::string id = w.Join(a, w.team)["presence_id"];
  w.presence.Detach(&a.sub);
  w.clock.now += 4000;
  w.presence.Sweep();
  CHECK(b.Got("presence removed").empty());
  Conn back(w.alice, "pa");  // the same pid, recovered
  w.presence.Attach(&back.sub, back.pid);
  w.clock.now += 4000;
  w.presence.Sweep();
  CHECK(b.Got("presence removed").empty());
  REQUIRE(w.presence.registry().BySub(&back.sub) != nullptr);
  CHECK(w.presence.registry().BySub(&back.sub)->presence_id == id);
  CHECK(b.Got("presence created").size() == 2);  // b's own and alice's first, no flicker
  // Another user recovering the pid does not get the entry; the grace ends it.
  w.presence.Detach(&back.sub);
  Conn thief(w.bob, "pa");
  w.presence.Attach(&thief.sub, thief.pid);
  CHECK(w.presence.registry().BySub(&thief.sub) == nullptr);
  w.clock.now += 5000;
  w.presence.Sweep();
  REQUIRE(b.Got("presence removed").size() == 1);
  CHECK(b.Got("presence removed")[0]["presence_id"] == id);
  // A connection whose caller changes leaves with its user.
  w.Join(thief, w.team);
  thief.sub.caller = Caller();
  w.presence.Attach(&thief.sub, thief.pid);
  CHECK(w.presence.registry().size() == 1);
}

TEST_CASE("losing access to the board removes the entry at once", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), adm(w.admin, "pm");
  w.Join(adm, w.priv);
  w.Join(a, w.priv);
  Json record;
  REQUIRE(w.store->Remove("board-members", w.alice_member, &record).ok());
  REQUIRE(w.store->Commit().ok());
  Event ev;
  ev.service = "board-members";
  ev.event = "removed";
  ev.board_id = w.priv;
  ev.user_id = w.alice;
  ev.record = record;
  w.presence.OnCommitted(ev);
  CHECK(adm.Got("presence removed").size() == 1);
  CHECK(a.Got("presence removed").empty());  // no longer theirs to see
  CHECK(w.presence.registry().RosterOf(w.priv).size() == 1);
  // A user's new name follows.
  Json user;
  REQUIRE(w.store->PatchUser(w.admin, {{"name", "root"}}, "", &user).ok());
  ev.service = "users";
  ev.event = "patched";
  ev.user_id = w.admin;
  ev.record = user;
  w.presence.OnCommitted(ev);
  CHECK(adm.Got("presence patched").back()["name"] == "root");
}

TEST_CASE("presence calls and cursor moves are rate limited per connection", "[presence]") {
  PresenceWorld w(20);
  Conn a(w.alice, "pa"), b(w.bob, "pb");
  w.Join(b, w.team);
  Json out;
  int refused = 0;
  for (int i = 0; i < 25; ++i) {
    Status s = w.Call(a, "find", nullptr, nullptr, &out, {{"board_id", w.team}});
    if (s.code() == Code::kTooManyRequests) ++refused;
  }
  CHECK(refused == 5);
  for (int i = 1; i <= 260; ++i) {
    w.presence.CursorMove(&a.sub, a.pid, {{"boardId", w.team}, {"x", i}, {"y", 0}});
  }
  w.presence.Flush();
  CHECK(b.Got("cursor-moved").back()["x"] == 250);  // the ones past 250 dropped
  w.clock.now += 1000;                              // a new second
  w.presence.CursorMove(&a.sub, a.pid, {{"boardId", w.team}, {"x", 99}, {"y", 0}});
  REQUIRE(w.Call(a, "find", nullptr, nullptr, &out, {{"board_id", w.team}}).ok());
  w.presence.Flush();
  CHECK(b.Got("cursor-moved").back()["x"] == 99);
}

// The fast path (DecodeCursorEvent, no JSON tree) reaches the same code: same coalescing,
// bounds, rate limit, implicit join and leave as the JSON path above.
TEST_CASE("cursor events decoded by the fast path act as the JSON ones", "[presence][cursor]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), b(w.bob, "pb");
  w.Join(b, w.team);
  auto event = [](const std::string& payload) {
    CursorEvent ev;
    REQUIRE(DecodeCursorEvent(payload, &ev));
    return ev;
  };
  const std::string team = w.team;
  for (int i = 1; i <= 3; ++i) {
    w.presence.Cursor(&a.sub, a.pid,
                      event(R"(2["cursor-move",{"boardId":")" + team + R"(","x":)" +
                            std::to_string(i) + R"(,"y":0.5}])"));
  }
  CHECK(b.Got("presence created").size() == 2);  // alice joined implicitly
  w.presence.Flush();
  auto moved = b.Got("cursor-moved");
  REQUIRE(moved.size() == 1);
  CHECK(moved[0]["x"] == 3);
  CHECK(moved[0]["y"] == 0.5);
  CHECK(moved[0]["boardId"] == w.team);
  // Out of bounds, or a board one may not see: dropped, counted.
  const int64_t dropped = w.presence.stats().moves_dropped;
  w.presence.Cursor(&a.sub, a.pid,
                    event(R"(2["cursor-move",{"boardId":")" + team + R"(","x":1e8,"y":0}])"));
  Conn bob2(w.bob, "pb2");
  w.presence.Cursor(&bob2.sub, bob2.pid,
                    event(R"(2["cursor-move",{"boardId":")" + w.priv + R"(","x":1,"y":0}])"));
  w.presence.Cursor(&bob2.sub, bob2.pid,
                    event(R"(2["cursor-move",{"boardId":"nope","x":1,"y":0}])"));
  CHECK(w.presence.stats().moves_dropped == dropped + 3);
  CHECK(w.presence.registry().BySub(&bob2.sub) == nullptr);
  w.presence.Flush();
  CHECK(b.Got("cursor-moved").size() == 1);  // nothing new
  // A leave for another board is ignored; for its own, sent at once.
  w.presence.Cursor(&a.sub, a.pid, event(R"(2["cursor-leave",{"boardId":"other"}])"));
  CHECK(b.Got("cursor-left").empty());
  w.presence.Cursor(&a.sub, a.pid, event(R"(2["cursor-leave",{"boardId":")" + team + R"("}])"));
  CHECK(b.Got("cursor-left").size() == 1);
  // The rate limit counts both paths together.
  w.clock.now += 1000;
  for (int i = 1; i <= 130; ++i) {
    w.presence.CursorMove(&a.sub, a.pid, {{"boardId", w.team}, {"x", i}, {"y", 0}});
    w.presence.Cursor(&a.sub, a.pid,
                      event(R"(2["cursor-move",{"boardId":")" + team + R"(","x":)" +
                            std::to_string(1000 + i) + R"(,"y":0}])"));
  }
  w.presence.Flush();
  CHECK(b.Got("cursor-moved").back()["x"] == 1125);  // the 250th event, the last taken
}

TEST_CASE("a removed session is unselected and a removed board empties its roster", "[presence]") {
  PresenceWorld w;
  Conn a(w.alice, "pa"), b(w.bob, "pb");
  std::string s1 = w.Session(w.team);
  std::string id = w.Join(a, w.team)["presence_id"];
  w.Join(b, w.team);
  Json out;
  REQUIRE(w.Call(a, "patch", id, {{"selected_session_id", s1}}, &out).ok());
  Event ev;
  ev.service = "sessions";
  ev.event = "removed";
  ev.board_id = w.team;
  ev.session_id = s1;
  ev.record = {{"session_id", s1}, {"board_id", w.team}};
  w.presence.OnCommitted(ev);
  CHECK(b.Got("presence patched").back()["selected_session_id"].is_null());
  ev.service = "boards";
  ev.record = {{"board_id", w.team}};
  w.presence.OnCommitted(ev);
  CHECK(w.presence.registry().size() == 0);
}

}  // namespace
}  // namespace agor
