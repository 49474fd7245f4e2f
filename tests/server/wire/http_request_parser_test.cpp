// Tests of server/wire/http_request_parser through its one-shot form: requests whole, split
// and pipelined, both body framings, keep-alive, 100-continue, every refused input with its
// status, and the response bytes. (http_request_parser_stream_test.cpp: the incremental parser,
// strict framing and deadlines.)
#include "server/wire/http_request_parser.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {
namespace {

// `in` with CR and LF spelled out, for messages.
std::string Shown(const std::string& in) {
  std::string out;
  for (char c : in.substr(0, 300)) out += c == '\r' ? "\\r" : c == '\n' ? "\\n" : std::string(1, c);
  return out;
}

HttpParse Parse(const std::string& in, HttpRequest* req, const HttpLimits& limits = {}) {
  return ParseHttpRequest(in, limits, req);
}

// Parses `in`, expecting one whole request spanning all of it.
HttpRequest Complete(const std::string& in, const HttpLimits& limits = {}) {
  HttpRequest req;
  HttpParse p = Parse(in, &req, limits);
  INFO(Shown(in) << " -> " << p.error.ToString());
  REQUIRE(p.result == HttpParse::kComplete);
  CHECK(p.consumed == in.size());
  return req;
}

// Parses `in`, expecting a refusal with `status`; returns the refusal's message.
std::string Refused(const std::string& in, int status, const HttpLimits& limits = {}) {
  HttpRequest req;
  HttpParse p = Parse(in, &req, limits);
  INFO(Shown(in));
  REQUIRE(p.result == HttpParse::kError);
  CHECK(p.error.http_status() == status);
  CHECK(!p.error.message().empty());
  return p.error.message();
}

const char kPost[] =
    "POST /boards HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Content-Length: 13\r\n\r\n{\"name\":\"b\"}\n";

}  // namespace

TEST_CASE("http parser: a GET with a query string", "[server][http]") {
  HttpRequest req = Complete(
      "GET /boards/abc?limit=2&name=a%20b HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "X-Custom-Header:   spaced value \t\r\n\r\n");
  CHECK(req.method == "GET");
  CHECK(req.path == "/boards/abc");
  CHECK(req.query == "limit=2&name=a%20b");
  CHECK(req.body.empty());
  CHECK(req.Header("host") == "127.0.0.1");
  CHECK(req.Header("x-custom-header") == "spaced value");  // names lowercased, values trimmed
  CHECK(req.Header("absent").empty());
}

TEST_CASE("http parser: a path without a query and an absolute-form target", "[server][http]") {
  HttpRequest plain = Complete("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(plain.path == "/health");
  CHECK(plain.query.empty());
  CHECK(plain.headers.size() == 1);  // Host only
  HttpRequest absolute =
      Complete("GET http://127.0.0.1:3030/boards?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(absolute.path == "/boards");
  CHECK(absolute.query == "x=1");
}

TEST_CASE("http parser: a POST with a Content-Length body", "[server][http]") {
  HttpRequest req = Complete(kPost);
  CHECK(req.method == "POST");
  CHECK(req.path == "/boards");
  CHECK(req.body == "{\"name\":\"b\"}\n");
  CHECK(req.Header("content-type") == "application/json");
  HttpRequest empty = Complete("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  CHECK(empty.body.empty());
}

TEST_CASE("http parser: a request split at any byte is incomplete until its last byte",
          "[server][http]") {
  const std::string chunked =
      "POST /boards HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nTrailer: t\r\n\r\n";
  for (const std::string& whole : {std::string(kPost), chunked}) {
    for (size_t cut = 0; cut < whole.size(); ++cut) {
      HttpRequest req;
      HttpParse p = Parse(whole.substr(0, cut), &req);
      INFO(Shown(whole) << " cut at " << cut);
      REQUIRE(p.result == HttpParse::kIncomplete);
    }
    HttpRequest req = Complete(whole);
    CHECK(req.method == "POST");
  }
}

TEST_CASE("http parser: pipelined requests are parsed one after the other", "[server][http]") {
  const std::string first = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string second = kPost;
  const std::string third = "DELETE /boards/1 HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string in = first + second + third + "GET /par";  // a fourth, still arriving
  HttpRequest req;
  HttpParse p = Parse(in, &req);
  REQUIRE(p.result == HttpParse::kComplete);
  CHECK(p.consumed == first.size());
  CHECK(req.path == "/health");
  in.erase(0, p.consumed);
  p = Parse(in, &req);
  REQUIRE(p.result == HttpParse::kComplete);
  CHECK(p.consumed == second.size());
  CHECK(req.method == "POST");
  CHECK(req.body == "{\"name\":\"b\"}\n");
  in.erase(0, p.consumed);
  p = Parse(in, &req);
  REQUIRE(p.result == HttpParse::kComplete);
  CHECK(p.consumed == third.size());
  CHECK(req.method == "DELETE");
  CHECK(req.path == "/boards/1");
  CHECK(req.body.empty());  // the previous request's body is not kept
  in.erase(0, p.consumed);
  CHECK(in == "GET /par");
  CHECK(Parse(in, &req).result == HttpParse::kIncomplete);
}

TEST_CASE("http parser: a chunked body is decoded, extensions and trailers skipped",
          "[server][http]") {
  const std::string in =
      "POST /boards HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5\r\n{\"nam\r\n"
      "A;ext=1;other=\"q\"\r\ne\":\"board\"\r\n"
      "1 \r\n}\r\n"
      "0\r\nX-Trailer: one\r\nX-Other: two\r\n\r\n";
  HttpRequest req = Complete(in);
  CHECK(req.body == "{\"name\":\"board\"}");
  HttpRequest empty =
      Complete("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  CHECK(empty.body.empty());
  // Pipelined after a chunked request: consumed ends at the trailers' empty line.
  const std::string next = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  HttpRequest first;
  HttpParse p = Parse(in + next, &first);
  REQUIRE(p.result == HttpParse::kComplete);
  CHECK(p.consumed == in.size());
}

TEST_CASE("http parser: keep-alive follows the version and the Connection header",
          "[server][http]") {
  auto keep_alive = [](const std::string& in) {
    HttpRequest req;
    HttpParse p = Parse(in, &req);
    INFO(in);
    REQUIRE(p.result == HttpParse::kComplete);
    return p.keep_alive;
  };
  CHECK(keep_alive("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(keep_alive("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"));
  CHECK_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  CHECK_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n"));
  CHECK_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  CHECK(keep_alive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  CHECK_FALSE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
}

TEST_CASE("http parser: empty lines before a request are skipped", "[server][http]") {
  const std::string in = "\r\n\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  HttpRequest req = Complete(in);  // consumed counts the skipped lines too
  CHECK(req.path == "/health");
  HttpRequest only;
  CHECK(Parse("\r\n\r\n", &only).result == HttpParse::kIncomplete);
}

TEST_CASE("http parser: a malformed request line is 400", "[server][http]") {
  for (const char* line :
       {"GET\r\n\r\n", "GET /\r\n\r\n", "GET HTTP/1.1\r\nHost: x\r\n\r\n",
        " / HTTP/1.1\r\nHost: x\r\n\r\n", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / x HTTP/1.1\r\nHost: x\r\n\r\n", "GET boards HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET / http/1.1\r\n\r\n", "GET / HTTP/1.1 \r\n\r\n", "\x16\x03\x01\r\n\r\n"}) {
    CHECK(Refused(line, 400) == "malformed request line");
  }
}

TEST_CASE("http parser: an unknown HTTP version is 400", "[server][http]") {
  Refused("GET / HTTP/2.0\r\n\r\n", 400);
  Refused("GET / HTTP/0.9\r\n\r\n", 400);
  Refused("GET / HTTP/1.2\r\n\r\n", 400);
  Refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400);
}

TEST_CASE("http parser: a header line without a colon is 400", "[server][http]") {
  CHECK(Refused("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400) == "malformed header line");
  Refused("GET / HTTP/1.1\r\nHost: x\r\njunk\r\n\r\n", 400);
  Refused("GET / HTTP/1.1\r\nHost: x\r\n: no name\r\n\r\n", 400);
}

TEST_CASE("http parser: a header name with whitespace is 400", "[server][http]") {
  CHECK(Refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400) == "malformed header line");
  Refused("GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n", 400);
  Refused("GET / HTTP/1.1\r\nHost: x\r\nX\t: z\r\n\r\n", 400);
  Refused("GET / HTTP/1.1\r\nHost: x\r\n folded: value\r\n\r\n", 400);  // obs-fold
}

TEST_CASE("http parser: an invalid Content-Length is 400", "[server][http]") {
  for (const char* length : {"abc", "-1", "+5", "5 5", "0x10", "1e3", "1234567890123456"}) {
    std::string in =
        std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ") + length + "\r\n\r\n";
    CHECK(Refused(in, 400) == "invalid Content-Length");
  }
}

TEST_CASE("http parser: Content-Length with Transfer-Encoding is 400", "[server][http]") {
  Refused(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      400);
  Refused(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"
      "0\r\n\r\n",
      400);
}

TEST_CASE("http parser: a Transfer-Encoding other than chunked is 400", "[server][http]") {
  CHECK(Refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400) ==
        "unsupported Transfer-Encoding");
  Refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400);
  Refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 400);
}

TEST_CASE("http parser: headers over max_header_bytes are 400", "[server][http]") {
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  std::string head = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1100, 'a');
  // Still arriving (no end of headers yet): refused once the limit is passed...
  CHECK(Refused(head, 400, limits).find("1024") != std::string::npos);
  // ... and not before.
  HttpRequest req;
  CHECK(Parse(head.substr(0, 1000), &req, limits).result == HttpParse::kIncomplete);
}

TEST_CASE("http parser: a complete header block over max_header_bytes is 400", "[server][http]") {
  // The limit is only checked while the end of the headers has not arrived: the same oversized
  // block read in one piece (the server reads 64 KiB at a time) is accepted.
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  Refused("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n", 400,
          limits);
}

TEST_CASE("http parser: empty lines before a request count against max_header_bytes",
          "[server][http]") {
  // Skipped CRLFs are never consumed: a client sending only "\r\n" makes the connection buffer
  // grow without bound.
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  std::string blank;
  for (int i = 0; i < 4000; ++i) blank += "\r\n";
  Refused(blank, 400, limits);
}

TEST_CASE("http parser: trailers over max_header_bytes are 400", "[server][http]") {
  // Trailer lines after the last chunk are skipped without any limit.
  HttpLimits limits;
  limits.max_header_bytes = 1024;
  std::string in = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 200; ++i)
    in += "X-Trailer-" + std::to_string(i) + ": " + std::string(40, 't') + "\r\n";
  Refused(in, 400, limits);
}

TEST_CASE("http parser: conflicting duplicate Content-Length headers are 400", "[server][http]") {
  // RFC 9112 6.3: differing Content-Length values are unrecoverable framing errors; the parser
  // takes the first one and leaves the rest as the next request (request smuggling).
  Refused(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 27\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
      400);
}

TEST_CASE("http parser: a body over max_body_bytes is 413", "[server][http]") {
  HttpLimits limits;
  limits.max_body_bytes = 100;
  CHECK(
      Complete("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'),
               limits)
          .body.size() == 100);
  // Content-Length: refused from the headers, before the body arrived.
  CHECK(Refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 413, limits)
            .find("100") != std::string::npos);
  // Chunked: refused by the chunk size that passes the limit, before its data arrived.
  std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  Complete(chunked + "32\r\n" + std::string(50, 'x') + "\r\n32\r\n" + std::string(50, 'y') +
               "\r\n0\r\n\r\n",
           limits);
  Refused(chunked + "32\r\n" + std::string(50, 'x') + "\r\n33\r\n", 413, limits);
  Refused(chunked + "65\r\n", 413, limits);
  Refused(chunked + "fffffffffffffff\r\n", 413, limits);
}

TEST_CASE("http parser: a malformed chunk is 400", "[server][http]") {
  std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* bad :
       {"xyz\r\n", "\r\n", ";ext\r\n", "-1\r\n", "0x5\r\n", "1 2\r\n", "1000000000000000\r\n"}) {
    CHECK(Refused(chunked + bad, 400) == "malformed chunk size");
  }
  // A chunk-size line that never ends.
  CHECK(Refused(chunked + std::string(2000, '1'), 400) == "malformed chunk size");
  // Chunk data not followed by CRLF.
  CHECK(Refused(chunked + "3\r\nabcXY0\r\n\r\n", 400) == "malformed chunk");
}

TEST_CASE("http parser: expects_continue is set while an announced body is awaited",
          "[server][http]") {
  const std::string head =
      "POST /boards HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 13\r\n\r\n";
  HttpRequest req;
  HttpParse p = Parse(head, &req);
  CHECK(p.result == HttpParse::kIncomplete);
  CHECK(p.expects_continue);
  p = Parse(head + "{\"name\":", &req);
  CHECK(p.result == HttpParse::kIncomplete);
  CHECK(p.expects_continue);
  p = Parse(head + "{\"name\":\"b\"}\n", &req);
  CHECK(p.result == HttpParse::kComplete);
  CHECK_FALSE(p.expects_continue);
  // Not before the headers are complete, nor without the header.
  CHECK_FALSE(Parse(head.substr(0, head.size() - 2), &req).expects_continue);
  CHECK_FALSE(
      Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", &req).expects_continue);
  // Chunked bodies too.
  p = Parse(
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n",
      &req);
  CHECK(p.result == HttpParse::kIncomplete);
  CHECK(p.expects_continue);
  // A refused body gets its error, not a 100.
  p = Parse(
      "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n",
      &req);
  CHECK(p.result == HttpParse::kError);
  CHECK(p.error.http_status() == 413);
  CHECK_FALSE(p.expects_continue);
}

TEST_CASE("http serializer: status line, headers, then the body", "[server][http]") {
  HttpResponse r;
  r.status = 201;
  r.body = "{\"id\":1}";
  r.headers = {{"Access-Control-Allow-Origin", "http://a"}, {"X-Two", "2"}};
  CHECK(SerializeHttpResponse(r, true) ==
        "HTTP/1.1 201 Created\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "Content-Length: 8\r\n"
        "Access-Control-Allow-Origin: http://a\r\n"
        "X-Two: 2\r\n"
        "\r\n"
        "{\"id\":1}");
  CHECK(SerializeHttpResponse(r, false) ==
        "HTTP/1.1 201 Created\r\n"
        "Content-Type: application/json; charset=utf-8\r\n"
        "Content-Length: 8\r\n"
        "Access-Control-Allow-Origin: http://a\r\n"
        "X-Two: 2\r\n"
        "Connection: close\r\n"
        "\r\n"
        "{\"id\":1}");
}

TEST_CASE("http serializer: empty bodies, no content type and reason phrases", "[server][http]") {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  CHECK(SerializeHttpResponse(r, true) == "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
  const std::pair<int, const char*> phrases[] = {{200, "200 OK"},
                                                 {400, "400 Bad Request"},
                                                 {404, "404 Not Found"},
                                                 {413, "413 Payload Too Large"},
                                                 {500, "500 Internal Server Error"},
                                                 {503, "503 Service Unavailable"}};
  for (const auto& [status, line] : phrases) {
    r.status = status;
    CHECK(SerializeHttpResponse(r, true).rfind(std::string("HTTP/1.1 ") + line + "\r\n", 0) == 0);
  }
  r.status = 299;
  CHECK(SerializeHttpResponse(r, true).rfind("HTTP/1.1 299 ", 0) == 0);
}

TEST_CASE("http serializer: a 304 has neither body nor Content-Length", "[server][http]") {
  HttpResponse r;
  r.status = 304;
  r.content_type.clear();
  r.body = "ignored";
  r.headers = {{"ETag", "\"abc\""}};
  CHECK(SerializeHttpResponse(r, true) == "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n");
}

}  // namespace agor
