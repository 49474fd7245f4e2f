// End-to-end tests of the `?agor_events=log` handshake opt-in (server/realtime/hub.h): a
// connection that asks for it gets each logged event as its event log entry, live and in a
// recovery replay, while a stock connection's frames stay byte for byte what they were. Raw
// WebSocket frames are compared, so nothing a client library normalizes can hide a change.
#include <catch2/catch.hpp>
#include <string>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::RawWebSocket;

constexpr int kTimeoutMs = 10000;
const std::string kTarget = "/socket.io/?EIO=4&transport=websocket";

// Upgrades, reads the Engine.IO open packet, sends CONNECT as the daemon's admin with the keys
// of `auth` ({pid, offset} for a recovery) and returns the reply.
std::string Open(RawWebSocket* ws, const Daemon& d, const std::string& query,
                 const Json& auth = Json::object()) {
  REQUIRE(ws->Connect(d.port(), kTarget + query) == 101);
  std::string frame;
  REQUIRE(ws->ReadText(&frame, kTimeoutMs));
  REQUIRE(frame.rfind("0{", 0) == 0);
  REQUIRE(ws->SendText(test::ConnectPacket(d.token(), auth)));
  REQUIRE(ws->ReadText(&frame, kTimeoutMs));
  return frame;
}

// The next frame that is not an Engine.IO ping (answered) nor an activity feed entry (derived
// from the log, never logged itself: tests/e2e/activity_e2e_test.cpp).
std::string NextFrame(RawWebSocket* ws) {
  std::string frame;
  do {
    REQUIRE(ws->ReadText(&frame, kTimeoutMs));
    if (frame == "2") ws->SendText("3");
  } while (frame == "2" || frame.rfind("42[\"activity ", 0) == 0);
  return frame;
}

std::string StockFrame(const Json& entry) {
  std::string seq = std::to_string(entry["seq"].get<int64_t>());
  return "42[\"" + entry["service"].get<std::string>() + " " + entry["event"].get<std::string>() +
         "\"," + entry["record"].dump() + ",\"" + seq + "\"]";
}

// Checks an opted-in frame: `42["events created",<the log entry of seq>,"<seq>"]`.
void CheckEntryFrame(const std::string& frame, const Json& entry) {
  INFO(frame);
  std::string seq = std::to_string(entry["seq"].get<int64_t>());
  REQUIRE(frame.rfind("42[\"events created\",{", 0) == 0);
  Json args = Json::parse(frame.substr(2));
  REQUIRE(args.size() == 3);
  CHECK(args[1] == entry);
  CHECK(args[2] == seq);
  CHECK(frame == "42[\"events created\"," + entry.dump() + ",\"" + seq + "\"]");
}

Json Newest(test::RestApi& rest) {
  return rest.Get("/events?$sort[seq]=-1&$limit=1")["data"][0];
}

TEST_CASE("agor_events=log: log entries for those who ask, stock frames unchanged",
          "[e2e][log-entries]") {
  Daemon d({"--channels", "everybody"});  // both connections get every event
  test::RestApi rest(d);
  RawWebSocket stock, entries;
  CHECK(Open(&stock, d, "").rfind("40{", 0) == 0);
  CHECK(Open(&entries, d, "&agor_events=log").rfind("40{", 0) == 0);
  // The events after the first start's own (the admin and its key).
  std::string after = std::to_string(Newest(rest)["seq"].get<int64_t>());
  std::string session = rest.Session("claude-code");
  Json page = rest.Get("/events?$sort[seq]=1&seq[$gt]=" + after);
  REQUIRE(page["data"].size() >= 2);
  for (const Json& entry : page["data"]) {
    CHECK(NextFrame(&stock) == StockFrame(entry));
    CheckEntryFrame(NextFrame(&entries), entry);
  }
  CHECK(page["data"].back()["session_id"] == session);
}

TEST_CASE("agor_events=log: a recovery replays log entries", "[e2e][log-entries]") {
  Daemon d;
  test::RestApi rest(d);
  std::string pid;
  {
    RawWebSocket first;
    Json reply = Json::parse(Open(&first, d, "&agor_events=log").substr(2));
    pid = reply["pid"];
    rest.Board();
    CheckEntryFrame(NextFrame(&first), Newest(rest));
  }
  std::string seen = std::to_string(Newest(rest)["seq"].get<int64_t>());
  rest.Board();  // missed while away
  RawWebSocket again;
  // The CONNECT reply (recovered: the same pid), then the replay, once the token is checked.
  Json reply =
      Json::parse(Open(&again, d, "&agor_events=log", {{"pid", pid}, {"offset", seen}}).substr(2));
  CHECK(reply["pid"] == pid);
  CheckEntryFrame(NextFrame(&again), Newest(rest));
}

TEST_CASE("agor_events with another value is a CONNECT_ERROR", "[e2e][log-entries]") {
  Daemon d;
  RawWebSocket ws;
  std::string reply = Open(&ws, d, "&agor_events=xml");
  INFO(reply);
  REQUIRE(reply.rfind("44", 0) == 0);
  Json error = Json::parse(reply.substr(2));
  CHECK(error["message"].get<std::string>().find("agor_events") != std::string::npos);
}

}  // namespace
}  // namespace agor
