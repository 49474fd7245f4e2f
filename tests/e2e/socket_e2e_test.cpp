// End-to-end: the Engine.IO/Socket.IO side of the real daemon over raw sockets: the polling
// transport, origins, bad frames, heartbeats and slow consumers. The stock-client behaviour
// (both transports, recovery, channels) is covered by tests/compat with the real npm packages.
#include <httplib.h>

#include <catch2/catch.hpp>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_websocket.h"

namespace agor {
namespace {

using test::Daemon;
using test::RawWebSocket;

const char* kWsTarget = "/socket.io/?EIO=4&transport=websocket";

httplib::Client Http(const Daemon& d) {
  httplib::Client c("127.0.0.1", d.port());
  c.set_tcp_nodelay(true);
  c.set_read_timeout(10, 0);
  if (!d.token().empty()) c.set_default_headers({{"Authorization", "Bearer " + d.token()}});
  return c;
}

// Opens a WebSocket session and CONNECTs the main namespace; returns the CONNECT reply.
std::string Connect(RawWebSocket* ws, const Daemon& d, const std::string& query = "") {
  REQUIRE(ws->Connect(d.port(), kWsTarget + query) == 101);
  std::string open, reply;
  REQUIRE(ws->ReadText(&open, 5000));
  CHECK(open.rfind("0{\"sid\":", 0) == 0);
  CHECK(open.find("\"upgrades\":[]") != std::string::npos);
  REQUIRE(ws->SendText(test::ConnectPacket(d.token())));
  REQUIRE(ws->ReadText(&reply, 5000));
  return reply;
}

int64_t Metric(const Daemon& d, const std::string& name) {
  auto r = Http(d).Get("/metrics");
  REQUIRE(r);
  // The sample line, not the family's "# HELP name ..." line.
  auto at = r->body.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return std::stoll(r->body.substr(at + name.size() + 2));
}

TEST_CASE("long-polling handshake, calls and acks", "[e2e][socket]") {
  Daemon d;
  auto http = Http(d);
  auto open = http.Get("/socket.io/?EIO=4&transport=polling");
  REQUIRE(open);
  CHECK(open->status == 200);
  REQUIRE(open->body.rfind("0{", 0) == 0);
  Json handshake = Json::parse(open->body.substr(1));
  CHECK(handshake["upgrades"] == Json::array({"websocket"}));
  CHECK(handshake["pingInterval"] == 25000);
  std::string base =
      "/socket.io/?EIO=4&transport=polling&sid=" + handshake["sid"].get<std::string>();
  auto post = http.Post(base.c_str(), test::ConnectPacket(d.token()), "text/plain");
  REQUIRE(post);
  CHECK(post->body == "ok");
  auto connect = http.Get(base.c_str());
  REQUIRE(connect);
  REQUIRE(connect->body.rfind("40{", 0) == 0);
  Json reply = Json::parse(connect->body.substr(2));
  CHECK(reply["sid"].is_string());
  CHECK(reply["pid"].is_string());
  std::string calls =
      "420[\"create\",\"boards\",{\"name\":\"p\"},{}]\x1e"
      "421[\"get\",\"boards\",\"missing\",{}]";
  REQUIRE(http.Post(base.c_str(), calls, "text/plain")->body == "ok");
  std::string got;
  while (got.find("431[") == std::string::npos) {
    auto poll = http.Get(base.c_str());
    REQUIRE(poll);
    got += poll->body + "\x1e";
  }
  // The event frame comes before the ack, and carries its seq as the last element.
  auto event_at = got.find("42[\"boards created\",");
  auto ack_at = got.find("430[null,");
  REQUIRE(event_at != std::string::npos);
  REQUIRE(ack_at != std::string::npos);
  CHECK(event_at < ack_at);
  CHECK(got.find(",\"3\"]") != std::string::npos);  // after the first start's two events
  CHECK(got.find("431[{\"name\":\"NotFound\"") != std::string::npos);
}

TEST_CASE("engine.io refuses bad handshakes with its error JSON", "[e2e][socket]") {
  Daemon d;
  auto http = Http(d);
  auto v3 = http.Get("/socket.io/?EIO=3&transport=polling");
  CHECK(v3->status == 400);
  CHECK(Json::parse(v3->body)["code"] == 5);
  auto transport = http.Get("/socket.io/?EIO=4&transport=carrier-pigeon");
  CHECK(Json::parse(transport->body)["code"] == 0);
  auto sid = http.Get("/socket.io/?EIO=4&transport=polling&sid=nope");
  CHECK(Json::parse(sid->body)["code"] == 1);
  auto post = http.Post("/socket.io/?EIO=4&transport=polling", "40", "text/plain");
  CHECK(Json::parse(post->body)["code"] == 2);
  RawWebSocket ws;
  CHECK(ws.Connect(d.port(), "/socket.io/?EIO=4&transport=websocket&sid=nope") == 400);
  RawWebSocket elsewhere;
  CHECK(elsewhere.Connect(d.port(), "/chat") == 404);
}

TEST_CASE("malformed packets close only the connection that sent them", "[e2e][socket]") {
  Daemon d;
  const char* bad[] = {"9",
                       "4",
                       "49",
                       "42",
                       "42{\"not\":\"an array\"}",
                       "42[1,2]",
                       "42[\"find\"",
                       "4-1[\"find\",\"boards\",{}]",
                       "451-[\"x\",{\"_placeholder\":true}]",
                       "42/admin,[\"find\",\"boards\",{}]",
                       "b4AAAA"};
  for (const char* frame : bad) {
    RawWebSocket ws;
    std::string reply = Connect(&ws, d);
    REQUIRE(reply.rfind("40{", 0) == 0);
    INFO(frame);
    ws.SendText(frame);
    CHECK(ws.WaitClosed(5000));
  }
  RawWebSocket ok;
  CHECK(Connect(&ok, d).rfind("40{", 0) == 0);
  ok.SendText("420[\"find\",\"boards\",{}]");
  std::string ack;
  REQUIRE(ok.ReadText(&ack, 5000));
  CHECK(ack.rfind("430[null,{\"total\":0", 0) == 0);
}

TEST_CASE("feathers calls over the socket answer like REST", "[e2e][socket]") {
  Daemon d;
  RawWebSocket ws;
  Connect(&ws, d);
  std::string frame;
  auto call = [&](const std::string& text) {
    REQUIRE(ws.SendText(text));
    do {
      REQUIRE(ws.ReadText(&frame, 5000));
    } while (frame.rfind("43", 0) != 0);
    return frame;
  };
  CHECK(call("420[\"create\",\"nope\",{}]").find("\"name\":\"NotFound\"") != std::string::npos);
  CHECK(call("421[\"frobnicate\",\"boards\",{}]").find("MethodNotAllowed") != std::string::npos);
  CHECK(call("422[\"create\",\"boards\",{\"name\":\"x\"},{},{}]")
            .find("Too many arguments for 'create' method") != std::string::npos);
  CHECK(call("423[\"create\",\"boards\",{\"junk\":1},{}]").find("BadRequest") != std::string::npos);
  CHECK(call("424[\"remove\",\"boards\",null,{}]").find("MethodNotAllowed") != std::string::npos);
  CHECK(call("425[\"find\",\"boards\",{\"$foo\":1}]").find("Invalid filter value $foo") !=
        std::string::npos);
  CHECK(call("426[\"create\",\"subscriptions\",{\"board_id\":\"00000000\"},{}]").find("NotFound") !=
        std::string::npos);
  CHECK(call("427[\"find\",\"subscriptions\",{}]") == "437[null,[]]");
  // The admin sees the first start's two events (its user and its key).
  CHECK(call("428[\"find\",\"events\",{\"$limit\":0}]").find("\"total\":2") != std::string::npos);
}

TEST_CASE("board channels deliver a board's events only to its subscribers", "[e2e][socket]") {
  Daemon d;
  auto http = Http(d);
  auto board = [&](const char* name) {
    return Json::parse(http.Post("/boards", Json{{"name", name}}.dump(), "application/json")->body);
  };
  Json a = board("a"), b = board("b");
  RawWebSocket on_a, on_b, on_none;
  Connect(&on_a, d, "&board_id=" + a["board_id"].get<std::string>());
  Connect(&on_b, d);
  Connect(&on_none, d);
  on_b.SendText("420[\"create\",\"subscriptions\",{\"board_id\":\"" +
                b["board_id"].get<std::string>().substr(0, 8) + "\"},{}]");
  std::string frame;
  REQUIRE(on_b.ReadText(&frame, 5000));
  CHECK(frame.find("\"board_id\":\"" + b["board_id"].get<std::string>() + "\"") !=
        std::string::npos);
  for (const Json* target : {&a, &b}) {
    http.Post("/sessions", Json{{"board_id", (*target)["board_id"]}}.dump(), "application/json");
  }
  board("c");                          // board events reach everybody
  auto next = [&](RawWebSocket& ws) {  // the feed's entries (seq-less) left out
    do {
      REQUIRE(ws.ReadText(&frame, 5000));
    } while (frame.rfind("42[\"activity ", 0) == 0);
    return frame;
  };
  CHECK(next(on_a).find("\"board_id\":\"" + a["board_id"].get<std::string>()) != std::string::npos);
  CHECK(next(on_a).find("boards created") != std::string::npos);
  CHECK(next(on_b).find("\"board_id\":\"" + b["board_id"].get<std::string>()) != std::string::npos);
  CHECK(next(on_b).find("boards created") != std::string::npos);
  CHECK(next(on_none).find("boards created") != std::string::npos);
}

TEST_CASE("foreign origins are refused on REST, polling and upgrades", "[e2e][socket]") {
  Daemon d({"--cors-origin", "http://app.example"});
  auto http = Http(d);
  httplib::Headers evil = {{"Origin", "http://evil.example"}};
  auto rest = http.Get("/boards", evil);
  CHECK(rest->status == 403);
  CHECK(Json::parse(rest->body)["name"] == "Forbidden");
  CHECK(http.Get("/socket.io/?EIO=4&transport=polling", evil)->status == 403);
  RawWebSocket ws;
  CHECK(ws.Connect(d.port(), kWsTarget, {"Origin: http://evil.example"}) == 403);
  auto ok = http.Get("/boards", {{"Origin", "http://app.example"}});
  CHECK(ok->status == 200);
  CHECK(ok->get_header_value("Access-Control-Allow-Origin") == "http://app.example");
  CHECK(http.Get("/boards")->status == 200);  // no Origin: CLI and scripts
  RawWebSocket allowed;
  CHECK(allowed.Connect(d.port(), kWsTarget, {"Origin: http://app.example"}) == 101);
}

TEST_CASE("a client that misses its pongs is dropped", "[e2e][socket]") {
  Daemon d({"--ping-interval", "200", "--ping-timeout", "300"});
  RawWebSocket ws;
  Connect(&ws, d);
  std::string frame;
  REQUIRE(ws.ReadText(&frame, 5000));
  CHECK(frame == "2");  // the server's ping; never answered
  CHECK(ws.WaitClosed(10000));
  CHECK(Metric(d, "agor_sockets") == 0);
}

TEST_CASE("a client that stops reading is dropped, the others get everything", "[e2e][socket]") {
  Daemon d({"--channels", "everybody", "--max-send-queue", "262144"});
  RawWebSocket slow, fast;
  slow.SetReceiveBuffer(4096);
  Connect(&slow, d);
  Connect(&fast, d);
  auto http = Http(d);
  Json board = Json::parse(http.Post("/boards", R"({"name":"b"})", "application/json")->body);
  Json session = Json::parse(
      http.Post("/sessions", Json{{"board_id", board["board_id"]}}.dump(), "application/json")
          ->body);
  const int kMessages = 200;
  std::string big(16 * 1024, 'x');  // 200 x 16 KiB = 3.2 MiB: far past the slow one's bound
  int received = 0;
  std::string frame;
  for (int i = 0; i < kMessages; ++i) {
    auto r = http.Post(
        "/messages",
        Json{{"session_id", session["session_id"]}, {"role", "user"}, {"content", big}}.dump(),
        "application/json");
    REQUIRE(r->status == 201);
    while (fast.ReadText(&frame, 0))
      received += frame.find("messages created") != std::string::npos;
  }
  while (received < kMessages && fast.ReadText(&frame, 5000))
    received += frame.find("messages created") != std::string::npos;
  CHECK(received == kMessages);
  CHECK(Metric(d, "agor_slow_clients_dropped_total") == 1);
  CHECK(Metric(d, "agor_sockets") == 1);
}

}  // namespace
}  // namespace agor
