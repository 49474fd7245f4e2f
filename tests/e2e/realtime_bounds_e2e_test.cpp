// End-to-end: the real-time layer's bounds, each driven by the bad input it guards against:
// the cap on Engine.IO sessions and the expiry of handshakes never used, the polling send
// queue, the handshake's board ids, the number of subscriptions per connection, and a
// recovery from offset 0 replayed in slices while another client writes.
#include <httplib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::RawWebSocket;
using test::RestApi;

const char* kPolling = "/socket.io/?EIO=4&transport=polling";
const char* kWsTarget = "/socket.io/?EIO=4&transport=websocket";

httplib::Client Http(const Daemon& d) {
  httplib::Client c("127.0.0.1", d.port());
  c.set_tcp_nodelay(true);
  c.set_read_timeout(10, 0);
  if (!d.token().empty()) c.set_default_headers({{"Authorization", "Bearer " + d.token()}});
  return c;
}

int64_t Metric(const Daemon& d, const std::string& name) {
  auto r = Http(d).Get("/metrics");
  REQUIRE(r);
  // The sample line, not the family's "# HELP name ..." line.
  auto at = r->body.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return std::stoll(r->body.substr(at + name.size() + 2));
}

// Polls `done` (a condition the daemon reaches by itself, e.g. on its next tick) until it
// holds or 10 s pass.
template <typename F>
bool Eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A polling handshake's sid; "" when refused (its status in *status).
std::string PollingSid(httplib::Client& http, int* status = nullptr) {
  auto r = http.Get(kPolling);
  REQUIRE(r);
  if (status) *status = r->status;
  if (r->status != 200) return "";
  return Json::parse(r->body.substr(1))["sid"].get<std::string>();
}

// Opens a WebSocket session, sends CONNECT as the admin (with the keys of the `auth` JSON
// when given) and returns the
// first frame after the open packet that is not an event.
std::string Connect(RawWebSocket* ws, const Daemon& d, const std::string& query = "",
                    const std::string& auth = "") {
  REQUIRE(ws->Connect(d.port(), kWsTarget + query) == 101);
  std::string open, reply;
  REQUIRE(ws->ReadText(&open, 5000));
  REQUIRE(ws->SendText(
      test::ConnectPacket(d.token(), auth.empty() ? Json::object() : Json::parse(auth))));
  do {
    REQUIRE(ws->ReadText(&reply, 5000));
  } while (reply.rfind("42", 0) == 0);
  return reply;
}

// Sends a Feathers call with ack id `id` and returns its ack, skipping pushed events.
std::string Call(RawWebSocket* ws, int id, const std::string& call) {
  REQUIRE(ws->SendText("42" + std::to_string(id) + call));
  std::string frame, prefix = "43" + std::to_string(id) + "[";
  do {
    REQUIRE(ws->ReadText(&frame, 10000));
  } while (frame.rfind(prefix, 0) != 0);
  return frame;
}

TEST_CASE("engine.io sessions are capped and unused handshakes expire", "[e2e][realtime]") {
  Daemon d({"--max-sessions", "3", "--ping-timeout", "300"});
  auto http = Http(d);
  std::string used = PollingSid(http);
  REQUIRE(!used.empty());
  std::string base = std::string(kPolling) + "&sid=" + used;
  REQUIRE(http.Post(base.c_str(), test::ConnectPacket(d.token()), "text/plain")->body == "ok");
  REQUIRE(!PollingSid(http).empty());
  REQUIRE(!PollingSid(http).empty());
  int status = 0;
  CHECK(PollingSid(http, &status).empty());
  CHECK(status == 503);
  auto refused = http.Get(kPolling);
  CHECK(Json::parse(refused->body)["message"] == "Too many sessions, try again later");
  RawWebSocket ws;
  CHECK(ws.Connect(d.port(), kWsTarget) == 503);
  // The two handshakes nothing followed expire after the ping timeout; the used one stays.
  CHECK(Eventually([&] { return Metric(d, "agor_sockets") == 1; }));
  auto connect = http.Get(base.c_str());
  REQUIRE(connect);
  CHECK(connect->body.rfind("40{", 0) == 0);
  CHECK(!PollingSid(http).empty());
  RawWebSocket again;
  CHECK(Connect(&again, d).rfind("40{", 0) == 0);
}

TEST_CASE("the long-polling send queue is bounded by --max-send-queue", "[e2e][realtime]") {
  Daemon d({"--channels", "everybody", "--max-send-queue", "4096"});
  auto http = Http(d);
  std::string sid = PollingSid(http);
  std::string base = std::string(kPolling) + "&sid=" + sid;
  REQUIRE(http.Post(base.c_str(), test::ConnectPacket(d.token()), "text/plain")->body ==
          "ok");  // never polls again
  RestApi rest(d);
  for (int i = 0; i < 8; ++i) rest.Post("/boards", {{"name", std::string(1024, 'x')}});
  CHECK(Eventually([&] { return Metric(d, "agor_slow_clients_dropped_total") == 1; }));
  CHECK(Eventually([&] { return Metric(d, "agor_sockets") == 0; }));
  auto gone = http.Get(base.c_str());
  REQUIRE(gone);
  CHECK(Json::parse(gone->body)["code"] == 1);
}

TEST_CASE("the handshake's board_id must name boards that exist", "[e2e][realtime]") {
  Daemon d;
  RestApi rest(d);
  std::string board = rest.Board();
  const std::string missing = "00000000-0000-4000-8000-000000000000";
  RawWebSocket unknown;
  std::string reply = Connect(&unknown, d, "&board_id=" + board + "," + missing);
  CHECK(reply == "44{\"message\":\"No record found for id '" + missing + "'\"}");
  RawWebSocket not_utf8;
  CHECK(Connect(&not_utf8, d, "&board_id=%ff") ==
        "44{\"message\":\"A board id in the handshake is not an id\"}");
  std::string many;
  for (int i = 0; i < 101; ++i) many += (i ? "," : "") + std::to_string(i);
  RawWebSocket too_many;
  CHECK(Connect(&too_many, d, "&board_id=" + many) ==
        "44{\"message\":\"Too many board ids in the handshake (max 100)\"}");
  // A short id resolves; the client gets its board's events.
  RawWebSocket ok;
  REQUIRE(Connect(&ok, d, "&board_id=" + board.substr(0, 8) + ",,").rfind("40{", 0) == 0);
  CHECK(Call(&ok, 1, "[\"find\",\"subscriptions\",{}]") ==
        "431[null,[{\"id\":\"" + board + "\",\"board_id\":\"" + board + "\"}]]");
  rest.Post("/sessions", {{"board_id", board}});
  std::string frame;
  REQUIRE(ok.ReadText(&frame, 5000));
  CHECK(frame.find("sessions created") != std::string::npos);
}

TEST_CASE("subscriptions are bounded per connection and stay exact in number", "[e2e][realtime]") {
  const int kMax = 1000;
  Daemon d({"--max-subscriptions", std::to_string(kMax)});
  RestApi rest(d);
  std::vector<std::string> boards;
  for (int i = 0; i <= kMax; ++i) boards.push_back(rest.Board());
  RawWebSocket ws;
  const std::string pid = Json::parse(Connect(&ws, d).substr(2))["pid"];
  for (int i = 0; i < kMax; ++i) {
    REQUIRE(ws.SendText("42" + std::to_string(i) +
                        "[\"create\",\"subscriptions\",{\"board_id\":\"" + boards[i] + "\"},{}]"));
  }
  std::string frame;
  for (int i = 0; i < kMax; ++i) {
    REQUIRE(ws.ReadText(&frame, 10000));
    REQUIRE(frame == "43" + std::to_string(i) + "[null,{\"id\":\"" + boards[i] +
                         "\",\"board_id\":\"" + boards[i] + "\"}]");
  }
  std::string over =
      Call(&ws, 5000, "[\"create\",\"subscriptions\",{\"board_id\":\"" + boards[kMax] + "\"},{}]");
  CHECK(over.find("\"name\":\"TooManyRequests\"") != std::string::npos);
  CHECK(over.find("Too many subscriptions on this connection (max 1000)") != std::string::npos);
  // Joining one already joined is no new subscription; leaving one makes room.
  CHECK(Call(&ws, 5001, "[\"create\",\"subscriptions\",{\"board_id\":\"" + boards[7] + "\"},{}]")
            .rfind("435001[null,", 0) == 0);
  CHECK(Call(&ws, 5002, "[\"remove\",\"subscriptions\",\"" + boards[0] + "\",{}]")
            .rfind("435002[null,", 0) == 0);
  CHECK(Call(&ws, 5003, "[\"create\",\"subscriptions\",{\"board_id\":\"" + boards[kMax] + "\"},{}]")
            .rfind("435003[null,", 0) == 0);
  Json list = Json::parse(Call(&ws, 5004, "[\"find\",\"subscriptions\",{}]").substr(6))[1];
  CHECK(list.size() == static_cast<size_t>(kMax));
  // Events reach it through any of its boards, and not through the one it left.
  rest.Post("/sessions", {{"board_id", boards[0]}});
  rest.Post("/sessions", {{"board_id", boards[kMax / 2]}});
  REQUIRE(ws.ReadText(&frame, 5000));
  CHECK(frame.find("\"board_id\":\"" + boards[kMax / 2] + "\"") != std::string::npos);
  // A recovery by pid gets all of them back.
  const std::string seq = Json::parse(frame.substr(2)).back();
  RawWebSocket back;
  std::string reply = Connect(&back, d, "", "{\"pid\":\"" + pid + "\",\"offset\":\"" + seq + "\"}");
  CHECK(Json::parse(reply.substr(2))["pid"] == pid);
  Json restored = Json::parse(Call(&back, 1, "[\"find\",\"subscriptions\",{}]").substr(3))[1];
  CHECK(restored.size() == static_cast<size_t>(kMax));
}

// The seqs of the pushed event frames in `frames`, in order.
std::vector<int64_t> Seqs(const std::vector<std::string>& frames) {
  std::vector<int64_t> out;
  for (const auto& f : frames) {
    if (f.rfind("42[", 0) != 0 || f.rfind("42[\"activity ", 0) == 0) continue;  // no seq
    Json a = Json::parse(f.substr(2));
    out.push_back(std::stoll(a.back().get<std::string>()));
  }
  return out;
}

TEST_CASE("a recovery from offset 0 replays in order while another client writes",
          "[e2e][realtime]") {
  Daemon d;
  RawWebSocket first;
  Json hello = Json::parse(Connect(&first, d).substr(2));
  const std::string pid = hello["pid"];
  // 3,000 events (boards reach every client), written over a socket without acks.
  RawWebSocket writer;
  REQUIRE(Connect(&writer, d).rfind("40{", 0) == 0);
  for (int i = 0; i < 3000; ++i)
    REQUIRE(writer.SendText("42[\"create\",\"boards\",{\"name\":\"w\"}]"));
  REQUIRE(Call(&writer, 1, "[\"find\",\"boards\",{\"$limit\":0}]").find("\"total\":3000") !=
          std::string::npos);
  std::atomic<bool> stop{false};
  std::thread live([&] {
    RestApi rest(d);
    for (int i = 0; i < 300 && !stop; ++i) rest.Post("/boards", {{"name", "live"}});
  });
  RawWebSocket back;
  REQUIRE(back.Connect(d.port(), kWsTarget) == 101);
  std::string frame;
  REQUIRE(back.ReadText(&frame, 5000));
  REQUIRE(back.SendText(test::ConnectPacket(d.token(), {{"pid", pid}, {"offset", "0"}})));
  std::vector<std::string> frames;
  size_t connect_at = 0;
  while (back.ReadText(&frame, 10000)) {
    if (frame.rfind("40{", 0) == 0) connect_at = frames.size();
    frames.push_back(frame);
    if (frame.find(",\"3302\"]") != std::string::npos) break;
  }
  stop = true;
  live.join();
  // The CONNECT reply comes first (a replay waits for the caller's token to be checked), then
  // every event from seq 1: the first start's two (the admin and its key), then the boards.
  REQUIRE(!frames.empty());
  CHECK(connect_at == 0);
  CHECK(Json::parse(frames[connect_at].substr(2))["pid"] == pid);
  std::vector<int64_t> seqs = Seqs(frames);
  REQUIRE(seqs.size() == 3302);
  for (size_t i = 0; i < seqs.size(); ++i) REQUIRE(seqs[i] == static_cast<int64_t>(i + 1));
}

TEST_CASE("a long recovery waits for a client's queue instead of overflowing it",
          "[e2e][realtime]") {
  Daemon d({"--max-send-queue", "65536"});
  std::string pid;
  {
    RawWebSocket first;
    pid = Json::parse(Connect(&first, d).substr(2))["pid"].get<std::string>();
  }
  RestApi rest(d);
  const std::string name(300, 'n');  // 1,500 frames of ~550 bytes: 12 times the queue's bound
  for (int i = 0; i < 1500; ++i) rest.Post("/boards", {{"name", name}});
  RawWebSocket back;
  std::string reply = Connect(&back, d, "", "{\"pid\":\"" + pid + "\",\"offset\":\"0\"}");
  REQUIRE(reply.rfind("40{", 0) == 0);
  CHECK(Json::parse(reply.substr(2))["pid"] == pid);
  CHECK(Metric(d, "agor_slow_clients_dropped_total") == 0);
}

}  // namespace
}  // namespace agor
