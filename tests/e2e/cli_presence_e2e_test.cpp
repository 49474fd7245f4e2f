// End-to-end tests of issue 12's CLI against a real `agor serve`: `agor board who` (the
// presence roster), `agor board activity [--follow]` (the feed, newest last, then live) and
// `agor watch --presence`. Presence comes from a raw Socket.IO client that joins a board with
// the Feathers `presence` service and moves its cursor. stdout is a pipe (JSON lines) unless a
// test reads a terminal; every failure must be exactly one stderr line. Waits are on lines,
// acks and exits with timeouts, never on sleeps. One daemon per test case: keep them cheap.
#include <signal.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/child_process.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/json_lines.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/rest_api.h"
#include "tests/support/terminal.h"

namespace agor {
namespace {

using test::ChildProcess;
using test::Daemon;
using test::RunResult;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";
constexpr int kLineTimeoutMs = 10000;
// Well-formed, but no daemon issued it: the answer is a 401.
const char kUnknownKey[] = "AGOR_TOKEN=agor_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

// A failure: the exit code, nothing on stdout, and exactly one stderr line starting `prefix`.
void CheckFails(const RunResult& r, int exit_code, const std::string& prefix) {
  INFO(r.err);
  CHECK(r.exit_code == exit_code);
  CHECK(r.out.empty());
  CHECK(r.err.rfind(prefix, 0) == 0);
  CHECK(r.err.find('\n') == r.err.size() - 1);
}

// A Socket.IO client of the daemon's admin that makes Feathers calls and sends Agor's events.
class PresenceClient {
 public:
  explicit PresenceClient(const Daemon& d) {
    REQUIRE(ws_.Connect(d.port(), "/socket.io/?EIO=4&transport=websocket") == 101);
    std::string frame;
    REQUIRE(ws_.ReadText(&frame, kLineTimeoutMs));
    REQUIRE(ws_.SendText(test::ConnectPacket(d.token())));
    REQUIRE(ws_.ReadText(&frame, kLineTimeoutMs));
    REQUIRE(frame.rfind("40", 0) == 0);
  }

  // `method` on `path` with `args`; the result (the error fails the test).
  Json Call(const std::string& method, const std::string& path, Json args) {
    std::string ack = std::to_string(++ack_);
    args.insert(args.begin(), path);
    args.insert(args.begin(), method);
    REQUIRE(ws_.SendText("42" + ack + args.dump()));
    std::string frame;
    do {
      REQUIRE(ws_.ReadText(&frame, kLineTimeoutMs));
      if (frame == "2") ws_.SendText("3");
    } while (frame.rfind("43" + ack + "[", 0) != 0);
    Json answer = Json::parse(frame.substr(2 + ack.size()));
    INFO(frame);
    REQUIRE(answer[0].is_null());
    return answer[1];
  }

  void Send(const std::string& event, const Json& data) {
    REQUIRE(ws_.SendText("42" + Json::array({event, data}).dump()));
  }

 private:
  test::RawWebSocket ws_;
  int ack_ = 0;
};

std::unique_ptr<ChildProcess> StartCli(const Daemon& d, std::vector<std::string> args) {
  args.insert(args.begin(), AGOR_BINARY);
  return std::make_unique<ChildProcess>(args, d.ClientEnv());
}

Json NextLine(ChildProcess& child) {
  std::string line;
  INFO(child.ErrSoFar());
  REQUIRE(child.ReadLine(&line, kLineTimeoutMs));
  return Json::parse(line);
}

}  // namespace

TEST_CASE("agor board who: the roster as JSON lines or a table, refusals in one line",
          "[cli][e2e][presence]") {
  Daemon d;
  test::RestApi rest(d);
  Json board = rest.Post("/boards", {{"name", "Who"}, {"slug", "who-board"}});
  std::string board_id = board["board_id"];
  Json session = rest.Post("/sessions", {{"board_id", board_id}, {"title", "fix-login"}});
  CHECK(QuietJsonLines(d.Cli({"board", "who", "who-board"})).empty());  // nobody yet

  PresenceClient ana(d);
  Json entry =
      ana.Call("create", "presence", Json::array({Json{{"board_id", board_id}}, Json::object()}));
  ana.Call(
      "patch", "presence",
      Json::array({entry["presence_id"], Json{{"selected_session_id", session["session_id"]}}}));
  std::vector<Json> roster = QuietJsonLines(d.Cli({"board", "who", board_id.substr(0, 8)}));
  REQUIRE(roster.size() == 1);
  CHECK(roster[0]["presence_id"] == entry["presence_id"]);
  CHECK(roster[0]["board_id"] == board_id);
  CHECK(roster[0]["selected_session_id"] == session["session_id"]);
  CHECK(roster[0]["idle"] == false);
  CHECK(roster[0]["name"].is_string());

  test::TerminalProcess table({"board", "who", "who-board"}, d.ClientEnv({"NO_COLOR=1"}));
  std::string shown = table.ReadAll(kLineTimeoutMs);
  CHECK(table.Wait(kLineTimeoutMs) == 0);
  INFO(shown);
  CHECK(shown.rfind("USER", 0) == 0);
  CHECK(shown.find("fix-login") != std::string::npos);  // the session by its title
  CHECK(shown.find("active") != std::string::npos);

  ana.Call("remove", "presence", Json::array({entry["presence_id"]}));
  CHECK(QuietJsonLines(d.Cli({"board", "who", "who-board"})).empty());
  test::TerminalProcess empty({"board", "who", "who-board"}, d.ClientEnv({"NO_COLOR=1"}));
  CHECK(empty.ReadAll(kLineTimeoutMs) == "nobody is on board who-board now\n");

  CheckFails(d.Cli({"board", "who", "no-such-board"}), 1,
             "agor: no board has the id or slug 'no-such-board'");
  CheckFails(d.Cli({"board", "who"}), 2, "agor: board is required (see 'agor board who --help')");
  CheckFails(d.Cli({"board", "who", "who-board"}, "", {kUnknownKey}), 4, "agor: not logged in");
}

TEST_CASE("agor board activity: the feed newest last, --limit, --follow until Ctrl-C",
          "[cli][e2e][activity]") {
  Daemon d;
  test::RestApi rest(d);
  Json board = rest.Post("/boards", {{"name", "Feed"}, {"slug", "feed"}});
  std::string board_id = board["board_id"];
  for (const char* title : {"one", "two", "three"}) {
    rest.Post("/sessions", {{"board_id", board_id}, {"title", title}});
  }
  std::vector<Json> feed = QuietJsonLines(d.Cli({"board", "activity", "feed"}));
  REQUIRE(feed.size() >= 3);
  for (size_t i = 1; i < feed.size(); ++i) {
    CHECK(feed[i]["first_seq"].get<int64_t>() > feed[i - 1]["first_seq"].get<int64_t>());
  }
  CHECK(feed.back()["summary"].get<std::string>().find("three") != std::string::npos);
  std::vector<Json> newest = QuietJsonLines(d.Cli({"board", "activity", "feed", "--limit", "2"}));
  REQUIRE(newest.size() == 2);
  CHECK(newest[0] == feed[feed.size() - 2]);
  CHECK(newest[1] == feed.back());
  CHECK(newest[1]["board_id"] == board_id);

  auto follow = StartCli(d, {"board", "activity", board_id.substr(0, 8), "--follow"});
  for (const Json& entry : feed) CHECK(NextLine(*follow)["activity_id"] == entry["activity_id"]);
  Json session =
      rest.Post("/sessions", {{"board_id", board_id},
                              {"title", "four"},
                              {"agentic_tool", "command"},
                              {"agent_command", Json::array({kFixtures + "echo_agent.sh"})}});
  Json live = NextLine(*follow);
  CHECK(live["summary"].get<std::string>().find("four") != std::string::npos);
  CHECK(live["board_id"] == board_id);

  // A burst of three messages is one entry that grows: its lines count up, the last one is
  // what the feed then says.
  test::EventStream events(d, "&board_id=" + board_id);
  Json task = rest.Post("/sessions/" + session["session_id"].get<std::string>() + "/prompt",
                        {{"prompt", "a\nb\nc"}});
  Json ended;
  REQUIRE(events.WaitTaskEnd(task["task_id"], &ended));
  std::vector<Json> after = QuietJsonLines(d.Cli({"board", "activity", "feed", "--limit", "20"}));
  Json wrote;
  for (const Json& entry : after) {
    if (entry["verb"] == "wrote") wrote = entry;
  }
  REQUIRE(wrote.is_object());
  Json last_count, last_seq;               // of the follower's last line about it
  while (last_seq != wrote["last_seq"]) {  // it prints again as it grows, up to its end
    Json line = NextLine(*follow);
    if (line["activity_id"] != wrote["activity_id"]) continue;
    if (!last_count.is_null()) CHECK(line["count"] > last_count);
    last_count = line["count"];
    last_seq = line["last_seq"];
  }
  CHECK(last_count == wrote["count"]);
  follow->Signal(SIGINT);
  CHECK(follow->Wait(kLineTimeoutMs) == 130);
  CHECK(follow->ErrSoFar().empty());

  // The followed board's removal ends it: exit 1, one line.
  auto ended_by_rm = StartCli(d, {"board", "activity", "feed", "--follow", "--limit", "1"});
  NextLine(*ended_by_rm);  // subscribed, then read the page
  rest.Delete("/boards/" + board_id);
  CHECK(ended_by_rm->Wait(kLineTimeoutMs) == 1);
  CHECK(ended_by_rm->ErrSoFar() == "agor: board " + board_id + " was removed\n");
  board_id = rest.Post("/boards", {{"name", "Feed"}, {"slug", "feed"}})["board_id"];

  CheckFails(d.Cli({"board", "activity", "feed", "--limit", "0"}), 2, "agor: --limit");
  CheckFails(d.Cli({"board", "activity", "feed", "--limit=-1"}), 2, "agor: --limit");
  CheckFails(d.Cli({"board", "activity", "feed", "--limit", "x"}), 2, "agor: --limit");
  CheckFails(d.Cli({"board", "activity", "nope-board", "--follow"}), 1,
             "agor: no board has the id or slug 'nope-board'");
  CheckFails(d.Cli({"board", "activity", "feed"}, "", {kUnknownKey}), 4, "agor: not logged in");
}

TEST_CASE("agor watch prints presence frames only with --presence, the feed only when named",
          "[cli][e2e][presence]") {
  Daemon d;
  test::RestApi rest(d);
  Json board = rest.Post("/boards", {{"name", "Cursors"}});
  std::string board_id = board["board_id"];
  auto plain = StartCli(d, {"watch", "--board", board_id});
  auto noisy = StartCli(d, {"watch", "--board", board_id, "--presence"});
  auto feed = StartCli(d, {"watch", "--board", board_id, "--service", "activity"});
  // Live once a patch made after the start shows (the watcher subscribes, then replays).
  for (ChildProcess* watch : {plain.get(), noisy.get(), feed.get()}) {
    std::string line;
    for (int i = 0; i < 100 && line.empty(); ++i) {
      rest.Patch("/boards/" + board_id, {{"description", "probe"}});
      watch->ReadLine(&line, 200);
    }
    REQUIRE_FALSE(line.empty());
  }
  PresenceClient ana(d);
  Json entry =
      ana.Call("create", "presence", Json::array({Json{{"board_id", board_id}}, Json::object()}));
  ana.Send("cursor-move", {{"boardId", board_id}, {"x", 12}, {"y", 34}});
  bool joined = false, moved = false;
  while (!joined || !moved) {
    Json line = NextLine(*noisy);
    if (line["service"] != "presence") continue;  // the probes
    CHECK(line["seq"].is_null());
    CHECK(line["board_id"] == board_id);
    if (line["event"] == "created") joined = line["data"]["presence_id"] == entry["presence_id"];
    if (line["event"] == "cursor-moved") {
      moved = true;
      CHECK(line["data"]["x"] == 12);
      CHECK(line["data"]["presenceId"] == entry["presence_id"]);
    }
  }
  // Everything presence sent went out before this marker reaches the plain watcher.
  rest.Patch("/boards/" + board_id, {{"description", "marker"}});
  for (Json line; line["data"]["description"] != "marker";) {
    line = NextLine(*plain);
    CHECK(line["service"] == "boards");  // neither presence nor the feed
  }
  Json marker = rest.Get("/events?$sort[seq]=-1&$limit=1")["data"][0]["seq"];
  for (Json line; line["data"]["last_seq"] != marker;) {
    line = NextLine(*feed);  // up to the entry the marker grew (the probes' updates')
    CHECK(line["service"] == "activity");
    CHECK(line["seq"].is_null());
  }
  plain->Signal(SIGINT);
  CHECK(plain->Wait(kLineTimeoutMs) == 130);
}

}  // namespace agor
