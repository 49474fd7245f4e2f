// Presence: who is on which board, where they point, what they look at and type in (issue 12,
// DESIGN.md Presence). In memory only (with --broker, also in Redis for the other nodes:
// presence_relay.h): never in the store, never in the event log.
//
// The `presence` service (Socket.IO: create/patch/remove/find/get, a connection's own calls;
// REST: find and get only, through the dispatcher hook the node wires):
//   create({board_id, cursor?, selected_session_id?, typing_session_id?}) joins a board and
//     answers the entry; the connection's previous board, if any, is left (`presence removed`
//     there): a connection is on one board at a time. Creating again on the same board
//     changes the entry (`presence patched`).
//   patch(<presence_id>, {cursor?, selected_session_id?, typing_session_id?}) changes it;
//   remove(<presence_id>) leaves. A presence_id that is not the calling connection's own
//     answers NotFound, exactly like one that does not exist.
//   find({query: {board_id}}) answers the board's roster as an array (no pagination, like
//     `subscriptions`); get(<presence_id>) one entry the caller may see.
// Entries: {presence_id, user_id, name, emoji, board_id, cursor: {x, y} | null,
// selected_session_id, typing_session_id, idle, last_active}. The server sets user_id, name
// and emoji (from the users record, followed when it is patched) and every time;
// presence_id is a random id of the connection, not its recovery pid (a secret).
//
// Validation: every call needs an authenticated caller (401); a board the caller may not see
// answers NotFound like a missing one; a selected or typed-in session must exist where the
// caller sees it (else NotFound) and be on the entry's board (else BadRequest); a cursor is
// null or {x, y}, both finite numbers with |x|, |y| <= 1e7; unknown fields, and board_id in a
// patch, are BadRequest naming the field.
//
// Agor's own events, onto the same entries (no ack): `cursor-move {boardId, x, y}` moves the
// sender's cursor; a sender with no entry on that board (Agor's clients send cursor-move
// without ever calling create) joins it implicitly, as a create would (`presence created`).
// The others get `cursor-moved {userId, presenceId, boardId, x, y, timestamp}` (timestamp:
// milliseconds since the epoch of the move). `cursor-leave {boardId}` clears the cursor and
// sends `cursor-left {userId, presenceId, boardId, timestamp}`. An invalid one is dropped.
//
// Who hears: every presence frame goes to the connections that may see the board
// (authenticated, unexpired, AccessPolicy Board >= kRead) AND are on it (have an entry there)
// or joined its board channel (Hub), in both channel modes; never elsewhere. `presence *`
// events reach the calling connection too (as Feathers events do); cursor-moved/-left only
// the others. All presence frames are seq-less: never logged, never replayed.
//
// Cursors are coalesced: a move only marks its sender dirty; one flush tick
// (cursor_interval_ms, armed only while something is dirty or held) sends each dirty sender's
// latest position once, so a sender reaches the others at most once per interval and the
// last move of a burst within one interval. A recipient whose send queue is past
// `backlog_bytes` gets nothing then: the update is held for it, per sender, a newer one
// replacing the older, and sent on a later tick once its queue has drained. Cursors therefore
// never add more than (senders on the board) held frames per recipient, and never push a slow
// reader towards the send queue's bound. Roster changes (created/patched/removed) are always
// queued normally.
//
// Lifetime: typing expires typing_ms after the patch that set it (`presence patched` with
// typing_session_id null); no activity (create, patch, cursor) for idle_ms marks the entry
// idle (patched), and activity clears it. An entry leaves on remove, on a create elsewhere,
// grace_ms after its connection closed (a connection that recovers the same pid as the same
// user within the grace takes the entry back: no removed/created for the others), when its
// connection's caller changes (logout, another user), and when its user loses access to the
// board: OnCommitted re-checks the entries an event of users, boards or board-members may
// affect and removes those no longer allowed, at once. A removed session is cleared from the
// entries that selected or typed in it.
//
// Rate limits, per connection, in windows of one second: past max_cursor_per_s cursor events
// are dropped silently; past max_calls_per_s presence calls answer 429 TooManyRequests.
// Bounds: one entry per connection (and per pid); a board's roster never exceeds the
// connections on it plus those in their grace; held cursors per recipient never exceed the
// senders on its board.
//
// Across nodes (issue 14, `--broker`; presence_relay.h carries them through Redis): a
// listener hears each change of this node's own entries (created/patched, removed, a cursor
// sent on the flush tick or left), never of remote ones; the relay puts other nodes' entries
// in with PutRemote and friends. Remote entries are on the rosters (find, get) and their
// events and cursor frames reach this node's connections through the same recipients and the
// same coalescing as local ones (ForEachRecipient: who may see the board, never elsewhere).
// Their idleness, typing and grace are their own node's business (Sweep skips them); they
// leave when their node says so, when their node falls silent (the relay), or, like local
// ones, when their user loses access here. Bounds: at most max_remote_per_node entries of one
// node and max_remote_total of all; past them PutRemote refuses new ones. A remote entry
// never takes the id of an entry of this node or of another node.
//
// Threading: the daemon's event loop only. Subscribers are borrowed: Detach() before one goes.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "server/net/web_server.h"
#include "server/realtime/hub.h"
#include "server/realtime/presence_registry.h"
#include "server/wire/service_call.h"
#include "server/wire/socketio.h"
#include "store/store.h"

namespace agor {

// A cursor coordinate: finite, |v| <= 1e7 (what `presence` patches and `cursor-move` accept).
inline bool IsCursorCoordinate(double v) {
  return std::isfinite(v) && std::fabs(v) <= 1e7;
}

struct PresenceOptions {
  int grace_ms = 5000;           // a closed connection's entry waits this long for a recovery
  int typing_ms = 5000;          // typing_session_id expires this long after it was set
  int idle_ms = 60000;           // no activity this long: idle
  int cursor_interval_ms = 50;   // at most one cursor-moved per sender per interval (20 Hz)
  size_t backlog_bytes = 65536;  // a recipient queued past this gets no cursor until it drains
  int max_cursor_per_s = 250;    // cursor-move/-leave per connection; past it dropped (a
                                 // 240 Hz pointer sending every event still passes)
  int max_calls_per_s = 20;      // presence calls per connection; past it 429
  int heartbeat_ms = 2000;       // between nodes (presence_relay.h): a node unheard 3 beats leaves
  size_t max_remote_per_node = 10000;  // other nodes' entries kept, per node (their snapshot's cap)
  size_t max_remote_total = 50000;     // and over all other nodes
};

// What the relay between nodes hears of this node's own entries (never of remote ones).
class PresenceListener {
 public:
  virtual ~PresenceListener() = default;
  virtual void Changed(const PresenceEntry& e) = 0;  // created or patched
  virtual void Removed(const PresenceEntry& e) = 0;  // just before it leaves the registry
  // Its cursor went to the others (on the flush tick), or ended (`left`), at `at_ms`.
  virtual void CursorSent(const PresenceEntry& e, bool left, int64_t at_ms) = 0;
};

// What presence counts for /metrics (on the loop, an increment each).
struct PresenceStats {
  int64_t moves = 0;          // cursor-move events taken
  int64_t moves_dropped = 0;  // cursor events dropped: past the rate limit, or invalid
  int64_t updates = 0;        // cursor-moved frames queued to recipients (held ones once sent)
};

class Presence {
 public:
  // Runs a function on a later turn of the event loop, after `delay_ms`.
  using Post = std::function<void(int delay_ms, std::function<void()>)>;

  // Everything is borrowed and must outlive the presence (and the tasks it posts).
  Presence(Store* store, Hub* hub, Clock* clock, Post post, PresenceOptions options = {});

  // A `presence` call. `sub` is the calling connection with its recovery `pid`; nullptr for
  // REST, which may only find and get.
  Status Call(const ServiceCall& call, Subscriber* sub, const std::string& pid, Json* result);
  // Agor's `cursor-move` and `cursor-leave` events from a connection: their data as decoded
  // JSON, or as the fast path decoded them (DecodeCursorEvent: no JSON tree), to one effect.
  void CursorMove(Subscriber* sub, const std::string& pid, const Json& data);
  void CursorLeave(Subscriber* sub, const Json& data);
  void Cursor(Subscriber* sub, const std::string& pid, const CursorEvent& ev);

  // The connection closed: its entry waits out the grace; what was held for it is dropped.
  void Detach(Subscriber* sub);
  // The connection's caller is known or changed (after CONNECT or an authentication): an
  // entry of another user leaves; an entry of the same pid and user (a recovery) is taken back.
  void Attach(Subscriber* sub, const std::string& pid);
  // A committed event: re-checks who may stay and follows users' names and emojis.
  void OnCommitted(const Event& ev);

  // Expires typing, marks idleness, ends graces: call every SweepIntervalMs().
  void Sweep();
  int SweepIntervalMs() const;
  // The cursor tick (posted by itself while needed; tests call it).
  void Flush();

  // The relay between nodes (borrowed; nullptr to stop).
  void SetListener(PresenceListener* listener) { listener_ = listener; }
  // Another node's entry (e.node set, no sub, no pid), created or changed: false when refused
  // (the bounds, or an id that is not that node's). Announced as local ones are.
  bool PutRemote(PresenceEntry e);
  void RemoveRemote(const std::string& node, const std::string& presence_id);
  // Another node's cursor: moved (coalesced here too, on this node's tick) or left.
  void MoveRemote(const std::string& node, const std::string& presence_id, double x, double y,
                  int64_t at_ms);
  void LeaveRemote(const std::string& node, const std::string& presence_id, int64_t at_ms);
  // Every entry of `node` leaves but those in `keep` (a snapshot's ids); all when it is empty.
  void DropNode(const std::string& node, const std::unordered_set<std::string>& keep = {});

  const PresenceRegistry& registry() const { return registry_; }
  // Cursor frames held for backed-up recipients, over all of them.
  size_t held() const;
  const PresenceStats& stats() const { return stats_; }

 private:
  struct Rate {
    int64_t window_ms = 0;
    int cursors = 0;
    int calls = 0;
  };
  struct Fields;  // a create's or patch's validated data (presence.cpp)

  // Calls (presence.cpp).
  Status Create(Subscriber* sub, const std::string& pid, const Json& data, Json* result);
  Status PatchCall(Subscriber* sub, const Json& id, const Json& data, Json* result);
  Status RemoveCall(Subscriber* sub, const Json& id, Json* result);
  Status Find(const Caller& caller, const Json& query, Json* result);
  Status Get(const Caller& caller, const Json& id, Json* result);
  Status ParseFields(const Caller& caller, const Json& data, bool create, Fields* out);
  Status CheckSession(const Caller& caller, const std::string& board_id, const Json& id,
                      std::string* full);
  Status VisibleBoard(const Caller& caller, const Json& id, std::string* full);
  PresenceEntry* Join(Subscriber* sub, const std::string& pid, const std::string& board_id);
  void Apply(PresenceEntry* e, const Fields& f, int64_t now);
  PresenceEntry* Own(Subscriber* sub, const Json& id);
  bool CountCall(Subscriber* sub, bool cursor);
  // Lifetime and access (presence.cpp).
  void Leave(PresenceEntry* e);
  bool Touch(PresenceEntry* e, int64_t now);
  bool MayStay(const PresenceEntry& e) const;
  void Recheck(const Event& ev);
  void FollowUser(const Event& ev);
  void ClearSession(const Event& ev);
  // Delivery (presence_delivery.cpp).
  bool MaySee(const Subscriber& s, const std::string& board_id, int64_t now) const;
  template <typename F>
  void ForEachRecipient(const std::string& board_id, F f);
  void Emit(const char* event, const PresenceEntry& e);
  void TakeMove(Subscriber* sub, const std::string& pid, std::string_view board, double x,
                double y);
  void TakeLeave(Subscriber* sub, std::string_view board);
  void EndCursor(PresenceEntry* e, int64_t at_ms);
  void MarkDirty(PresenceEntry* e);
  PresenceEntry* Remote(const std::string& node, const std::string& presence_id) const;
  void SendCursor(PresenceEntry* e);
  void SendHeld();
  void DropHeld(const std::string& presence_id);
  void Arm();

  Store* store_;
  Hub* hub_;
  Clock* clock_;
  Post post_;
  PresenceOptions options_;
  PresenceRegistry registry_;
  std::unordered_map<const Subscriber*, Rate> rates_;
  std::vector<PresenceEntry*> dirty_;  // entries with a move not yet sent (Leave takes them out)
  bool armed_ = false;
  PresenceStats stats_;
  PresenceListener* listener_ = nullptr;
  // Per backed-up recipient: sender presence_id -> its latest cursor frame not yet sent.
  std::unordered_map<Subscriber*, std::unordered_map<std::string, SharedFrame>> held_;
};

}  // namespace agor
