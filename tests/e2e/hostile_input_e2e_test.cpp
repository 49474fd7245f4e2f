// End-to-end: hostile input against the real daemon. Each request below killed the daemon once
// (an exception from nlohmann unwound the event loop); now each is a clear Feathers error in
// valid UTF-8, and the daemon answers /health afterwards.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "base/status.h"
#include "base/utf8.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_http.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::RawHttp;
using test::RawWebSocket;
using test::RestApi;

constexpr int kTimeoutMs = 10000;

struct Answer {
  int status = 0;
  std::string body;
  Json json;
};

std::string Request(const std::string& method, const std::string& path,
                    const std::string& body = "") {
  std::string head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    head +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return head + "\r\n" + body;
}

// Sends the bytes of one request on a new connection, as the daemon's admin (its Authorization
// header goes right after the request line, so the refusal tested is not a 401), and reads its
// answer.
Answer Send(const Daemon& d, std::string bytes) {
  size_t line_end = bytes.find("\r\n");
  if (!d.token().empty() && line_end != std::string::npos)
    bytes.insert(line_end + 2, d.AuthHeader() + "\r\n");
  RawHttp c;
  REQUIRE(c.Connect(d.port()));
  REQUIRE(c.SendRaw(bytes));
  Answer a;
  std::map<std::string, std::string> headers;
  REQUIRE(c.ReadResponse(&a.status, &headers, &a.body, kTimeoutMs));
  a.json = Json::parse(a.body, nullptr, false);
  return a;
}

// A Feathers error with `status`, in valid UTF-8, whose message starts with `message`.
void CheckRefused(const Answer& a, int status, const std::string& message) {
  INFO(a.body.substr(0, 300));
  CHECK(a.status == status);
  CHECK(IsValidUtf8(a.body));
  REQUIRE(a.json.is_object());
  CHECK(a.json["code"] == status);
  CHECK(a.json["message"].get<std::string>().rfind(message, 0) == 0);
}

void CheckAlive(const Daemon& d) {
  Answer health = Send(d, Request("GET", "/health"));
  CHECK(health.status == 200);
  CHECK(health.json.value("status", "") == "ok");
}

std::string Deep(const std::string& open, const std::string& leaf, const std::string& close,
                 int depth) {
  std::string text;
  text.reserve((open.size() + close.size()) * depth + leaf.size());
  for (int i = 0; i < depth; ++i) text += open;
  text += leaf;
  for (int i = 0; i < depth; ++i) text += close;
  return text;
}

}  // namespace

TEST_CASE("ids in the path that are not UTF-8 are a 400 with a valid message", "[e2e][hostile]") {
  Daemon d;
  CheckRefused(Send(d, Request("GET", "/boards/%ff")), 400, "invalid UTF-8 in path");
  CheckRefused(Send(d, Request("PATCH", "/sessions/%c3%28", "{}")), 400, "invalid UTF-8 in path");
  CheckRefused(Send(d, Request("POST", "/sessions/%ff/prompt", R"({"prompt":"hi"})")), 400,
               "invalid UTF-8 in path");
  CheckRefused(Send(d, Request("DELETE", "/boards/%ed%a0%80")), 400, "invalid UTF-8 in path");
  CheckRefused(Send(d, Request("GET", "/%ff")), 400, "invalid UTF-8 in path");
  // Valid UTF-8 is echoed as it is.
  CheckRefused(Send(d, Request("GET", "/boards/caf%C3%A9")), 404,
               "No record found for id 'caf\xC3\xA9'");
  CheckAlive(d);
}

TEST_CASE("raw bytes that are not UTF-8 in the request line are answered in valid UTF-8",
          "[e2e][hostile]") {
  Daemon d;
  for (const std::string& path : {"/boards/\xff", "/\xc3\x28", "/events/\xff"}) {
    Answer a = Send(d, Request("GET", path));
    INFO(a.body);
    CHECK((a.status == 400 || a.status == 404));
    CHECK(IsValidUtf8(a.body));
  }
  Answer method = Send(d, Request("G\xffT", "/boards"));
  CHECK(method.status >= 400);
  CHECK(IsValidUtf8(method.body));
  CheckAlive(d);
}

TEST_CASE("a JSON body that is not UTF-8 is a 400", "[e2e][hostile]") {
  Daemon d;
  CheckRefused(Send(d, Request("POST", "/boards", "{\"name\":\"\xff\"}")), 400,
               "Invalid JSON: invalid UTF-8 at byte 10");
  CheckRefused(Send(d, Request("POST", "/boards", "{\"\xc3\x28\":1}")), 400,
               "Invalid JSON: invalid UTF-8");
  CheckAlive(d);
}

TEST_CASE("numbers out of range in a JSON body are a 400", "[e2e][hostile]") {
  Daemon d;
  CheckRefused(Send(d, Request("POST", "/boards", "1e400")), 400,
               "Invalid JSON: number out of range: '1e400'");
  CheckRefused(Send(d, Request("POST", "/boards", "{\"name\":-1e400}")), 400,
               "Invalid JSON: number out of range");
  CheckRefused(Send(d, Request("POST", "/boards", "{\"name\":18446744073709551616}")), 400,
               "Invalid JSON: number out of range");
  CheckAlive(d);
}

TEST_CASE("bytes after a JSON body are a 400", "[e2e][hostile]") {
  Daemon d;
  CheckRefused(Send(d, Request("POST", "/boards", R"({"name":"a"} {"name":"b"})")), 400,
               "Invalid JSON: unexpected text after the value at byte 14");
  CheckRefused(Send(d, Request("POST", "/boards", std::string("{\"name\":\"a\"}\0", 13))), 400,
               "Invalid JSON: NUL byte at byte 13");
  Answer boards = Send(d, Request("GET", "/boards"));
  CHECK(boards.json["total"] == 0);  // nothing of the refused bodies was written
  // Whitespace after the value and a leading byte order mark are fine.
  Answer ok = Send(d, Request("POST", "/boards", "\xEF\xBB\xBF{\"name\":\"bom\"} \r\n"));
  CHECK(ok.status == 201);
  CHECK(ok.json["name"] == "bom");
  CheckAlive(d);
}

TEST_CASE("a JSON body nested 60,000 deep is a 400", "[e2e][hostile]") {
  Daemon d;
  RestApi api(d);
  const std::string session = api.Session("command", Json::array({"true"}));
  const std::string deep = Deep("{\"x\":", "1", "}", 60000);
  CheckRefused(Send(d, Request("PATCH", "/sessions/" + session, "{\"position\":" + deep + "}")),
               400, "Invalid JSON: nested deeper than 64 levels");
  const std::string message = R"({"session_id":")" + session + R"(","role":"user",)";
  CheckRefused(Send(d, Request("POST", "/messages",
                               message + "\"content\":" + Deep("[", "1", "]", 60000) + "}")),
               400, "Invalid JSON: nested deeper than 64 levels");
  CheckRefused(Send(d, Request("POST", "/messages",
                               message + "\"tool_uses\":" + Deep("[", "", "]", 70000) + "}")),
               400, "Invalid JSON: nested deeper than 64 levels");
  // At the limit (the body itself is level 1) the write goes through and reads back whole.
  Answer at_limit =
      Send(d, Request("POST", "/messages",
                      message + "\"metadata\":" + Deep("{\"x\":", "1", "}", 63) + "}"));
  CHECK(at_limit.status == 201);
  CHECK(at_limit.json["metadata"] == Json::parse(Deep("{\"x\":", "1", "}", 63)));
  CheckRefused(Send(d, Request("POST", "/messages",
                               message + "\"metadata\":" + Deep("{\"x\":", "1", "}", 64) + "}")),
               400, "Invalid JSON: nested deeper than 64 levels");
  CheckAlive(d);
}

TEST_CASE("query strings out of bounds are a 400", "[e2e][hostile]") {
  Daemon d;
  CheckRefused(Send(d, Request("GET", "/boards?$limit=99999999999999999999999")), 400,
               "$limit must be a non-negative integer");
  CheckRefused(Send(d, Request("GET", "/boards?$skip=1e400")), 400,
               "$skip must be a non-negative integer");
  std::string in;
  for (int i = 0; i < 1001; ++i) in += "&name[$in][]=x";  // within the 16 KiB request head
  CheckRefused(Send(d, Request("GET", "/boards?" + in.substr(1))), 400,
               "Too many query parameters (max 1000)");
  CheckRefused(Send(d, Request("GET", "/boards?a[b][c][d][e][f][g][h][i][j]=x")), 400,
               "Query parameter 'a[b][c][d][e][f][g][h][i][j]' is nested too deeply");
  CheckRefused(Send(d, Request("GET", "/boards?name=%ff")), 400, "Invalid UTF-8 in query string");
  CheckAlive(d);
}

TEST_CASE("socket.io payloads follow the same JSON rule", "[e2e][hostile]") {
  Daemon d;
  const char* bad[] = {"420[\"create\",\"boards\",{\"name\":1e400}]",
                       "420[\"create\",\"boards\",{\"name\":18446744073709551616}]",
                       "420[\"get\",\"boards\",\"\\ud800\"]",
                       "420[\"find\",\"boards\",{}] trailing"};
  std::vector<std::string> frames(std::begin(bad), std::end(bad));
  frames.push_back("420[\"create\",\"boards\"," + Deep("[", "", "]", 60000) + "]");
  for (const std::string& frame : frames) {
    RawWebSocket ws;
    REQUIRE(ws.Connect(d.port(), "/socket.io/?EIO=4&transport=websocket") == 101);
    std::string open, reply;
    REQUIRE(ws.ReadText(&open, kTimeoutMs));
    REQUIRE(ws.SendText(test::ConnectPacket(d.token())));
    REQUIRE(ws.ReadText(&reply, kTimeoutMs));
    INFO(frame.substr(0, 80));
    REQUIRE(ws.SendText(frame));
    // A call the client numbered is answered with a 400 and the connection stays ...
    std::string ack;
    REQUIRE(ws.ReadText(&ack, kTimeoutMs));
    CHECK(ack.rfind("430[{\"name\":\"BadRequest\"", 0) == 0);
    CHECK(ack.find("Invalid JSON") != std::string::npos);
    // ... the same packet without an ack id closes it, as stock socket.io does.
    REQUIRE(ws.SendText("42" + frame.substr(3)));
    CHECK(ws.WaitClosed(kTimeoutMs));
  }
  CheckAlive(d);
}

}  // namespace agor
