// End-to-end: the daemon's HTTP/WebSocket server against hostile clients over raw sockets:
// strict framing (each lenient input refused with 400), chunk framing under the raw-size cap,
// a chunked body in 1-byte chunks, pipelined answers or pongs never read (bounded memory),
// request deadlines that trickled bytes do not extend (408), and HEAD wherever GET works.
#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "tests/e2e/web_test_helpers.h"

namespace agor {
using namespace web_test;

namespace {

// The daemon's peak resident memory in KiB (VmHWM of /proc/<pid>/status).
long PeakRssKb(const Daemon& d) {
  std::ifstream status("/proc/" + std::to_string(d.pid()) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Sends `request` a byte at a time, each byte after waiting up to `pace_ms` for an answer;
// returns how many bytes went out before the answer came (request.size() when none came).
size_t Trickle(RawHttp* c, const std::string& request, int pace_ms, Response* answer) {
  for (size_t i = 0; i < request.size(); ++i) {
    if (!c->SendRaw(request.substr(i, 1))) return i;
    if (c->ReadResponse(&answer->status, &answer->headers, &answer->body, pace_ms)) return i + 1;
  }
  return request.size();
}

void CheckTimedOut(RawHttp* c, const Response& r) {
  INFO(r.body);
  CHECK(r.status == 408);
  Json json = Json::parse(r.body, nullptr, false);
  CHECK(json["name"] == "Timeout");
  CHECK(json["code"] == 408);
  CHECK(r.closes());
  CHECK(c->WaitClosed(kTimeoutMs));
}

}  // namespace

TEST_CASE("lenient framing is refused with a Feathers 400, then closed", "[e2e][http]") {
  Daemon d;
  const std::string host = "Host: 127.0.0.1\r\n";
  const std::string post = "POST /boards HTTP/1.1\r\n" + host;
  const std::pair<const char*, std::string> bad[] = {
      {"bare LF line ends", "GET /health HTTP/1.1\n" + host.substr(0, host.size() - 2) + "\n\n"},
      {"bare LF ending the headers", "GET /health HTTP/1.1\r\n" + host + "\n"},
      {"CR inside a header value", "GET /health HTTP/1.1\r\n" + host + "X-A: a\rb\r\n\r\n"},
      {"NUL inside a header value",
       "GET /health HTTP/1.1\r\n" + host + std::string("X-A: a\0b\r\n\r\n", 11)},
      {"ESC inside a header value", "GET /health HTTP/1.1\r\n" + host + "X-A: a\x1b[2J\r\n\r\n"},
      {"0xFF in the Origin header",
       "GET /health HTTP/1.1\r\n" + host + "Origin: http://\xff\r\n\r\n"},
      {"two Transfer-Encoding headers",
       post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"empty Transfer-Encoding with Content-Length",
       post + "Transfer-Encoding:\r\nContent-Length: 2\r\n\r\n{}"},
      {"0xFF as the method", "\xff /health HTTP/1.1\r\n" + host + "\r\n"},
      {"a non-token method", "GE(T /health HTTP/1.1\r\n" + host + "\r\n"},
      {"raw 0xFF in the path", "GET /boards/\xff HTTP/1.1\r\n" + host + "\r\n"},
      {"raw UTF-8 in the path", "GET /boards/caf\xc3\xa9 HTTP/1.1\r\n" + host + "\r\n"},
      {"a control byte in the target", "GET /health?\x01 HTTP/1.1\r\n" + host + "\r\n"},
      {"HTTP/1.1 without Host", "GET /health HTTP/1.1\r\n\r\n"},
      {"two Host headers", "GET /health HTTP/1.1\r\n" + host + host + "\r\n"},
      {"a control byte in a chunk extension",
       post + "Transfer-Encoding: chunked\r\n\r\n1;a\x01\r\nX\r\n0\r\n\r\n"},
  };
  CheckEachRefused(d, {std::begin(bad), std::end(bad)});
  RawHttp after;  // the daemon is unharmed
  Open(&after, d);
  REQUIRE(after.SendRaw(Get("/health") + "GET /health HTTP/1.0\r\n\r\n"));
  CHECK(Read(&after).status == 200);
  CHECK(Read(&after).status == 200);  // HTTP/1.0 may omit Host
}

TEST_CASE("a chunked body in 1-byte chunks is decoded in one pass", "[e2e][http]") {
  Daemon d;
  RawHttp c;
  Open(&c, d);
  const std::string body =
      R"({"name":"bytes","description":")" + std::string(200 * 1024, 'd') + "\"}";
  std::string request =
      "POST /boards HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + Auth(d) +
      "Transfer-Encoding: chunked\r\n\r\n";
  for (char byte : body) request.append("1\r\n").append(1, byte).append("\r\n");
  request.append("0\r\n\r\n");
  REQUIRE(c.SendRaw(request + Get("/health")));
  Response created = Read(&c);
  CHECK(created.status == 201);
  CHECK(created.json["description"].get<std::string>().size() == 200 * 1024);
  CHECK(Read(&c).status == 200);
}

TEST_CASE("chunk extensions past the raw request cap are refused with 413", "[e2e][http]") {
  // One body byte per kilobyte of extension: the body stays small, the framing is capped
  // (header allowance + twice --max-body), not buffered.
  Daemon d({"--max-body", "65536"});
  RawHttp c;
  Open(&c, d);
  std::string request =
      "POST /boards HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "1;" + std::string(1000, 'e') + "\r\nX\r\n";
  while (request.size() < 1024 * 1024) request += chunk;
  c.SendRaw(request);  // the daemon may close before all of it is read
  CheckRefused(&c, 413, "PayloadTooLarge");
}

TEST_CASE("pipelined requests whose answers are not read keep the daemon's memory bounded",
          "[e2e][http]") {
  // Each answer is ~900 KB: 150 of them answered at once would take 135 MB. The connection is
  // not read while its unsent answers pass 1 MiB, and is read again as they drain.
  Daemon d;
  RawHttp c;
  Open(&c, d);
  const size_t description = 900 * 1024;
  REQUIRE(c.SendRaw(Post("/boards",
                         R"({"name":"big","description":")" + std::string(description, 'b') + "\"}",
                         Auth(d))));
  Response created = Read(&c);
  REQUIRE(created.status == 201);
  const std::string id = created.json["board_id"];
  long before = PeakRssKb(d);
  REQUIRE(before > 0);
  std::string pipeline;
  const int count = 150;
  for (int i = 0; i < count; ++i) pipeline += Get("/boards/" + id, Auth(d));
  REQUIRE(c.SendRaw(pipeline));
  for (int i = 0; i < count; ++i) {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
    REQUIRE(c.ReadResponse(&status, &headers, &body, kTimeoutMs));
    REQUIRE(status == 200);
    REQUIRE(body.size() > description);
  }
  long growth_kb = PeakRssKb(d) - before;
  INFO("peak RSS grew by " << growth_kb << " KiB");
  CHECK(growth_kb < 48 * 1024);
}

TEST_CASE("request deadlines: trickled headers or body get 408, then the close", "[e2e][http]") {
  Daemon d({"--http-header-timeout", "300", "--http-body-timeout", "300"});
  SECTION("headers arriving a byte at a time") {
    RawHttp c;
    Open(&c, d);
    const std::string request = Get("/health", "X-Padding: " + std::string(100, 'p') + "\r\n");
    Response r;
    size_t sent = Trickle(&c, request, 50, &r);
    CHECK(sent < request.size());  // answered before the request could complete
    CheckTimedOut(&c, r);
  }
  SECTION("headers that stop arriving") {
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    CheckRefused(&c, 408, "Timeout");
  }
  SECTION("a body arriving a byte at a time") {
    RawHttp c;
    Open(&c, d);
    const std::string body = R"({"name":")" + std::string(100, 'n') + "\"}";
    const std::string request = Post("/boards", body);
    const size_t head = request.size() - body.size();
    REQUIRE(c.SendRaw(request.substr(0, head)));
    Response r;
    size_t sent = Trickle(&c, request.substr(head), 50, &r);
    CHECK(sent < body.size());
    CheckTimedOut(&c, r);
  }
  SECTION("an idle keep-alive connection is not a late request") {
    RawHttp idle;
    Open(&idle, d);
    REQUIRE(idle.SendRaw(Get("/health")));
    CHECK(Read(&idle).status == 200);
    RawHttp late;  // its 408 marks that the deadline has passed for the idle one too
    Open(&late, d);
    REQUIRE(late.SendRaw("GET /he"));
    CheckRefused(&late, 408, "Timeout");
    REQUIRE(idle.SendRaw(Get("/health")));
    CHECK(Read(&idle).status == 200);
  }
}

TEST_CASE("HEAD answers what GET answers, without the body", "[e2e][http]") {
  Daemon d;
  for (const char* path : {"/health", "/boards", "/boards/missing"}) {
    INFO(path);
    RawHttp get;
    Open(&get, d);
    REQUIRE(get.SendRaw(Get(path, Auth(d))));
    Response expected = Read(&get);
    RawHttp head;
    Open(&head, d);
    // A HEAD kept alive, then a GET on the same connection: no body may sit between them.
    REQUIRE(head.SendRaw("HEAD " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                         Auth(d) + "\r\n" + Get(path, Auth(d) + "Connection: close\r\n")));
    REQUIRE(head.WaitClosed(kTimeoutMs));
    const std::string& raw = head.buffered();
    size_t end = raw.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    CHECK(std::stoi(raw.substr(9, 3)) == expected.status);
    if (std::string(path) != "/health") {  // /health's uptime changes its length
      CHECK(raw.find("Content-Length: " + std::to_string(expected.body.size()) + "\r\n") < end);
    }
    CHECK(raw.find("Content-Type: " + expected.headers["content-type"] + "\r\n") < end);
    CHECK(raw.compare(end + 4, 9, "HTTP/1.1 ") == 0);  // the GET's answer follows at once
  }
}

TEST_CASE("HEAD on the long-polling path is refused, not answered with packets", "[e2e][http]") {
  // A polling GET hands over the packets it answers with; a HEAD would drop them unseen.
  Daemon d;
  RawHttp c;
  Open(&c, d);
  REQUIRE(
      c.SendRaw("HEAD /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Connection: close\r\n\r\n"));
  REQUIRE(c.WaitClosed(kTimeoutMs));
  CHECK(c.buffered().compare(0, 12, "HTTP/1.1 405") == 0);
}

TEST_CASE("pongs for a client that never reads are bounded like any answer", "[e2e][ws]") {
  // 600,000 pings (78 MB) sent without reading: their pongs would all be queued. The daemon
  // stops reading once 1 MiB waits, so the client's sends stall instead.
  Daemon d;
  RawWebSocket ws;
  ws.SetReceiveBuffer(4096);
  Open(&ws, d);
  long before = PeakRssKb(d);
  REQUIRE(before > 0);
  std::string ping = "\x89\xfd" + std::string(4, '\0') + std::string(125, 'p');  // zero mask
  std::string stream;
  const int count = 600000;
  stream.reserve(ping.size() * count + 8);
  for (int i = 0; i < count; ++i) stream += ping;
  stream += std::string("\x88\x82\0\0\0\0\x03\xe8", 8);  // then close 1000
  auto sender = std::async(std::launch::async, [&] { return ws.SendRaw(stream); });
  sender.wait_for(std::chrono::seconds(2));  // done already only if nothing held it back
  long growth_kb = PeakRssKb(d) - before;
  // Reading drains the pongs; the daemon reads again, reaches the close frame and ends.
  CHECK(ws.WaitTcpClosed(60000));
  CHECK(sender.get());
  INFO("peak RSS grew by " << growth_kb << " KiB");
  CHECK(growth_kb < 24 * 1024);
}

}  // namespace agor
