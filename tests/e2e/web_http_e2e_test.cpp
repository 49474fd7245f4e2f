// End-to-end: the daemon's own HTTP/1.1 server over raw sockets: keep-alive, pipelining,
// body framings, 100-continue, and every refused request (Feathers error JSON, then the
// connection closes).
#include "tests/e2e/web_test_helpers.h"

namespace agor {
using namespace web_test;

TEST_CASE("keep-alive answers several requests on one connection", "[e2e][http]") {
  Daemon d;
  RawHttp c;
  Open(&c, d);
  REQUIRE(c.SendRaw(Get("/health")));
  Response health = Read(&c);
  CHECK(health.status == 200);
  CHECK(health.json["status"] == "ok");
  CHECK_FALSE(health.closes());
  REQUIRE(c.SendRaw(Post("/boards", R"({"name":"kept"})", Auth(d))));
  Response created = Read(&c);
  CHECK(created.status == 201);
  CHECK(created.json["name"] == "kept");
  CHECK_FALSE(created.closes());
  REQUIRE(c.SendRaw(Get("/boards", Auth(d))));
  Response list = Read(&c);
  CHECK(list.status == 200);
  CHECK(list.json["total"] == 1);
  CHECK(list.json["data"][0]["name"] == "kept");
  CHECK_FALSE(list.closes());
  // Still open: an error answer does not close a keep-alive connection either.
  REQUIRE(c.SendRaw(Get("/boards/missing", Auth(d))));
  CHECK(Read(&c).status == 404);
  REQUIRE(c.SendRaw(Get("/health")));
  CHECK(Read(&c).status == 200);
}

TEST_CASE("pipelined requests are answered in order", "[e2e][http]") {
  Daemon d;
  RawHttp c;
  Open(&c, d);
  REQUIRE(c.SendRaw(Get("/health") + Post("/boards", R"({"name":"first"})", Auth(d)) +
                    Post("/boards", R"({"name":"second"})", Auth(d)) +
                    Get("/boards/missing", Auth(d)) +
                    "\r\n" +  // an empty line between requests is allowed
                    Get("/boards", Auth(d))));
  CHECK(Read(&c).status == 200);
  Response first = Read(&c);
  CHECK(first.status == 201);
  CHECK(first.json["name"] == "first");
  Response second = Read(&c);
  CHECK(second.status == 201);
  CHECK(second.json["name"] == "second");
  CHECK(Read(&c).status == 404);
  Response list = Read(&c);
  CHECK(list.status == 200);
  CHECK(list.json["total"] == 2);
  CHECK(c.buffered().empty());
}

TEST_CASE("a request arriving byte by byte is answered once complete", "[e2e][http]") {
  Daemon d;
  RawHttp c;
  Open(&c, d);
  std::string request = Post("/boards", R"({"name":"slow"})", Auth(d)) + Get("/health");
  for (char byte : request) REQUIRE(c.SendRaw(std::string(1, byte)));
  Response created = Read(&c);
  CHECK(created.status == 201);
  CHECK(created.json["name"] == "slow");
  CHECK(Read(&c).status == 200);
}

TEST_CASE("Connection: close and HTTP/1.0 requests are answered, then closed", "[e2e][http]") {
  Daemon d;
  SECTION("Connection: close, with a pipelined request left unanswered") {
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw(Get("/health", "Connection: close\r\n") + Get("/health")));
    Response r = Read(&c);
    CHECK(r.status == 200);
    CHECK(r.closes());
    CHECK(c.WaitClosed(kTimeoutMs));
    CHECK(c.buffered().empty());
  }
  SECTION("HTTP/1.0") {
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw("GET /health HTTP/1.0\r\n\r\n"));
    Response r = Read(&c);
    CHECK(r.status == 200);
    CHECK(r.json["status"] == "ok");
    CHECK(r.closes());
    CHECK(c.WaitClosed(kTimeoutMs));
  }
  SECTION("HTTP/1.0 asking for keep-alive stays open") {
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    Response r = Read(&c);
    CHECK(r.status == 200);
    CHECK_FALSE(r.closes());
    REQUIRE(c.SendRaw("GET /health HTTP/1.0\r\n\r\n"));
    CHECK(Read(&c).closes());
    CHECK(c.WaitClosed(kTimeoutMs));
  }
}

TEST_CASE("a chunked POST body is decoded", "[e2e][http]") {
  Daemon d;
  RawHttp c;
  Open(&c, d);
  const std::string head =
      "POST /boards HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + Auth(d) +
      "Transfer-Encoding: chunked\r\n\r\n";
  REQUIRE(c.SendRaw(head + "8\r\n{\"name\":\r\n" + "a;ext=1\r\n\"chunked\"}\r\n" + "0\r\n\r\n"));
  Response r = Read(&c);
  CHECK(r.status == 201);
  CHECK(r.json["name"] == "chunked");
  // The same framing arriving in pieces, trailers included, followed by a pipelined request.
  REQUIRE(c.SendRaw(head + "8\r"));
  REQUIRE(c.SendRaw("\n{\"name\":\r\n9\r\n\"pie"));
  REQUIRE(c.SendRaw("ces\"}\r\n0\r\nX-Trailer: t\r"));
  REQUIRE(c.SendRaw("\n\r\n" + Get("/boards", Auth(d))));
  Response pieces = Read(&c);
  CHECK(pieces.status == 201);
  CHECK(pieces.json["name"] == "pieces");
  Response list = Read(&c);
  CHECK(list.json["total"] == 2);
}

TEST_CASE("Expect: 100-continue is answered before the body is sent", "[e2e][http]") {
  Daemon d({"--max-body", "2048"});
  RawHttp c;
  Open(&c, d);
  const std::string body = R"({"name":"continued"})";
  const std::string head =
      "POST /boards HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + Auth(d) +
      "Expect: 100-continue\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  for (int round = 0; round < 2; ++round) {  // once per request on the connection
    INFO("round " << round);
    REQUIRE(c.SendRaw(head));
    Response go = Read(&c);
    CHECK(go.status == 100);
    CHECK(go.body.empty());
    CHECK(c.buffered().empty());
    REQUIRE(c.SendRaw(body));
    Response r = Read(&c);
    CHECK(r.status == 201);
    CHECK(r.json["name"] == "continued");
  }
  // A client that does not wait for the 100 gets the answer alone.
  REQUIRE(c.SendRaw(head + body));
  CHECK(Read(&c).status == 201);
  // A body over the limit gets its 413 instead of a 100.
  REQUIRE(c.SendRaw(
      "POST /boards HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n"));
  CheckRefused(&c, 413, "PayloadTooLarge");
}

TEST_CASE("malformed requests are refused with a Feathers 400, then closed", "[e2e][http]") {
  Daemon d;
  const std::string post = "POST /boards HTTP/1.1\r\nHost: x\r\n";
  static const char kTlsHello[] = "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n";
  const std::pair<const char*, std::string> bad[] = {
      {"malformed request line", "GARBAGE\r\n\r\n"},
      {"request line without a version", "GET /health\r\n\r\n"},
      {"target not a path", "GET health HTTP/1.1\r\nHost: x\r\n\r\n"},
      {"unknown version", "GET /health HTTP/2.0\r\n\r\n"},
      {"header without a colon", "GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"},
      {"header name with a space", "GET /health HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n"},
      {"invalid Content-Length", post + "Content-Length: 12abc\r\n\r\n"},
      {"Content-Length and Transfer-Encoding",
       post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"unsupported Transfer-Encoding", post + "Transfer-Encoding: gzip\r\n\r\n"},
      {"malformed chunk size", post + "Transfer-Encoding: chunked\r\n\r\nzz\r\n"},
      {"chunk data without its CRLF", post + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX"},
      {"TLS handshake on the plain port", std::string(kTlsHello, sizeof kTlsHello - 1)},
  };
  CheckEachRefused(d, {std::begin(bad), std::end(bad)});
  {
    INFO("after a good pipelined request, which is answered first");
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw(Get("/health") + "NOT HTTP AT ALL\r\n\r\n" + Get("/health")));
    Response ok = Read(&c);
    CHECK(ok.status == 200);
    CHECK_FALSE(ok.closes());
    CheckRefused(&c, 400, "BadRequest");
  }
  {
    INFO("headers over the limit, before their end arrived");
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw("GET /health HTTP/1.1\r\nX-Big: " + std::string(100 * 1024, 'a')));
    CheckRefused(&c, 400, "BadRequest");
  }
  // The daemon is unharmed.
  RawHttp after;
  Open(&after, d);
  REQUIRE(after.SendRaw(Get("/health")));
  CHECK(Read(&after).status == 200);
}

TEST_CASE("a body over --max-body is refused with 413, then closed", "[e2e][http]") {
  Daemon d({"--max-body", "2048"});
  SECTION("announced by Content-Length, refused before it is sent") {
    RawHttp c;
    Open(&c, d);
    REQUIRE(
        c.SendRaw("POST /boards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: 2049\r\n\r\n"));
    CheckRefused(&c, 413, "PayloadTooLarge");
  }
  SECTION("sent along with Content-Length") {
    RawHttp c;
    Open(&c, d);
    std::string body = R"({"name":")" + std::string(3000, 'x') + R"("})";
    REQUIRE(c.SendRaw(Post("/boards", body)));
    CheckRefused(&c, 413, "PayloadTooLarge");
  }
  SECTION("chunked, passing the limit in its second chunk") {
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw(
        "POST /boards HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "400\r\n" +
        std::string(1024, 'x') + "\r\n401\r\n" + std::string(1025, 'y') + "\r\n0\r\n\r\n"));
    CheckRefused(&c, 413, "PayloadTooLarge");
  }
  SECTION("a body at the limit is read (and judged by the router)") {
    RawHttp c;
    Open(&c, d);
    std::string body = R"({"name":")" + std::string(2048 - 11, 'x') + R"("})";
    REQUIRE(body.size() == 2048);
    REQUIRE(c.SendRaw(Post("/boards", body, Auth(d))));
    Response r = Read(&c);
    CHECK(r.status != 413);
    CHECK_FALSE(r.closes());
  }
}

}  // namespace agor
