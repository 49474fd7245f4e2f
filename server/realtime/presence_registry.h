// PresenceRegistry: the presence entries (issue 12) in memory, indexed by presence_id, by
// connection, by recovery pid and by board (the rosters). Pure bookkeeping: no I/O, no
// privacy, no events; presence.h decides what the entries mean and who hears of them.
//
// Bounds: at most one entry per connection (Add refuses a second) and per pid, so a board's
// roster never holds more entries than the connections on it plus those in their disconnect
// grace.
//
// An entry is *attached* (its `sub` is the connection showing it) or *detached* (its
// connection closed; it waits out the grace, and a connection recovering the same pid takes
// it back without anyone seeing it leave), or *remote*: another node's (its `node` set, no
// connection, no pid: never found by a pid, so no recovery can take it), counted per node.
//
// Threading: the daemon's event loop only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "base/json.h"
#include "server/realtime/hub.h"

namespace agor {

struct PresenceEntry {
  std::string presence_id;    // random, shown to others; never the pid
  std::string pid;            // the connection's recovery pid: a secret, never shown ("": remote)
  std::string node;           // "": this node's; else the node id showing it (presence_relay.h)
  Subscriber* sub = nullptr;  // nullptr while detached
  std::string user_id, board_id;
  Json name, emoji;  // from the users record (null when unset)
  bool has_cursor = false;
  double x = 0, y = 0;
  std::string selected_session_id;  // "" = null
  std::string typing_session_id;    // "" = null
  int64_t typing_until_ms = 0;      // when typing expires by itself
  bool idle = false;
  int64_t last_active_ms = 0;
  int64_t detached_ms = 0;    // when its connection closed (attached: 0)
  bool cursor_dirty = false;  // a move not yet sent to the others
  int64_t cursor_ms = 0;      // when the latest move came: the cursor-moved timestamp
};

// The entry as the wire shows it: {presence_id, user_id, name, emoji, board_id, cursor,
// selected_session_id, typing_session_id, idle, last_active}.
Json PresenceJson(const PresenceEntry& e);

class PresenceRegistry {
 public:
  using Roster = std::unordered_set<PresenceEntry*>;

  // Stores `e` (attached to e.sub when set); nullptr when its connection or pid already has one.
  PresenceEntry* Add(PresenceEntry e);
  void Remove(PresenceEntry* e);
  void Move(PresenceEntry* e, const std::string& board_id);
  void Detach(PresenceEntry* e, int64_t now_ms);
  // Attaches `e` (detached, or attached to a connection being replaced) to `sub`, which has none.
  void Attach(PresenceEntry* e, Subscriber* sub);

  PresenceEntry* ById(const std::string& presence_id) const;
  PresenceEntry* BySub(const Subscriber* sub) const;
  PresenceEntry* ByPid(const std::string& pid) const;
  // The board's entries (empty when none).
  const Roster& RosterOf(const std::string& board_id) const;
  template <typename F>
  void ForEach(F f) const {
    for (const auto& kv : by_id_) f(kv.second.get());
  }
  size_t size() const { return by_id_.size(); }
  // Remote entries: of one node, and of all of them.
  size_t CountOf(const std::string& node) const;
  size_t remote() const { return remote_; }

 private:
  void Uncount(const std::string& node);

  std::unordered_map<std::string, std::unique_ptr<PresenceEntry>> by_id_;
  std::unordered_map<const Subscriber*, PresenceEntry*> by_sub_;
  std::unordered_map<std::string, PresenceEntry*> by_pid_;
  std::unordered_map<std::string, Roster> boards_;
  std::unordered_map<std::string, size_t> by_node_;  // remote entries per node
  size_t remote_ = 0;
};

}  // namespace agor
