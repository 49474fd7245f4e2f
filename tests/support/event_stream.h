// EventStream: a Socket.IO connection (over RawWebSocket) that collects the event frames the
// daemon pushes, for end-to-end tests that wait on events instead of sleeping. It authenticates
// the way `io(url, {auth: {token}})` does: the token rides in the CONNECT packet's payload.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/raw_websocket.h"

namespace agor::test {

class Daemon;

struct PushedEvent {
  std::string name;  // "messages created"
  Json record;
  std::string seq;  // "" for events that are not in the log (messages streaming)
};

// The Socket.IO CONNECT packet of the main namespace presenting `token` in its auth payload
// next to the keys of `auth` (`40{"pid":...,"token":"..."}`); a bare `40` when both are empty.
std::string ConnectPacket(const std::string& token, Json auth = Json::object());

class EventStream {
 public:
  // Connects as the daemon's admin (its API key) and CONNECTs the main namespace
  // (query: "&board_id=x").
  explicit EventStream(const Daemon& daemon, const std::string& query = "");
  // Connects to the daemon on `port` presenting `token` ("" for none: the daemon then sends
  // no event at all).
  EventStream(int port, const std::string& query, const std::string& token);

  // The next pushed event; false after `timeout_ms` or when the connection closes.
  bool Next(PushedEvent* ev, int timeout_ms = 10000);
  // Skips events until one named `name` whose record matches every key of `match`; every
  // event seen on the way is kept in seen().
  bool WaitFor(const std::string& name, const Json& match, PushedEvent* ev, int timeout_ms = 10000);
  // Waits for the task to end (`tasks patched` to a status past running/stopping), or finds
  // that it already has among seen(); *record gets its final record. False on timeout.
  bool WaitTaskEnd(const std::string& task_id, Json* record, int timeout_ms = 20000);
  const std::vector<PushedEvent>& seen() const { return seen_; }

 private:
  RawWebSocket ws_;
  std::vector<PushedEvent> seen_;
};

}  // namespace agor::test
