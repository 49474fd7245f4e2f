// Helpers for the end-to-end tests of the daemon's own HTTP/1.1 + WebSocket server
// (web_http_e2e_test.cpp, web_ws_e2e_test.cpp): raw requests, responses and frames.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_http.h"
#include "tests/support/raw_websocket.h"

namespace agor {
namespace web_test {

using test::Daemon;
using test::RawHttp;
using test::RawWebSocket;

inline constexpr int kTimeoutMs = 5000;
inline constexpr char kWsTarget[] = "/socket.io/?EIO=4&transport=websocket";

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  Json json;

  bool closes() const {
    auto it = headers.find("connection");
    return it != headers.end() && it->second == "close";
  }
};

inline Response Read(RawHttp* c) {
  Response r;
  REQUIRE(c->ReadResponse(&r.status, &r.headers, &r.body, kTimeoutMs));
  r.json = Json::parse(r.body, nullptr, false);
  return r;
}

inline void Open(RawHttp* c, const Daemon& d) {
  REQUIRE(c->Connect(d.port()));
}

// The header line presenting the daemon's admin API key ("" when it has none), for requests
// that must reach the services (everything but /health answers 401 without it).
inline std::string Auth(const Daemon& d) {
  return d.token().empty() ? "" : d.AuthHeader() + "\r\n";
}

inline std::string Get(const std::string& path, const std::string& extra_headers = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
}

inline std::string Post(const std::string& path, const std::string& body,
                        const std::string& extra_headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A refused request: the Feathers error JSON with `status`, "Connection: close", then EOF.
inline void CheckRefused(RawHttp* c, int status, const char* name) {
  Response r = Read(c);
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.json["name"] == name);
  CHECK(r.json["code"] == status);
  CHECK(r.json["message"].is_string());
  CHECK(r.json["className"].is_string());
  CHECK(r.headers["content-type"].find("application/json") == 0);
  CHECK(r.closes());
  CHECK(c->WaitClosed(kTimeoutMs));
  CHECK(c->buffered().empty());  // nothing after the error
}

// Sends each request on a connection of its own; each must be refused with a Feathers 400.
inline void CheckEachRefused(const Daemon& d,
                             const std::vector<std::pair<const char*, std::string>>& bad) {
  for (const auto& [what, request] : bad) {
    INFO(what);
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw(request));
    CheckRefused(&c, 400, "BadRequest");
  }
}

// Upgrades to a WebSocket session and reads the Engine.IO open packet.
inline void Open(RawWebSocket* ws, const Daemon& d) {
  REQUIRE(ws->Connect(d.port(), kWsTarget) == 101);
  std::string open;
  REQUIRE(ws->ReadText(&open, kTimeoutMs));
  REQUIRE(open.rfind("0{\"sid\":", 0) == 0);
}

// The next frame with `opcode`, skipping others (the server's text frames); false if none came.
inline bool ReadUntil(RawWebSocket* ws, int opcode, std::string* payload) {
  for (;;) {
    int op = 0;
    if (!ws->ReadFrame(&op, payload, kTimeoutMs)) return false;
    if (op == opcode) return true;
  }
}

// The status code of the server's next close frame: 0 for a close frame without one, -1 when
// no close frame came. The reason goes to *reason.
inline int CloseCode(RawWebSocket* ws, std::string* reason = nullptr) {
  std::string payload;
  if (!ReadUntil(ws, 0x8, &payload)) return -1;
  CHECK_FALSE(ws->last_masked());
  CHECK(ws->last_fin());
  if (reason) *reason = payload.size() > 2 ? payload.substr(2) : "";
  if (payload.size() < 2) return 0;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

inline std::string CloseBody(int code, const std::string& reason = "") {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xff));
  return out + reason;
}

}  // namespace web_test
}  // namespace agor
