// GET /metrics and the request log, with the real binary: every family is announced with
// `# HELP` and `# TYPE`, the numbers move with REST, long-polling, WebSocket, Socket.IO calls,
// commits and an agent's task; at --log-level debug each request and call is one escaped log
// line, and at info there is none.
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/raw_http.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::ChildProcess;
using test::Daemon;
using test::EventStream;
using test::RawWebSocket;
using test::RestApi;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";

// One scrape: sample lines by their series ("name{labels}"), and the families' types.
struct Scrape {
  std::map<std::string, std::string> samples;
  std::map<std::string, std::string> types;  // family -> counter/gauge/histogram
  std::map<std::string, bool> helped;        // family -> has a # HELP line

  // The sample's value as a number; -1 when the series is absent.
  double operator[](const std::string& series) const {
    auto it = samples.find(series);
    return it == samples.end() ? -1 : std::stod(it->second);
  }
};

Scrape GetMetrics(const Daemon& d) {
  RestApi api(d);
  auto r = api.http().Get("/metrics");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "text/plain; version=0.0.4");
  Scrape s;
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first, name, rest;
    words >> first;
    if (first == "#") {
      words >> rest >> name;
      if (rest == "TYPE") words >> s.types[name];
      if (rest == "HELP") s.helped[name] = true;
      continue;
    }
    REQUIRE(line.rfind(' ') != std::string::npos);
    s.samples[line.substr(0, line.rfind(' '))] = line.substr(line.rfind(' ') + 1);
  }
  return s;
}

// The reply to one Socket.IO call over `ws`, skipping event frames: "43<ack>[...]".
std::string Call(RawWebSocket& ws, int ack, const std::string& args) {
  std::string prefix = "43" + std::to_string(ack) + "[";
  REQUIRE(ws.SendText("42" + std::to_string(ack) + args));
  std::string frame;
  while (ws.ReadText(&frame, 10000)) {
    if (frame.rfind(prefix, 0) == 0) return frame;
  }
  FAIL("no ack " << ack);
  return "";
}

// Connects and CONNECTs presenting `token` (the admin's API key).
void ConnectSocket(RawWebSocket& ws, int port, const std::string& token) {
  REQUIRE(ws.Connect(port, "/socket.io/?EIO=4&transport=websocket") == 101);
  std::string frame;
  REQUIRE(ws.ReadText(&frame, 5000));  // Engine.IO open
  REQUIRE(ws.SendText(test::ConnectPacket(token)));
  REQUIRE(ws.ReadText(&frame, 5000));
  REQUIRE(frame.rfind("40{", 0) == 0);
}

TEST_CASE("metrics: every family is announced and the numbers move with traffic",
          "[e2e][metrics]") {
  Daemon d({"--channels", "everybody"});
  Scrape before = GetMetrics(d);
  const std::map<std::string, std::string> families = {
      {"agor_start_time_seconds", "gauge"},
      {"agor_uptime_seconds", "gauge"},
      {"agor_http_requests_total", "counter"},
      {"agor_http_errors_total", "counter"},
      {"agor_http_request_duration_seconds", "histogram"},
      {"agor_connections", "gauge"},
      {"agor_sockets", "gauge"},
      {"agor_socketio_clients", "gauge"},
      {"agor_slow_clients_dropped_total", "counter"},
      {"agor_events_total", "counter"},
      {"agor_events_streamed_total", "counter"},
      {"agor_event_deliveries_total", "counter"},
      {"agor_socketio_call_errors_total", "counter"},
      {"agor_socketio_call_duration_seconds", "histogram"},
      {"agor_logins_total", "counter"},
      {"agor_commits_total", "counter"},
      {"agor_sqlite_commit_duration_seconds", "histogram"},
      {"agor_tasks", "gauge"},
      {"agor_tasks_reclaimed_total", "counter"},
      {"agor_presence_entries", "gauge"},
      {"agor_presence_held_cursors", "gauge"},
      {"agor_cursor_moves_total", "counter"},
      {"agor_cursor_updates_total", "counter"},
  };
  for (const auto& [name, type] : families) {
    INFO(name);
    CHECK(before.types[name] == type);
    CHECK(before.helped[name]);
  }
  CHECK(before.types.size() == families.size());  // a new family gets a line above
  CHECK(before["agor_connections{transport=\"websocket\"}"] == 0);
  CHECK(before["agor_tasks{status=\"completed\"}"] == 0);

  // Traffic: REST writes and a 404, a long-polling session, two WebSocket clients, Socket.IO
  // calls (one refused), an agent's task to its end.
  RestApi api(d);
  EventStream events(d);
  api.Get("/boards/00000000-0000-4000-8000-000000000000", 404);
  std::string session = api.Session("command", Json::array({kFixtures + "echo_agent.sh"}));
  Json started = api.Post("/sessions/" + session + "/prompt", {{"prompt", "hello"}});
  Json task;
  REQUIRE(events.WaitTaskEnd(started["task_id"].get<std::string>(), &task));
  REQUIRE(task["status"] == "completed");
  RawWebSocket ws;
  ConnectSocket(ws, d.port(), d.token());
  CHECK(Call(ws, 1, R"(["find","boards",{}])").rfind("431[null,", 0) == 0);
  CHECK(Call(ws, 2, R"(["get","nope","x"])").find("NotFound") != std::string::npos);
  auto poll = api.http().Get("/socket.io/?EIO=4&transport=polling");  // a handshake only
  REQUIRE(poll);
  REQUIRE(poll->status == 200);

  Scrape after = GetMetrics(d);
  CHECK(after["agor_connections{transport=\"websocket\"}"] == 2);
  CHECK(after["agor_connections{transport=\"polling\"}"] == 1);
  CHECK(after["agor_sockets"] == 3);
  CHECK(after["agor_socketio_clients"] == 2);
  CHECK(after["agor_tasks{status=\"completed\"}"] == 1);
  CHECK(after["agor_tasks{status=\"running\"}"] == 0);
  CHECK(after["agor_http_requests_total"] >= before["agor_http_requests_total"] + 5);
  CHECK(after["agor_http_errors_total"] == before["agor_http_errors_total"] + 1);
  CHECK(after["agor_http_request_duration_seconds_count{route=\"rest\",method=\"POST\"}"] == 3);
  CHECK(after["agor_http_request_duration_seconds_bucket{route=\"rest\",method=\"POST\",le=\"+"
              "Inf\"}"] == 3);
  CHECK(after["agor_http_request_duration_seconds_sum{route=\"rest\",method=\"POST\"}"] > 0);
  CHECK(after["agor_http_request_duration_seconds_count{route=\"polling\",method=\"GET\"}"] == 1);
  CHECK(after["agor_socketio_call_duration_seconds_count{method=\"find\"}"] == 1);
  CHECK(after["agor_socketio_call_duration_seconds_count{method=\"get\"}"] == 1);
  CHECK(after["agor_socketio_call_errors_total"] == 1);
  // board, session, task, user and agent messages, task and session patches: all delivered
  // to the one WebSocket watcher at least.
  double published = after["agor_events_total"] - before["agor_events_total"];
  CHECK(published >= 5);
  CHECK(after["agor_event_deliveries_total"] - before["agor_event_deliveries_total"] >= published);
  CHECK(after["agor_commits_total"] > before["agor_commits_total"]);
  CHECK(after["agor_sqlite_commit_duration_seconds_count"] >
        before["agor_sqlite_commit_duration_seconds_count"]);
  CHECK(after["agor_sqlite_commit_duration_seconds_bucket{le=\"+Inf\"}"] ==
        after["agor_sqlite_commit_duration_seconds_count"]);
}

// `agor serve --log-level <level>` on a fresh database, its stderr piped.
struct LoggedDaemon {
  explicit LoggedDaemon(const std::string& level)
      : process({AGOR_BINARY, "serve", "--port", "0", "--db", dir.path() + "/agor.db",
                 "--log-level", level}) {
    std::string line;
    REQUIRE(process.ReadLine(&line, 30000));
    port = std::stoi(line.substr(line.rfind(':') + 1));
    token = test::AdminCredentialsOf(dir.path() + "/agor.db").api_key;
  }
  // Reads stderr until a line contains `needle`; that line, or "" after 10 s.
  std::string WaitLog(const std::string& needle) {
    std::string line;
    while (process.ReadErrLine(&line, 10000)) {
      if (line.find(needle) != std::string::npos) return line;
    }
    return "";
  }

  test::TempDir dir;
  ChildProcess process;
  int port = 0;
  std::string token;  // the admin's API key
};

TEST_CASE("request log: one line per request and call at debug, outside bytes escaped",
          "[e2e][metrics]") {
  LoggedDaemon d("debug");
  RestApi api(d.port, d.token);
  api.Get("/boards?name=secret-token");
  std::string line = d.WaitLog(" http GET /boards ");
  CHECK(line.find(" debug http GET /boards 200 ") != std::string::npos);
  CHECK(line.find(" ms") == line.size() - 3);
  CHECK(line.find("secret-token") == std::string::npos);  // the query string stays out

  // A path can only be printable ASCII (the parser refuses the rest), but a backslash in it
  // must not pass for an escape the log made.
  test::RawHttp raw;
  REQUIRE(raw.Connect(d.port));
  REQUIRE(
      raw.SendRaw("DELETE /boards/%1b\\x1b[31m HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Authorization: Bearer " +
                  d.token + "\r\n\r\n"));
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  REQUIRE(raw.ReadResponse(&status, &headers, &body, 10000));
  CHECK(d.WaitLog(" http DELETE ")
            .find(" http DELETE /boards/%1b\\\\x1b[31m " + std::to_string(status) + " ") !=
        std::string::npos);

  // A Socket.IO call's service name is JSON: any character can come, escapes included.
  RawWebSocket ws;
  ConnectSocket(ws, d.port, d.token);
  Call(ws, 7, R"(["find","boards\u001b[31mred\n2026-01-01T00:00:00.000Z info forged",{}])");
  line = d.WaitLog("socket.io find boards");
  CHECK(line.find("socket.io find boards\\x1b[31mred\\x0a2026-01-01T00:00:00.000Z info forged "
                  "error ") != std::string::npos);
  Call(ws, 8, R"(["create","boards",{"name":"b","slug":"b"}])");
  CHECK(d.WaitLog("socket.io create").find("socket.io create boards ok ") != std::string::npos);
  std::string all = d.process.ErrSoFar();
  CHECK(all.find('\x1b') == std::string::npos);  // nothing reached the terminal raw
}

TEST_CASE("request log: nothing per request at info level", "[e2e][metrics]") {
  LoggedDaemon d("info");
  RestApi api(d.port, d.token);
  api.Get("/boards");
  api.Post("/boards", {{"name", "b"}, {"slug", "b"}});
  RawWebSocket ws;
  ConnectSocket(ws, d.port, d.token);
  Call(ws, 1, R"(["find","boards",{}])");
  d.process.Signal(SIGTERM);
  REQUIRE(d.process.Wait(30000) == 0);
  std::string all = d.process.ErrSoFar();
  CHECK(all.find("shutting down") != std::string::npos);  // info lines do come
  CHECK(all.find(" http ") == std::string::npos);
  CHECK(all.find("socket.io") == std::string::npos);
}

}  // namespace
}  // namespace agor
