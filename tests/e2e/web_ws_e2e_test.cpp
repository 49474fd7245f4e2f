// End-to-end: the daemon's own WebSocket server over raw sockets: the upgrade, and every
// framing rule (RFC 6455) with the close code it earns.
#include "tests/e2e/web_test_helpers.h"

namespace agor {
using namespace web_test;

TEST_CASE("the WebSocket upgrade answers RFC 6455's accept key", "[e2e][ws]") {
  Daemon d;
  RawHttp c;
  Open(&c, d);
  REQUIRE(c.SendRaw(Get(kWsTarget,
                        "Upgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n")));
  Response r = Read(&c);
  CHECK(r.status == 101);
  CHECK(r.headers["upgrade"] == "websocket");
  CHECK(r.headers["connection"] == "Upgrade");
  CHECK(r.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("bad WebSocket upgrade requests are refused with 400, then closed", "[e2e][ws]") {
  Daemon d;
  const std::string upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const std::pair<const char*, std::string> bad[] = {
      {"version 8", Get(kWsTarget, upgrade + key + "Sec-WebSocket-Version: 8\r\n")},
      {"no version", Get(kWsTarget, upgrade + key)},
      {"no key", Get(kWsTarget, upgrade + "Sec-WebSocket-Version: 13\r\n")},
      {"Connection without upgrade",
       Get(kWsTarget, "Upgrade: websocket\r\nConnection: keep-alive\r\n" + key +
                          "Sec-WebSocket-Version: 13\r\n")},
      {"POST", "POST " + std::string(kWsTarget) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n" +
                   upgrade + key + "Sec-WebSocket-Version: 13\r\n\r\n"},
  };
  CheckEachRefused(d, {std::begin(bad), std::end(bad)});
}

TEST_CASE("a ping is answered with a pong carrying its payload", "[e2e][ws]") {
  Daemon d;
  RawWebSocket ws;
  Open(&ws, d);
  for (const std::string& payload : {std::string("hi"), std::string(), std::string(125, 'p')}) {
    INFO("ping of " << payload.size() << " bytes");
    REQUIRE(ws.SendFrame(0x89, payload));
    std::string pong;
    REQUIRE(ReadUntil(&ws, 0xA, &pong));
    CHECK(pong == payload);
    CHECK(ws.last_fin());
    CHECK_FALSE(ws.last_masked());
  }
  // An unsolicited pong is ignored; the session goes on.
  REQUIRE(ws.SendFrame(0x8A, "unsolicited"));
  REQUIRE(ws.SendText(test::ConnectPacket(d.token())));
  std::string reply;
  REQUIRE(ws.ReadText(&reply, kTimeoutMs));
  CHECK(reply.rfind("40{\"sid\"", 0) == 0);
}

TEST_CASE("a fragmented text message is reassembled", "[e2e][ws]") {
  Daemon d;
  RawWebSocket ws;
  Open(&ws, d);
  REQUIRE(ws.SendFrame(0x01, "4"));    // text, not final
  REQUIRE(ws.SendFrame(0x89, "mid"));  // a control frame may come between fragments
  // final continuation: the rest of the CONNECT, with the admin's token
  REQUIRE(ws.SendFrame(0x80, test::ConnectPacket(d.token()).substr(1)));
  std::string pong;
  REQUIRE(ReadUntil(&ws, 0xA, &pong));
  CHECK(pong == "mid");
  std::string reply;
  REQUIRE(ws.ReadText(&reply, kTimeoutMs));
  CHECK(reply.rfind("40{\"sid\"", 0) == 0);
  // UTF-8 is checked on the whole message: "é" split between two fragments is fine.
  std::string call = "420[\"find\",\"boards\",{\"name\":\"\xc3\xa9\"}]";
  size_t split = call.find('\xc3') + 1;
  REQUIRE(ws.SendFrame(0x01, call.substr(0, 10)));
  REQUIRE(ws.SendFrame(0x00, call.substr(10, split - 10)));
  REQUIRE(ws.SendFrame(0x80, call.substr(split)));
  std::string ack;
  REQUIRE(ws.ReadText(&ack, kTimeoutMs));
  CHECK(ack.rfind("430[null,{\"total\":0", 0) == 0);
}

TEST_CASE("frames breaking the protocol close the connection with 1002", "[e2e][ws]") {
  Daemon d;
  struct Bad {
    const char* what;
    uint8_t first_byte;
    std::string payload;
    bool masked;
    bool start_fragment = false;  // send a non-final text fragment first
  };
  const Bad bad[] = {
      {"unmasked text frame", 0x81, "40", false},
      {"unmasked ping", 0x89, "hi", false},
      {"reserved bit RSV1", 0xC1, "40", true},
      {"reserved bit RSV3", 0x91, "40", true},
      {"fragmented ping", 0x09, "hi", true},
      {"ping over 125 bytes", 0x89, std::string(126, 'p'), true},
      {"close over 125 bytes", 0x88, CloseBody(1000, std::string(124, 'r')), true},
      {"unknown data opcode", 0x83, "x", true},
      {"unknown control opcode", 0x8B, "x", true},
      {"continuation outside a fragmented message", 0x80, "0", true},
      {"new message inside a fragmented one", 0x81, "0", true, true},
  };
  for (const Bad& b : bad) {
    INFO(b.what);
    RawWebSocket ws;
    Open(&ws, d);
    if (b.start_fragment) REQUIRE(ws.SendFrame(0x01, "4"));
    REQUIRE(ws.SendFrame(b.first_byte, b.payload, b.masked));
    std::string reason;
    CHECK(CloseCode(&ws, &reason) == 1002);
    CHECK_FALSE(reason.empty());
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  // The daemon is unharmed.
  RawWebSocket ok;
  Open(&ok, d);
  REQUIRE(ok.SendText(test::ConnectPacket(d.token())));
  std::string reply;
  REQUIRE(ok.ReadText(&reply, kTimeoutMs));
  CHECK(reply.rfind("40{", 0) == 0);
}

TEST_CASE("a binary message is refused with close 1003", "[e2e][ws]") {
  Daemon d;
  SECTION("in one frame; the close handshake then ends the connection") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x82, std::string("\x00\x01\x02", 3)));
    CHECK(CloseCode(&ws) == 1003);
    // After the server's close frame, data and pings are ignored; the client's close ends it.
    REQUIRE(ws.SendText("40"));
    REQUIRE(ws.SendFrame(0x89, "late"));
    REQUIRE(ws.SendFrame(0x88, CloseBody(1003)));
    int opcode = 0;
    std::string payload;
    CHECK_FALSE(ws.ReadFrame(&opcode, &payload, kTimeoutMs));  // EOF, no frame
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  SECTION("a client that never answers the close is dropped") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x82, "b"));
    CHECK(CloseCode(&ws) == 1003);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  SECTION("in fragments") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x02, "ab"));
    REQUIRE(ws.SendFrame(0x80, "cd"));
    CHECK(CloseCode(&ws) == 1003);
  }
}

TEST_CASE("text that is not UTF-8 is refused with close 1007", "[e2e][ws]") {
  Daemon d;
  const std::pair<const char*, std::string> bad[] = {
      {"invalid byte", "4\xff"},
      {"overlong", "42[\"\xc0\x80\"]"},
      {"surrogate", "42[\"\xed\xa0\x80\"]"},
      {"truncated", "42\xe2\x82"},
  };
  for (const auto& [what, text] : bad) {
    INFO(what);
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendText(text));
    CHECK(CloseCode(&ws) == 1007);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  SECTION("invalid across fragments") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x01, "42\xc3"));
    REQUIRE(ws.SendFrame(0x80, "("));
    CHECK(CloseCode(&ws) == 1007);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
}

TEST_CASE("a message over the size limit is refused with close 1009", "[e2e][ws]") {
  // The limit (1000000 bytes, WebServerOptions::max_message_bytes) has no serve flag.
  Daemon d;
  SECTION("a frame announcing 2 GiB, refused from its header") {
    RawWebSocket ws;
    Open(&ws, d);
    std::string header = {static_cast<char>(0x81),
                          static_cast<char>(0xff),
                          0,
                          0,
                          0,
                          0,
                          static_cast<char>(0x80),
                          0,
                          0,
                          0,
                          0x11,
                          0x22,
                          0x33,
                          0x44};
    REQUIRE(ws.SendRaw(header + "42[\"x\""));
    CHECK(CloseCode(&ws) == 1009);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  SECTION("a message of exactly the limit is accepted, in one frame or in fragments") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendText(test::ConnectPacket(d.token())));
    std::string reply;
    REQUIRE(ws.ReadText(&reply, kTimeoutMs));
    const std::string head = "420[\"find\",\"boards\",{\"name\":\"";
    const std::string tail = "\"}]";
    std::string call = head + std::string(1000000 - head.size() - tail.size(), 'x') + tail;
    REQUIRE(call.size() == 1000000);
    REQUIRE(ws.SendText(call));
    std::string ack;
    REQUIRE(ws.ReadText(&ack, kTimeoutMs));  // answered, whatever the router thinks of it
    CHECK(ack.rfind("430[", 0) == 0);
    call[2] = '1';
    REQUIRE(ws.SendFrame(0x01, call.substr(0, 600000)));
    REQUIRE(ws.SendFrame(0x80, call.substr(600000)));
    REQUIRE(ws.ReadText(&ack, kTimeoutMs));
    CHECK(ack.rfind("431[", 0) == 0);
  }
  SECTION("fragments adding up to more than the limit") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x01, "42" + std::string(600000, 'x')));
    ws.SendFrame(0x80, std::string(600000, 'y'));  // the server may hang up while it is sent
    CHECK(CloseCode(&ws) == 1009);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
}

TEST_CASE("a client's close frame is echoed with its code, then the connection closes",
          "[e2e][ws]") {
  Daemon d;
  SECTION("code 1000 with a reason") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x88, CloseBody(1000, "bye")));
    CHECK(CloseCode(&ws) == 1000);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  SECTION("code 4001 of the application range") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x88, CloseBody(4001)));
    CHECK(CloseCode(&ws) == 4001);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  SECTION("no code") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x88, ""));
    CHECK(CloseCode(&ws) == 0);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  SECTION("in the middle of a fragmented message") {
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x01, "4"));
    REQUIRE(ws.SendFrame(0x88, CloseBody(1001)));
    CHECK(CloseCode(&ws) == 1001);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
}

TEST_CASE("invalid close frames are refused instead of echoed", "[e2e][ws]") {
  // RFC 6455 5.5.1 / 7.4: a close body starts with a 2-byte code; 1005, 1006 and 1015 must
  // never be sent in a close frame, codes below 1000 are not used; the reason is UTF-8. The
  // server echoes the first two bytes of whatever the client sent instead.
  Daemon d;
  const std::pair<const char*, std::string> bad[] = {
      {"one-byte body", std::string(1, '\x03')},
      {"code 1005", CloseBody(1005)},
      {"code 999", CloseBody(999)},
  };
  for (const auto& [what, body] : bad) {
    INFO(what);
    RawWebSocket ws;
    Open(&ws, d);
    REQUIRE(ws.SendFrame(0x88, body));
    CHECK(CloseCode(&ws) == 1002);
    CHECK(ws.WaitTcpClosed(kTimeoutMs));
  }
  RawWebSocket ws;
  Open(&ws, d);
  REQUIRE(ws.SendFrame(0x88, CloseBody(1000, "\xff")));
  CHECK(CloseCode(&ws) == 1007);
}

}  // namespace agor
