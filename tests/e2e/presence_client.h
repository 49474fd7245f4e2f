// PresenceClient: a Socket.IO client over a raw WebSocket for end-to-end tests of presence:
// Feathers calls with acks, Agor's events sent, pushed frames kept and waited for (never
// slept on). Shared by presence_e2e_test.cpp and nodes_presence_e2e_test.cpp.
// Not thread-safe: one test's thread.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/json.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_websocket.h"

namespace agor::test {

// A Socket.IO client over a raw WebSocket: Feathers calls with acks, pushed frames kept.
class PresenceClient {
 public:
  PresenceClient(int port, const std::string& token, const std::string& query = "",
                 Json auth = {}) {
    REQUIRE(ws_.Connect(port, std::string("/socket.io/?EIO=4&transport=websocket") + query) == 101);
    std::string open, reply;
    REQUIRE(ws_.ReadText(&open, 5000));
    REQUIRE(ws_.SendText(test::ConnectPacket(token, auth.is_null() ? Json::object() : auth)));
    REQUIRE(Read(&reply, 5000));
    REQUIRE(reply.rfind("40{", 0) == 0);
    pid = Json::parse(reply.substr(2))["pid"];
  }
  // Sends `42<id>[method,"presence",args...]` and returns the ack's array ([err] or [null, r]).
  Json Call(const std::string& method, const std::vector<Json>& args,
            const std::string& path = "presence") {
    Json frame = Json::array({method, path});
    for (const auto& a : args) frame.push_back(a);
    int id = ++last_id_;
    REQUIRE(ws_.SendText("42" + std::to_string(id) + frame.dump()));
    std::string prefix = "43" + std::to_string(id), text;
    while (true) {
      REQUIRE(Read(&text, 10000));
      if (text.rfind(prefix + "[", 0) == 0) return Json::parse(text.substr(prefix.size()));
      Keep(text);
    }
  }
  Json Ok(const std::string& method, const std::vector<Json>& args) {
    Json ack = Call(method, args);
    INFO(ack.dump());
    REQUIRE(ack[0].is_null());
    return ack[1];
  }
  int ErrorCode(const std::string& method, const std::vector<Json>& args) {
    Json ack = Call(method, args);
    INFO(ack.dump());
    REQUIRE(ack[0].is_object());
    return ack[0]["code"];
  }
  void Emit(const std::string& event, const Json& data) {
    REQUIRE(ws_.SendText("42" + Json::array({event, data}).dump()));
  }
  // The first pushed `event` (kept or coming) whose record matches `match`; REQUIREd.
  Json WaitFor(const std::string& event, const Json& match = Json::object()) {
    for (size_t i = 0;; ++i) {
      while (i >= events.size()) {
        std::string text;
        REQUIRE(Read(&text, 10000));
        Keep(text);
      }
      if (events[i][0] == event && Matches(events[i][1], match)) return events[i][1];
    }
  }
  size_t Count(const std::string& event, const Json& match = Json::object()) const {
    size_t n = 0;
    for (const auto& e : events) n += e[0] == event && Matches(e[1], match);
    return n;
  }
  void Close() { ws_.SendFrame(0x88, std::string("\x03\xe8", 2)); }

  std::string pid;
  std::vector<Json> events;  // [name, record] of each pushed frame

 private:
  static bool Matches(const Json& record, const Json& match) {
    for (const auto& kv : match.items()) {
      if (!record.contains(kv.key()) || record[kv.key()] != kv.value()) return false;
    }
    return true;
  }
  bool Read(std::string* text, int timeout_ms) {
    while (ws_.ReadText(text, timeout_ms)) {
      if (*text != "2") return true;
      ws_.SendText("3");
    }
    return false;
  }
  void Keep(const std::string& text) {
    if (text.rfind("42[", 0) == 0) events.push_back(Json::parse(text.substr(2)));
  }

  RawWebSocket ws_;
  int last_id_ = 0;
};

}  // namespace agor::test
