// Hub: the connected Socket.IO clients and their channels, and the fan-out of committed events.
//
// Routing (boards mode): boards and repos events, and any event without a board, go to every
// connected client (board lists stay live); a session's, task's or message's event goes to
// the clients that joined its board and those that joined its session, each at most once.
// Everybody mode: every event to every client (the seed's v0.1).
//
// Publishing costs time in proportion to the recipients, never to all connections: channels
// map straight to their members, and each event is serialized once into a SharedFrame that
// every recipient queues as is.
//
// Log entries: a connection that opted in (`?agor_events=log` at the handshake, e.g. `agor
// watch`) gets each logged event as its event log entry, so it knows when the event happened:
// `42["events created",{seq,ts,service,event,board_id,session_id,record},"<seq>"]` (the same
// entry GET /events returns, the offset still last). That frame is made lazily, at most once
// per event for all such recipients; everyone else gets the stock frame, byte for byte as
// before. Events outside the log (seq 0, streamed text) are stock frames for everybody.
//
// Threading: the daemon's event loop only. Clients are borrowed: Remove() before freeing one.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "server/net/web_server.h"
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
};

class Hub {
 public:
  explicit Hub(ChannelMode mode) : mode_(mode) {}

  ChannelMode mode() const { return mode_; }
  void Add(Subscriber* s);
  void Remove(Subscriber* s);  // leaves every channel too
  void JoinBoard(Subscriber* s, const std::string& board_id);
  void LeaveBoard(Subscriber* s, const std::string& board_id);
  void JoinSession(Subscriber* s, const std::string& session_id);
  void LeaveSession(Subscriber* s, const std::string& session_id);

  // Whether `s` receives `ev` under the routing rules (recovery replays with it).
  bool Wants(const Subscriber& s, const Event& ev) const;
  // Sends `ev` to its recipients; returns how many got it.
  size_t Publish(const Event& ev);
  size_t size() const { return all_.size(); }

  // The frame of one event: `42["<service> <event>",<record>,"<seq>"]` (no seq when 0).
  static std::string EncodeFrame(const Event& ev);
  // `42["events created",<log entry>,"<seq>"]` for a logged event (seq > 0).
  static std::string EncodeLogFrame(const Event& ev);
  // The frame `s` gets for `ev` (recovery replays with it).
  static std::string EncodeFrameFor(const Subscriber& s, const Event& ev);

 private:
  static bool IsGlobal(const Event& ev);

  ChannelMode mode_;
  std::unordered_set<Subscriber*> all_;
  std::unordered_map<std::string, std::unordered_set<Subscriber*>> boards_;
  std::unordered_map<std::string, std::unordered_set<Subscriber*>> sessions_;
};

}  // namespace agor
