// EventStream: a Socket.IO connection (over RawWebSocket) that collects the event frames the
// daemon pushes, for end-to-end tests that wait on events instead of sleeping.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/raw_websocket.h"

namespace agor::test {

struct PushedEvent {
  std::string name;  // "messages created"
  Json record;
  std::string seq;  // "" for events that are not in the log (messages streaming)
};

class EventStream {
 public:
  // Connects to the daemon on `port` and CONNECTs the main namespace (query: "&board_id=x").
  explicit EventStream(int port, const std::string& query = "");

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
