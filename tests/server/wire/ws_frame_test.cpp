// Tests of server/ws_frame: the RFC 6455 handshake answer, frame headers of every length class,
// masked client frames, incomplete and invalid input, and UTF-8 validation of text messages.
#include "server/wire/ws_frame.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// A server frame: header from AppendFrameHeader, then the payload.
std::string ServerFrame(uint8_t opcode, const std::string& payload) {
  std::string out;
  AppendFrameHeader(&out, opcode, payload.size());
  return out + payload;
}

std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

}  // namespace

TEST_CASE("ws frame: the accept answer of RFC 6455's example key", "[server][ws]") {
  CHECK(WebSocketAccept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // More pairs, so a base64 or SHA-1 fault cannot hide behind one example.
  CHECK(WebSocketAccept("x3JJHMbDL1EzLkh9GBhXDw==") == "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  CHECK(WebSocketAccept("") == "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
}

TEST_CASE("ws frame: server frame headers use 7, 16 or 64-bit lengths", "[server][ws]") {
  struct Case {
    uint64_t length;
    size_t header;
  };
  for (Case c : {Case{0, 2}, Case{1, 2}, Case{125, 2}, Case{126, 4}, Case{65535, 4},
                 Case{65536, 10}, Case{70000, 10}}) {
    INFO("length " << c.length);
    std::string header;
    AppendFrameHeader(&header, kWsText, c.length);
    CHECK(header.size() == c.header);
    CHECK(static_cast<uint8_t>(header[0]) == 0x81);        // FIN, text
    CHECK((static_cast<uint8_t>(header[1]) & 0x80) == 0);  // server frames are not masked
    uint64_t peeked = 0;
    CHECK(PeekFrameLength(header, &peeked));
    CHECK(peeked == c.length);

    std::string payload = Pattern(c.length);
    std::string frame = header + payload + "next";
    WsFrame f;
    std::string scratch;
    REQUIRE(ParseFrame(frame, &f, &scratch) == c.header + c.length);
    CHECK(f.fin);
    CHECK_FALSE(f.masked);
    CHECK(f.opcode == kWsText);
    CHECK(f.payload == payload);
  }
  std::string header;
  AppendFrameHeader(&header, kWsClose, 2);
  CHECK(header == Bytes({0x88, 0x02}));
  header.clear();
  AppendFrameHeader(&header, kWsBinary, 256);
  CHECK(header == Bytes({0x82, 126, 0x01, 0x00}));
  header.clear();
  AppendFrameHeader(&header, kWsText, 65536);
  CHECK(header == Bytes({0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST_CASE("ws frame: client frames are masked and parse back to their payload", "[server][ws]") {
  for (size_t n : {size_t{0}, size_t{5}, size_t{125}, size_t{126}, size_t{65535}, size_t{65536}}) {
    INFO("length " << n);
    std::string payload = Pattern(n);
    std::string frame;
    AppendClientFrame(&frame, kWsText, payload, 0x12345678);
    size_t header = (n < 126 ? 2 : n < 65536 ? 4 : 10) + 4;
    REQUIRE(frame.size() == header + n);
    CHECK(static_cast<uint8_t>(frame[1]) & 0x80);
    if (n >= 4) CHECK(frame.substr(header, 4) != payload.substr(0, 4));  // not sent in clear
    WsFrame f;
    std::string scratch;
    REQUIRE(ParseFrame(frame, &f, &scratch) == frame.size());
    CHECK(f.fin);
    CHECK(f.masked);
    CHECK(f.opcode == kWsText);
    CHECK(f.payload == payload);
  }
  // RFC 6455 5.7: a masked "Hello" with key 37 fa 21 3d.
  std::string hello;
  AppendClientFrame(&hello, kWsText, "Hello", 0x3d21fa37);
  CHECK(hello == Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  std::string ping;
  AppendClientFrame(&ping, kWsPing, "hi", 0);
  WsFrame f;
  std::string scratch;
  REQUIRE(ParseFrame(ping, &f, &scratch) == ping.size());
  CHECK(f.opcode == kWsPing);
  CHECK(f.payload == "hi");
}

TEST_CASE("ws frame: fragments report fin and the continuation opcode", "[server][ws]") {
  std::string in = Bytes({0x01, 0x01, '4', 0x80, 0x01, '0'});
  WsFrame f;
  std::string scratch;
  REQUIRE(ParseFrame(in, &f, &scratch) == 3);
  CHECK_FALSE(f.fin);
  CHECK(f.opcode == kWsText);
  CHECK(f.payload == "4");
  REQUIRE(ParseFrame(std::string_view(in).substr(3), &f, &scratch) == 3);
  CHECK(f.fin);
  CHECK(f.opcode == kWsContinuation);
  CHECK(f.payload == "0");
}

TEST_CASE("ws frame: incomplete input parses as 0 bytes", "[server][ws]") {
  std::string client;
  AppendClientFrame(&client, kWsText, Pattern(300), 0xdeadbeef);
  std::string server = ServerFrame(kWsText, Pattern(70000));
  for (const std::string& whole : {client, server, ServerFrame(kWsPing, "")}) {
    for (size_t cut :
         {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{9}, whole.size() - 1}) {
      if (cut >= whole.size()) continue;
      INFO("size " << whole.size() << " cut at " << cut);
      WsFrame f;
      std::string scratch;
      CHECK(ParseFrame(std::string_view(whole).substr(0, cut), &f, &scratch) == 0);
    }
  }
}

TEST_CASE("ws frame: invalid headers parse as npos", "[server][ws]") {
  const size_t npos = std::string_view::npos;
  WsFrame f;
  std::string scratch;
  // Reserved bits RSV1, RSV2, RSV3 (no extension was negotiated).
  for (int rsv : {0x40, 0x20, 0x10}) {
    INFO("rsv " << rsv);
    CHECK(ParseFrame(Bytes({0x81 | rsv, 0x01, 'x'}), &f, &scratch) == npos);
  }
  // Fragmented control frames.
  CHECK(ParseFrame(Bytes({0x09, 0x00}), &f, &scratch) == npos);
  CHECK(ParseFrame(Bytes({0x08, 0x02, 0x03, 0xe8}), &f, &scratch) == npos);
  // Control frames longer than 125 bytes, refused from the header alone.
  CHECK(ParseFrame(Bytes({0x89, 126, 0x00, 126}), &f, &scratch) == npos);
  CHECK(ParseFrame(Bytes({0x88, 126, 0x01, 0x00}), &f, &scratch) == npos);
  CHECK(ParseFrame(Bytes({0x8a, 127, 0, 0, 0, 0, 0, 0, 0, 200}), &f, &scratch) == npos);
  // A 64-bit length with the top bit set.
  CHECK(ParseFrame(Bytes({0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1}), &f, &scratch) == npos);
  // The largest allowed control frame is fine.
  std::string ping = ServerFrame(kWsPing, std::string(125, 'p'));
  CHECK(ParseFrame(ping, &f, &scratch) == ping.size());
}

TEST_CASE("ws frame: PeekFrameLength reads the length before the payload arrives", "[server][ws]") {
  uint64_t length = 0;
  CHECK_FALSE(PeekFrameLength("", &length));
  CHECK_FALSE(PeekFrameLength(Bytes({0x81}), &length));
  CHECK(PeekFrameLength(Bytes({0x81, 0x05}), &length));
  CHECK(length == 5);
  CHECK(PeekFrameLength(Bytes({0x81, 0x85, 1, 2, 3, 4}), &length));  // masked, no payload yet
  CHECK(length == 5);
  CHECK_FALSE(PeekFrameLength(Bytes({0x81, 0x85, 1, 2}), &length));  // mask key incomplete
  CHECK_FALSE(PeekFrameLength(Bytes({0x81, 126, 0x01}), &length));
  CHECK(PeekFrameLength(Bytes({0x81, 126, 0x01, 0x00}), &length));
  CHECK(length == 256);
  CHECK_FALSE(PeekFrameLength(Bytes({0x81, 127, 0, 0, 0, 0, 0x80}), &length));
  // 2 GiB announced by a masked client frame whose payload never comes.
  CHECK(PeekFrameLength(Bytes({0x81, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0, 1, 2, 3, 4}), &length));
  CHECK(length == 0x80000000ULL);
}

TEST_CASE("ws frame: UTF-8 validation accepts well-formed text", "[server][ws]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ASCII {\"a\":1}"));
  CHECK(IsValidUtf8(std::string("nul \0 inside", 12)));
  CHECK(IsValidUtf8("\xc2\xa9 \xdf\xbf"));                       // 2 bytes: U+00A9, U+07FF
  CHECK(IsValidUtf8("\xe2\x82\xac \xe0\xa0\x80 \xef\xbf\xbf"));  // 3 bytes: U+20AC, U+0800, U+FFFF
  CHECK(IsValidUtf8("\xed\x9f\xbf \xee\x80\x80"));  // U+D7FF and U+E000, around surrogates
  CHECK(IsValidUtf8("\xf0\x9f\x98\x80 \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"));  // 4 bytes, to U+10FFFF
  CHECK(
      IsValidUtf8("Gr\xc3\xbc\xc3\x9f"
                  "e, \xe6\x97\xa5\xe6\x9c\xac"));
}

TEST_CASE("ws frame: UTF-8 validation rejects malformed text", "[server][ws]") {
  const char* bad[] = {
      "\xc0\x80",              // overlong NUL
      "\xc1\xbf",              // overlong 2-byte
      "\xe0\x80\x80",          // overlong 3-byte
      "\xe0\x9f\xbf",          // overlong U+07FF
      "\xf0\x80\x80\x80",      // overlong 4-byte
      "\xf0\x8f\xbf\xbf",      // overlong U+FFFF
      "\xed\xa0\x80",          // surrogate U+D800
      "\xed\xbf\xbf",          // surrogate U+DFFF
      "\xf4\x90\x80\x80",      // U+110000
      "\xf7\xbf\xbf\xbf",      // past U+10FFFF
      "\xf8\x88\x80\x80\x80",  // 5-byte form
      "\xfe",
      "\xff",
      "\xc3",          // truncated 2-byte
      "ok \xe2\x82",   // truncated 3-byte
      "\xf0\x9f\x98",  // truncated 4-byte
      "\x80",          // lone continuation
      "a\xbf"
      "b",
      "\xc3\x28",  // lead byte followed by ASCII
      "\xe2\x28\xa1",
      "\xf0\x9f\x28\x80",
  };
  for (const char* text : bad) {
    INFO(Catch::Detail::stringify(std::string(text)));
    CHECK_FALSE(IsValidUtf8(text));
  }
}

TEST_CASE("ws frame: generated keys are 16 base64 bytes", "[server][ws]") {
  std::string a = MakeWebSocketKey(1), b = MakeWebSocketKey(2);
  CHECK(a.size() == 24);
  CHECK(a.substr(22) == "==");
  const std::string kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  CHECK(a.find_first_not_of(kBase64) == 22);
  CHECK(a != b);
  CHECK(MakeWebSocketKey(1) == a);
  CHECK(WebSocketAccept(a).size() == 28);
}

}  // namespace agor
