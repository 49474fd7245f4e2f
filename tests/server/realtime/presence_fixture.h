// Presence test fixtures (tests/server/realtime): fake connections whose send queue a test
// sets, and a world (store, clock, hub, presence) whose posted ticks are counted, not run.
// Shared by presence_test.cpp and presence_relay_test.cpp. Not thread-safe: one test's thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/realtime/presence.h"
#include "tests/server/realtime/realtime_fixture.h"

namespace agor::test {

// A fake socket whose send queue the test sets.
class QueueSocket : public FakeSocket {
 public:
  size_t queued_bytes() const override { return queued; }
  size_t queued = 0;
};

struct Conn {
  Conn(const std::string& user, std::string pid_) : pid(std::move(pid_)) {
    sub.socket = &socket;
    sub.caller.user_id = user;
  }
  // The frames named `event` received so far, parsed ([name, record]).
  std::vector<Json> Got(const std::string& event) const {
    std::vector<Json> out;
    for (const auto& f : socket.frames) {
      Json j = Json::parse(f.substr(2));
      if (j[0] == event) out.push_back(j[1]);
    }
    return out;
  }
  QueueSocket socket;
  Subscriber sub;
  std::string pid;
};

// Calls are not rate limited unless a test asks (the clock stands still between calls).
struct PresenceWorld : World {
  explicit PresenceWorld(int max_calls_per_s = 100000)
      : hub(ChannelMode::kBoards, &store->access(), &clock),
        presence(
            store.get(), &hub, &clock, [this](int, std::function<void()>) { ++armed; },
            Options(max_calls_per_s)) {}
  static PresenceOptions Options(int max_calls_per_s) {
    PresenceOptions o;
    o.max_calls_per_s = max_calls_per_s;
    o.grace_ms = 5000;
    o.typing_ms = 5000;
    o.idle_ms = 60000;
    o.backlog_bytes = 1000;
    return o;
  }
  Status Call(Conn& c, const std::string& method, Json id, Json data, Json* out,
              Json query = Json::object()) {
    ServiceCall call{method,          "presence",       std::move(id),
                     std::move(data), std::move(query), c.sub.caller};
    return presence.Call(call, &c.sub, c.pid, out);
  }
  Json Join(Conn& c, const std::string& board) {
    Json out;
    Status s = Call(c, "create", nullptr, Json{{"board_id", board}}, &out);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return out;
  }
  std::string Session(const std::string& board) {
    Json record;
    REQUIRE(store
                ->Create("sessions", Json{{"board_id", board}, {"agentic_tool", "claude-code"}},
                         &record)
                .ok());
    return record["session_id"];
  }
  Hub hub;
  int armed = 0;
  Presence presence;
};

}  // namespace agor::test
