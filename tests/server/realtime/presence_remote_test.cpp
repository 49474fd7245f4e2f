// Presence's remote entries (presence.h, "Across nodes"), without Redis: another node's entries
// on the rosters and their events and cursors to who may see the board only, the bounds, ids
// that are not theirs refused, their node dropping them, and the listener hearing local
// changes only.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "server/realtime/presence.h"
#include "tests/server/realtime/presence_fixture.h"

namespace agor {
namespace {

using test::Conn;
using test::PresenceWorld;

// Records what the presence tells a relay.
struct Heard : PresenceListener {
  void Changed(const PresenceEntry& e) override { said.push_back("changed " + e.presence_id); }
  void Removed(const PresenceEntry& e) override { said.push_back("removed " + e.presence_id); }
  void CursorSent(const PresenceEntry& e, bool left, int64_t) override {
    said.push_back((left ? "left " : "cursor ") + e.presence_id);
  }
  std::vector<std::string> said;
};

PresenceEntry RemoteEntry(const std::string& node, const std::string& id, const std::string& user,
                          const std::string& board) {
  PresenceEntry e;
  e.node = node;
  e.presence_id = id;
  e.user_id = user;
  e.board_id = board;
  e.name = "remote " + id;
  return e;
}

TEST_CASE("another node's entries show on rosters, to who may see the board only",
          "[presence][relay]") {
  PresenceWorld w;
  Heard heard;
  w.presence.SetListener(&heard);
  Conn watcher(w.bob, "pw"), member(w.alice, "pm");
  w.hub.Add(&watcher.sub);
  w.hub.JoinBoard(&watcher.sub, w.team);
  w.hub.JoinBoard(&watcher.sub, w.priv);  // as if he had joined before losing access
  w.Join(member, w.priv);
  REQUIRE(w.presence.PutRemote(RemoteEntry("node-b", "r1", w.alice, w.team)));
  REQUIRE(w.presence.PutRemote(RemoteEntry("node-b", "r2", w.alice, w.priv)));
  CHECK(watcher.Got("presence created").size() == 1);  // r1 only: priv is not his
  CHECK(watcher.Got("presence created")[0]["name"] == "remote r1");
  CHECK(member.Got("presence created").size() == 2);  // its own, and r2 on its board
  Json roster;
  REQUIRE(w.Call(member, "find", nullptr, nullptr, &roster, {{"board_id", w.team}}).ok());
  CHECK(roster.size() == 1);
  CHECK(w.Call(watcher, "find", nullptr, nullptr, &roster, {{"board_id", w.priv}}).code() ==
        Code::kNotFound);
  w.presence.MoveRemote("node-b", "r1", 3, 4, 1234);
  w.presence.MoveRemote("node-b", "r2", 5, 6, 1235);
  w.presence.MoveRemote("node-b", "r1", 7, 8, 1236);  // coalesced: the latest wins
  w.presence.MoveRemote("node-c", "r1", 9, 9, 1237);  // not node-c's: ignored
  w.presence.Flush();
  REQUIRE(watcher.Got("cursor-moved").size() == 1);
  CHECK(watcher.Got("cursor-moved")[0] == Json{{"userId", w.alice},
                                               {"presenceId", "r1"},
                                               {"boardId", w.team},
                                               {"x", 7.0},
                                               {"y", 8.0},
                                               {"timestamp", 1236}});
  CHECK(member.Got("cursor-moved").size() == 1);  // r2's
  w.presence.LeaveRemote("node-b", "r1", 1300);
  CHECK(watcher.Got("cursor-left").size() == 1);
  w.presence.RemoveRemote("node-b", "r1");
  CHECK(watcher.Got("presence removed").size() == 1);
  w.presence.DropNode("node-b");
  CHECK(member.Got("presence removed").size() == 1);
  CHECK(w.presence.registry().remote() == 0);
  // The listener heard the member's own entry only.
  CHECK(heard.said.size() == 1);
  CHECK(heard.said[0].rfind("changed ", 0) == 0);
}

TEST_CASE("remote entries are bounded and never take an id that is not their node's",
          "[presence][relay]") {
  PresenceOptions o = PresenceWorld::Options(100000);
  o.max_remote_per_node = 2;
  o.max_remote_total = 3;
  PresenceWorld w;
  Presence p(
      w.store.get(), &w.hub, &w.clock, [](int, std::function<void()>) {}, o);
  Conn local(w.alice, "pl");
  w.hub.Add(&local.sub);
  Json out;
  ServiceCall call{"create", "presence", nullptr, {{"board_id", w.team}}, {}, local.sub.caller};
  REQUIRE(p.Call(call, &local.sub, local.pid, &out).ok());
  const std::string own = out["presence_id"];
  CHECK_FALSE(p.PutRemote(RemoteEntry("node-b", own, w.bob, w.team)));  // a local id
  REQUIRE(p.PutRemote(RemoteEntry("node-b", "b1", w.bob, w.team)));
  REQUIRE(p.PutRemote(RemoteEntry("node-b", "b2", w.bob, w.team)));
  CHECK_FALSE(p.PutRemote(RemoteEntry("node-b", "b3", w.bob, w.team)));  // per node
  CHECK_FALSE(p.PutRemote(RemoteEntry("node-c", "b1", w.bob, w.team)));  // node-b's id
  REQUIRE(p.PutRemote(RemoteEntry("node-c", "c1", w.bob, w.team)));
  CHECK_FALSE(p.PutRemote(RemoteEntry("node-d", "d1", w.bob, w.team)));  // in total
  PresenceEntry with_pid = RemoteEntry("node-c", "c2", w.bob, w.team);
  with_pid.pid = "pl";
  CHECK_FALSE(p.PutRemote(with_pid));  // a remote entry never carries a pid
  CHECK(p.registry().CountOf("node-b") == 2);
  CHECK(p.registry().remote() == 3);
  p.RemoveRemote("node-c", own);  // not node-c's: stays
  CHECK(p.registry().ById(own) != nullptr);
  // Their node times them, not this one's sweep; a snapshot keeps only what it lists.
  w.clock.now += 10 * o.grace_ms;
  p.Sweep();
  CHECK(p.registry().remote() == 3);
  p.DropNode("node-b", {"b2"});
  CHECK(p.registry().CountOf("node-b") == 1);
  CHECK(p.registry().ById("b2") != nullptr);
  p.Detach(&local.sub);
}

TEST_CASE("a remote entry repeated unchanged says nothing; changed, it is patched",
          "[presence][relay]") {
  PresenceWorld w;
  Conn watcher(w.bob, "pw");
  w.hub.Add(&watcher.sub);
  w.hub.JoinBoard(&watcher.sub, w.team);
  PresenceEntry e = RemoteEntry("node-b", "r1", w.alice, w.team);
  REQUIRE(w.presence.PutRemote(e));
  e.last_active_ms += 500;
  REQUIRE(w.presence.PutRemote(e));
  CHECK(watcher.Got("presence patched").empty());
  e.idle = true;
  REQUIRE(w.presence.PutRemote(e));
  CHECK(watcher.Got("presence patched").size() == 1);
  e.board_id = w.priv;  // moved by its node to a board he may not see
  REQUIRE(w.presence.PutRemote(e));
  CHECK(watcher.Got("presence removed").size() == 1);
  CHECK(watcher.Got("presence created").size() == 1);
}

}  // namespace
}  // namespace agor
