// Tests of HttpRequestParser fed read by read: state kept across reads (every split, one byte
// at a time, a body in 1-byte chunks in linear work), the raw-size cap with chunk framing,
// strict framing (each refused input sent), 100-continue once, and the request deadlines
// (trickled bytes do not move them).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "server/wire/http_request_parser.h"

namespace agor {
namespace {

std::string Shown(const std::string& in) {
  std::string out;
  for (unsigned char c : in.substr(0, 200)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x" + std::to_string(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Feeds `parts` one after the other; the last must complete the request exactly at its end.
HttpRequest FedInParts(const std::vector<std::string>& parts, const HttpLimits& limits = {}) {
  HttpRequestParser parser(&limits);
  for (size_t i = 0; i < parts.size(); ++i) {
    HttpParse p = parser.Feed(parts[i]);
    INFO("part " << i << ": " << Shown(parts[i]) << " -> " << p.error.ToString());
    if (i + 1 < parts.size()) {
      REQUIRE(p.result == HttpParse::kIncomplete);
      CHECK(p.consumed == parts[i].size());
    } else {
      REQUIRE(p.result == HttpParse::kComplete);
      CHECK(p.consumed == parts[i].size());
    }
  }
  return std::move(parser.request());
}

// The status and message of the refusal of `in` fed in one read.
Status RefusalOf(const std::string& in, const HttpLimits& limits = {}) {
  HttpRequestParser parser(&limits);
  HttpParse p = parser.Feed(in);
  INFO(Shown(in));
  REQUIRE(p.result == HttpParse::kError);
  return p.error;
}

const std::string kChunked =
    "POST /boards HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    "4\r\nabcd\r\n3;x=y\r\nefg\r\n0\r\nTrailer: t\r\n\r\n";
const std::string kLength = "POST /boards HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\nabcdefg";

}  // namespace

TEST_CASE("http stream parser: a request split in two at every byte is the same request",
          "[server][http]") {
  for (const std::string& whole : {kChunked, kLength}) {
    for (size_t cut = 1; cut < whole.size(); ++cut) {
      HttpRequest req = FedInParts({whole.substr(0, cut), whole.substr(cut)});
      INFO(Shown(whole) << " cut at " << cut);
      CHECK(req.method == "POST");
      CHECK(req.body == "abcdefg");
      CHECK(req.Header("host") == "x");
    }
  }
}

TEST_CASE("http stream parser: a request fed one byte at a time", "[server][http]") {
  std::vector<std::string> bytes;
  for (char c : kChunked) bytes.emplace_back(1, c);
  CHECK(FedInParts(bytes).body == "abcdefg");
}

TEST_CASE("http stream parser: pipelined requests in one read end where each ends",
          "[server][http]") {
  const std::string get = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string in = get + kChunked + "\r\n" + kLength + "GET /par";
  HttpLimits limits;
  HttpRequestParser parser(&limits);
  std::string_view rest = in;
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    HttpParse p = parser.Feed(rest);
    REQUIRE(p.result == HttpParse::kComplete);
    seen.push_back(parser.request().method + " " + parser.request().body);
    rest.remove_prefix(p.consumed);
    CHECK(parser.idle());
  }
  CHECK(seen == std::vector<std::string>{"GET ", "POST abcdefg", "POST abcdefg"});
  CHECK(rest == "GET /par");
  HttpParse p = parser.Feed(rest);
  CHECK(p.result == HttpParse::kIncomplete);
  CHECK(p.consumed == rest.size());
  CHECK_FALSE(parser.idle());
}

TEST_CASE("http stream parser: a 1 MiB body in 1-byte chunks, fed byte by byte, costs linear work",
          "[server][http]") {
  // Re-parsing from the request's first byte on each read made this O(n^2): 6 million reads
  // of up to 6 MiB each. Kept state makes it a few passes over each byte.
  HttpLimits limits;
  limits.max_body_bytes = 4 << 20;
  HttpRequestParser parser(&limits);
  std::string in = "POST /boards HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const size_t body_size = 1 << 20;
  in.reserve(in.size() + body_size * 6 + 5);
  for (size_t i = 0; i < body_size; ++i) {
    in.append("1\r\n");
    in.push_back(static_cast<char>('a' + i % 26));
    in.append("\r\n");
  }
  in.append("0\r\n\r\n");
  HttpParse p;
  for (size_t i = 0; i < in.size(); ++i) {
    p = parser.Feed(std::string_view(in).substr(i, 1));
    if (p.result != HttpParse::kIncomplete) break;
  }
  REQUIRE(p.result == HttpParse::kComplete);
  REQUIRE(parser.request().body.size() == body_size);
  CHECK(parser.request().body.substr(0, 3) == "abc");
}

TEST_CASE("http stream parser: chunk framing counts against the raw request size (413)",
          "[server][http]") {
  // 1 body byte per kilobyte of chunk extension: the body stays far under its limit, the
  // framing does not (it was buffered without bound).
  HttpLimits limits;
  limits.max_body_bytes = 64 * 1024;
  HttpRequestParser parser(&limits);
  REQUIRE(parser.Feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").result ==
          HttpParse::kIncomplete);
  const std::string chunk = "1;" + std::string(1000, 'e') + "\r\nX\r\n";
  HttpParse p;
  size_t sent = 0;
  while (sent < 10 * limits.max_raw_bytes()) {
    p = parser.Feed(chunk);
    sent += chunk.size();
    if (p.result != HttpParse::kIncomplete) break;
  }
  REQUIRE(p.result == HttpParse::kError);
  CHECK(p.error.http_status() == 413);
  CHECK(sent <= limits.max_raw_bytes() + chunk.size());
  CHECK(p.error.message().find("framing") != std::string::npos);
  // Trailers count too.
  HttpRequestParser trailers(&limits);
  std::string in = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  p = trailers.Feed(in);
  for (int i = 0; i < 100000 && p.result == HttpParse::kIncomplete; ++i) {
    p = trailers.Feed("X-T: " + std::string(100, 't') + "\r\n");
  }
  CHECK(p.result == HttpParse::kError);
}

TEST_CASE("http stream parser: bare LF and stray CR are 400", "[server][http]") {
  for (const std::string& in : {
           std::string("GET / HTTP/1.1\nHost: x\r\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: x\n\r\n"),
           std::string("GET / HTTP/1.1\r\nHost: x\r\n\n"),
           std::string("\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"),
           std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\nX\r\n"),
           std::string(
               "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: 1\n"),
       }) {
    CHECK(RefusalOf(in).message() == "bare LF");
  }
  CHECK(RefusalOf("GET / HTTP/1.1\r\nHost: x\rX\r\n\r\n").http_status() == 400);
  CHECK(RefusalOf("GET / HTTP/1.1\r\nHost: x\r\r\n\r\n").http_status() == 400);
}

TEST_CASE("http stream parser: control bytes in a header value are 400, HTAB is not",
          "[server][http]") {
  for (char bad : {'\0', '\x01', '\x1b', '\x7f', '\r'}) {
    std::string in = std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: a") + bad + "b\r\n\r\n";
    INFO(static_cast<int>(bad));
    CHECK(RefusalOf(in).message() == "control character in a header value");
  }
  HttpRequest ok = FedInParts({"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\n\r\n"});
  CHECK(ok.Header("x-a") == "a\tb");
  // A chunk extension or a trailer with a control byte is refused too.
  const std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  CHECK(RefusalOf(chunked + std::string("1;a\0b\r\nX\r\n", 10)).http_status() == 400);
  CHECK(RefusalOf(chunked + std::string("0\r\nT: a\x01\r\n\r\n")).http_status() == 400);
}

TEST_CASE("http stream parser: header values must be UTF-8", "[server][http]") {
  CHECK(RefusalOf("GET / HTTP/1.1\r\nHost: x\r\nOrigin: http://\xff\r\n\r\n").message() ==
        "header value is not valid UTF-8");
  CHECK(RefusalOf("GET / HTTP/1.1\r\nHost: x\r\nX: \xc3\x28\r\n\r\n").http_status() == 400);
  CHECK(FedInParts({"GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xc3\xa9\r\n\r\n"}).Header("x-name") ==
        "caf\xc3\xa9");
}

TEST_CASE("http stream parser: Transfer-Encoding twice, or empty with Content-Length, is 400",
          "[server][http]") {
  const std::string post = "POST / HTTP/1.1\r\nHost: x\r\n";
  CHECK(RefusalOf(post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
            .message() == "more than one Transfer-Encoding header");
  CHECK(RefusalOf(post + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
            .http_status() == 400);
  CHECK(RefusalOf(post + "Transfer-Encoding:\r\nContent-Length: 3\r\n\r\nabc").message() ==
        "both Content-Length and Transfer-Encoding");
  CHECK(RefusalOf(post + "Content-Length: 3\r\nTransfer-Encoding: \r\n\r\nabc").http_status() ==
        400);
  CHECK(RefusalOf(post + "Transfer-Encoding:\r\n\r\n").message() ==
        "unsupported Transfer-Encoding");
  // Equal duplicate lengths stay accepted (RFC 9112 6.3 allows folding them).
  CHECK(FedInParts({post + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"}).body == "abc");
}

TEST_CASE("http stream parser: a method that is not a token is 400", "[server][http]") {
  for (const std::string& method : {std::string("\xff"), std::string("G\xffT"), std::string("GE(T"),
                                    std::string("G\x01T"), std::string("GET\"")}) {
    INFO(Shown(method));
    CHECK(RefusalOf(method + " / HTTP/1.1\r\nHost: x\r\n\r\n").message() == "invalid method");
  }
  CHECK(FedInParts({"M-SEARCH_1.x / HTTP/1.1\r\nHost: x\r\n\r\n"}).method == "M-SEARCH_1.x");
}

TEST_CASE("http stream parser: non-ASCII or control bytes in the target are 400",
          "[server][http]") {
  for (const std::string& target :
       {std::string("/boards/\xff"), std::string("/caf\xc3\xa9"), std::string("/a\x01"),
        std::string("/a\x7f"), std::string("/a?q=\x80"), std::string("/a\tb")}) {
    INFO(Shown(target));
    CHECK(RefusalOf("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n").message() ==
          "invalid request target");
  }
  // Percent-encoded bytes are the router's to judge.
  HttpRequest req = FedInParts({"GET /boards/%ff?name=%c3%28 HTTP/1.1\r\nHost: x\r\n\r\n"});
  CHECK(req.path == "/boards/%ff");
  CHECK(req.query == "name=%c3%28");
}

TEST_CASE("http stream parser: HTTP/1.1 needs exactly one Host", "[server][http]") {
  CHECK(RefusalOf("GET / HTTP/1.1\r\n\r\n").message() == "HTTP/1.1 request without Host");
  CHECK(RefusalOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").message() ==
        "more than one Host header");
  CHECK(RefusalOf("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n").http_status() == 400);
  CHECK(FedInParts({"GET / HTTP/1.0\r\n\r\n"}).path == "/");                      // 1.0 may omit it
  CHECK(FedInParts({"GET / HTTP/1.1\r\nHost:\r\n\r\n"}).Header("host").empty());  // RFC 9112 3.2
}

TEST_CASE("http stream parser: a refused request stays refused", "[server][http]") {
  HttpLimits limits;
  HttpRequestParser parser(&limits);
  HttpParse p = parser.Feed("GET / HTTP/1.1\nHost: x\r\n\r\n");
  REQUIRE(p.result == HttpParse::kError);
  p = parser.Feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(p.result == HttpParse::kError);
  CHECK(p.error.message() == "bare LF");
}

TEST_CASE("http stream parser: 100-continue is reported once, when the headers end",
          "[server][http]") {
  HttpLimits limits;
  HttpRequestParser parser(&limits);
  HttpParse p = parser.Feed("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n");
  CHECK_FALSE(p.expects_continue);
  p = parser.Feed("Content-Length: 4\r\n\r\nab");
  CHECK(p.result == HttpParse::kIncomplete);
  CHECK(p.expects_continue);
  p = parser.Feed("c");
  CHECK(p.result == HttpParse::kIncomplete);
  CHECK_FALSE(p.expects_continue);
  p = parser.Feed("d");
  CHECK(p.result == HttpParse::kComplete);
  CHECK_FALSE(p.expects_continue);
}

TEST_CASE("http stream parser: deadlines run from the first byte and trickling does not move them",
          "[server][http]") {
  HttpLimits limits;
  limits.header_timeout_ms = 10000;
  limits.body_timeout_ms = 5000;
  limits.body_min_rate = 1000;  // bytes per second
  limits.max_body_bytes = 4000;
  HttpRequestParser parser(&limits);
  CHECK(parser.deadline_ms() == 0);  // idle: the keep-alive sweep's business
  CHECK(parser.idle());
  parser.Feed("G", 1000);
  CHECK(parser.deadline_ms() == 11000);
  for (int64_t t = 2000; t < 60000; t += 1000) parser.Feed("E", t);  // "GEEEE...": a trickle
  CHECK(parser.deadline_ms() == 11000);
  // Headers complete: the body's deadline, fixed from its announced size.
  HttpRequestParser post(&limits);
  post.Feed("POST / HTTP/1.1\r\nHost: x\r\n", 100);
  CHECK(post.deadline_ms() == 10100);
  post.Feed("Content-Length: 2000\r\n\r\n", 200);
  CHECK(post.deadline_ms() == 200 + 5000 + 2000);
  post.Feed("a", 300);
  CHECK(post.deadline_ms() == 7200);
  post.Feed(std::string(1999, 'a'), 400);
  CHECK(post.deadline_ms() == 0);  // complete
  post.Feed("P", 9000);            // the next request's first byte
  CHECK(post.deadline_ms() == 19000);
  // A chunked body gets the time its largest allowed size would take.
  HttpRequestParser chunked(&limits);
  chunked.Feed("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n", 50);
  CHECK(chunked.deadline_ms() == 50 + 5000 + 4000);
  CHECK(HttpRequestParser::Expired().http_status() == 408);
  CHECK(std::string(HttpRequestParser::Expired().name()) == "Timeout");
}

TEST_CASE("http serializer: the answer to HEAD keeps Content-Length without the body",
          "[server][http]") {
  HttpResponse r;
  r.body = "{\"status\":\"ok\"}";
  CHECK(SerializeHttpResponse(r, true, false) ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
        "Content-Length: 15\r\n\r\n");
}

}  // namespace agor
