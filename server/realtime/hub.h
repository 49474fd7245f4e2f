// Hub: the connected Socket.IO clients and their channels, and the fan-out of committed events.
//
// Routing (boards mode): boards, board-members, users, api-keys and repos events, and any
// event without a board, go to every connected client (board lists stay live, and a removed
// member hears of their removal without being on the board's channel); a session's, task's or
// message's event goes to the clients that joined its board and those that joined its
// session, each at most once. Everybody mode: every event to every client (the seed's v0.1).
//
// Privacy: on top of the routing, a client gets an event only when its caller is
// authenticated, its credential unexpired (expires_ms 0 or after now) and the store's
// AccessPolicy lets that user see the event (store/access_policy.h). An unauthenticated
// connection gets nothing; one whose token expires stops getting events at that moment; a
// revocation holds from its commit, because the store applies it to the policy before
// publishing. Both modes, and recovery replays (Wants), use this one check.
//
// Publishing costs time in proportion to the recipients, never to all connections: channels
// map straight to their members, and each event is serialized once into a SharedFrame that
// every recipient queues as is.
//
// Log entries: a connection that opted in (`?agor_events=log` at the handshake, e.g. `agor
// watch`) gets each logged event as its event log entry, so it knows when the event happened:
// `42["events created",{seq,ts,service,event,board_id,session_id,record,actor},"<seq>"]` (the same
// entry GET /events returns, the offset still last). That frame is made lazily, at most once
// per event for all such recipients; everyone else gets the stock frame, byte for byte as
// before. Events outside the log (seq 0, streamed text) are stock frames for everybody.
//
// Interest: a hook told when this node's interest in a channel begins (its first member
// joins) and ends (its last leaves or is removed), for the broker's subscriptions between
// nodes (server/realtime/broker_interest.h). Told after the change, on the loop's stack.
//
// Threading: the daemon's event loop only. Clients are borrowed: Remove() before freeing one.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "base/clock.h"
#include "server/net/web_server.h"
#include "server/wire/service_call.h"
#include "store/access_policy.h"
#include "store/event_log.h"

namespace agor {

class EngineSocket;

enum class ChannelMode { kEverybody, kBoards };

// One connected Socket.IO client's subscriptions (its channels).
struct Subscriber {
  EngineSocket* socket = nullptr;
  std::unordered_set<std::string> boards;
  std::unordered_set<std::string> sessions;
  bool log_entries = false;  // opted in to log-entry frames (see above)
  Caller caller;             // who the connection is: "" until it authenticates
  // Live events at or below this seq are not sent: a recovery already did, on a node whose
  // log read ran ahead of this node's deliveries (a remote broker still ordering them).
  int64_t seen_through = 0;
};

class Hub {
 public:
  // (kind, id, wanted): kind is kBoardChannel or kSessionChannel.
  enum ChannelKind { kBoardChannel, kSessionChannel };
  using InterestHook = std::function<void(ChannelKind kind, const std::string& id, bool wanted)>;

  // `access` (the store's policy) and `clock` are borrowed and must outlive the hub.
  Hub(ChannelMode mode, const AccessPolicy* access, Clock* clock)
      : mode_(mode), access_(access), clock_(clock) {}

  ChannelMode mode() const { return mode_; }
  // Once, before the first Join.
  void SetInterestHook(InterestHook hook) { interest_ = std::move(hook); }
  void Add(Subscriber* s);
  void Remove(Subscriber* s);  // leaves every channel too
  void JoinBoard(Subscriber* s, const std::string& board_id);
  void LeaveBoard(Subscriber* s, const std::string& board_id);
  void JoinSession(Subscriber* s, const std::string& session_id);
  void LeaveSession(Subscriber* s, const std::string& session_id);

  // Whether `s` receives `ev` under the routing and privacy rules (recovery replays with it).
  bool Wants(const Subscriber& s, const Event& ev) const;
  // Whether the caller of `s` may receive `ev` at `now_ms`, whatever its channels.
  bool Allowed(const Subscriber& s, const Event& ev, int64_t now_ms) const;
  // Sends `ev` to its recipients allowed to see it; returns how many got it.
  size_t Publish(const Event& ev);
  size_t size() const { return all_.size(); }
  // The connections that joined the board's channel (either mode); nullptr when none. Borrowed
  // until the next Join/Leave/Remove: presence (presence.h) routes its frames with it.
  const std::unordered_set<Subscriber*>* BoardChannel(const std::string& board_id) const;

  // The frame of one event: `42["<service> <event>",<record>,"<seq>"]` (no seq when 0).
  static std::string EncodeFrame(const Event& ev);
  // `42["events created",<log entry>,"<seq>"]` for a logged event (seq > 0).
  static std::string EncodeLogFrame(const Event& ev);
  // The frame `s` gets for `ev` (recovery replays with it).
  static std::string EncodeFrameFor(const Subscriber& s, const Event& ev);
  // Whether boards mode routes `ev` to every client (then the policy decides): no board, or a
  // boards, board-members or repos event. The broker's global channel carries the same.
  static bool IsGlobal(const Event& ev);

 private:
  ChannelMode mode_;
  const AccessPolicy* access_;
  Clock* clock_;
  std::unordered_set<Subscriber*> all_;
  std::unordered_map<std::string, std::unordered_set<Subscriber*>> boards_;
  std::unordered_map<std::string, std::unordered_set<Subscriber*>> sessions_;
  InterestHook interest_;

  using Channels = std::unordered_map<std::string, std::unordered_set<Subscriber*>>;
  void Join(ChannelKind kind, Channels* channels, const std::string& id, Subscriber* s);
  void Leave(ChannelKind kind, Channels* channels, const std::string& id, Subscriber* s);
};

}  // namespace agor
