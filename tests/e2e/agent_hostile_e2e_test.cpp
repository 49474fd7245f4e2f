// End-to-end: agents that misbehave (tests/fixtures/agents/hostile_agent.sh) never leave a task
// running, a daemon killed with -9 leaves no agent process behind once restarted, and a stored
// sdk_session_id never becomes a flag of the agent's command line.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "base/status.h"
#include "base/utf8.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::EventStream;
using test::PushedEvent;
using Api = test::RestApi;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";
const std::string kHostile = kFixtures + "hostile_agent.sh";

// The task's final record, once it has ended.
Json WaitTaskEnd(EventStream& events, const std::string& task_id) {
  Json record;
  REQUIRE(events.WaitTaskEnd(task_id, &record));
  return record;
}

// Prompts `session` and returns the id of the task that runs `prompt`, queued or not.
std::string PromptTask(Api& api, EventStream& events, const std::string& session,
                       const std::string& prompt = "go") {
  Json started = api.Post("/sessions/" + session + "/prompt", {{"prompt", prompt}});
  if (started["status"] == "running") return started["task_id"];
  PushedEvent ev;
  REQUIRE(
      events.WaitFor("tasks created", {{"session_id", session}, {"prompt", prompt}}, &ev, 20000));
  return ev.record["task_id"];
}

// The final record of one prompt to a new session of `tool` (`command`: its argv).
Json RunOnce(Api& api, EventStream& events, const std::string& tool,
             const Json& command = nullptr) {
  std::string session = api.Session(tool, command);
  Json done = WaitTaskEnd(events, PromptTask(api, events, session));
  CHECK(api.Get("/sessions/" + session)["status"] == "idle");
  return done;
}

std::string Error(const Json& task) {
  return task["error"].is_string() ? task["error"].get<std::string>() : "";
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("an agent's non-UTF-8 stderr fails its task and the session goes on", "[e2e][agents]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = api.Session("command", {kHostile, "stderr-binary"});
  std::string first = PromptTask(api, events, session, "first");
  std::string second = PromptTask(api, events, session, "second");  // queued, or not
  Json failed = WaitTaskEnd(events, first);
  CHECK(failed["status"] == "failed");
  std::string error = Error(failed);
  CHECK(IsValidUtf8(error));
  CHECK(Contains(error, "agent exited with status 3: "));
  CHECK(Contains(error, "last line"));
  CHECK(error.size() <= 4096);
  CHECK(WaitTaskEnd(events, second)["status"] == "failed");
  CHECK(api.Get("/sessions/" + session)["status"] == "idle");
  CHECK(api.Post("/sessions/" + session + "/stop", Json::object(), 409)["name"] == "Conflict");
}

TEST_CASE("binary garbage on stdout ends the task, as text or as a parse error", "[e2e][agents]") {
  Daemon d({"--channels", "everybody"}, "",
           {"AGOR_HOSTILE=stdout-binary", "AGOR_CODEX_BIN=" + kHostile});
  Api api(d);
  EventStream events(d);
  std::string session = api.Session("command", {kHostile, "stdout-binary"});
  CHECK(WaitTaskEnd(events, PromptTask(api, events, session))["status"] == "completed");
  Json page = api.Get("/messages?session_id=" + session + "&role=assistant");
  CHECK(page["total"].get<int>() >= 2);
  CHECK(Contains(page["data"][0]["content"].get<std::string>(), "\xEF\xBF\xBD"));  // U+FFFD
  Json codex = RunOnce(api, events, "codex");
  CHECK(codex["status"] == "failed");
  CHECK(Contains(Error(codex), "codex: unparseable output line: nul "));
  CHECK(IsValidUtf8(Error(codex)));
}

TEST_CASE("a JSON line nested 100,000 deep fails the task, not the daemon", "[e2e][agents]") {
  Daemon d(
      {"--channels", "everybody"}, "",
      {"AGOR_HOSTILE=deep-json", "AGOR_CLAUDE_BIN=" + kHostile, "AGOR_GEMINI_BIN=" + kHostile});
  Api api(d);
  EventStream events(d);
  for (const char* tool : {"claude-code", "gemini"}) {
    INFO(tool);
    Json done = RunOnce(api, events, tool);
    CHECK(done["status"] == "failed");
    CHECK(Error(done) == std::string(tool) + ": output line nested deeper than 64 levels");
  }
  CHECK(api.Get("/health")["status"] == "ok");
}

TEST_CASE("a line over the line limit is skipped and the lines after it count", "[e2e][agents]") {
  Daemon d({"--channels", "everybody"}, "",
           {"AGOR_HOSTILE=huge-json", "AGOR_CODEX_BIN=" + kHostile});
  Api api(d);
  EventStream events(d);
  std::string session = api.Session("codex");
  CHECK(WaitTaskEnd(events, PromptTask(api, events, session))["status"] == "completed");
  Json page = api.Get("/messages?session_id=" + session + "&role=assistant");
  REQUIRE(page["total"] == 1);
  CHECK(page["data"][0]["content"] == "after");
}

TEST_CASE("an unparseable line ends an agent that ignores SIGTERM", "[e2e][agents]") {
  Daemon d({"--channels", "everybody", "--stop-grace", "200"}, "",
           {"AGOR_HOSTILE=unparseable", "AGOR_CODEX_BIN=" + kHostile});
  Api api(d);
  EventStream events(d);
  Json done = RunOnce(api, events, "codex");
  CHECK(done["status"] == "failed");
  CHECK(Error(done) == "codex: unparseable output line: this is not JSON \xEF\xBF\xBD");
}

TEST_CASE("an agent that closes stdout and keeps running is ended after the grace period",
          "[e2e][agents]") {
  Daemon d({"--channels", "everybody", "--stop-grace", "200"});
  Api api(d);
  EventStream events(d);
  Json done = RunOnce(api, events, "command", {kHostile, "close-stdout"});
  CHECK(done["status"] == "failed");
  CHECK(Error(done) == "agent closed its output but did not exit within 200 ms; terminated");
}

TEST_CASE("an agent that exits without output ends its task", "[e2e][agents]") {
  Daemon d({"--channels", "everybody"}, "", {"AGOR_HOSTILE=silent", "AGOR_CLAUDE_BIN=" + kHostile});
  Api api(d);
  EventStream events(d);
  CHECK(RunOnce(api, events, "claude-code")["status"] == "completed");
  Json failed = RunOnce(api, events, "command", {kHostile, "silent-fail"});
  CHECK(failed["status"] == "failed");
  CHECK(Error(failed) == "agent exited with status 1");
}

// The state letter of `pid` in /proc ('Z' zombie), or 0 once it is gone.
char ProcState(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) return 0;
  return line[line.rfind(')') + 2];
}

bool WaitGone(const std::string& pid) {
  for (int i = 0; i < 500; ++i) {
    char state = ProcState(pid);
    if (state == 0 || state == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_CASE("an agent's children do not outlive a daemon killed with -9", "[e2e][agents]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db", child_file = dir.path() + "/child";
  std::string session, task, child;
  {
    Daemon d({"--channels", "everybody"}, db, {"AGOR_FIXTURE_CHILD_PID=" + child_file});
    Api api(d);
    EventStream events(d);
    session = api.Session("command", {kFixtures + "slow_agent.sh"});
    task = PromptTask(api, events, session);
    PushedEvent ev;
    REQUIRE(events.WaitFor("messages created", {{"role", "assistant"}}, &ev));
    std::ifstream(child_file) >> child;
    REQUIRE_FALSE(child.empty());
    d.Stop(SIGKILL);
  }
  REQUIRE(ProcState(child) != 0);  // the agent died with the daemon; its child did not
  REQUIRE(ProcState(child) != 'Z');
  Daemon d({}, db);
  Api api(d);
  CHECK(WaitGone(child));
  Json stopped = api.Get("/tasks/" + task);
  CHECK(stopped["status"] == "stopped");
  CHECK(stopped["error"] == "the daemon restarted");
  CHECK(api.Get("/sessions/" + session)["status"] == "idle");
}

TEST_CASE("what a finished agent left running is killed by the next daemon", "[e2e][agents]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db", child;
  {
    Daemon d({"--channels", "everybody"}, db);
    Api api(d);
    EventStream events(d);
    std::string session = api.Session("command", {kHostile, "leave-child"});
    CHECK(WaitTaskEnd(events, PromptTask(api, events, session))["status"] == "completed");
    Json page = api.Get("/messages?session_id=" + session + "&role=assistant");
    REQUIRE(page["total"] == 1);
    child = page["data"][0]["content"];
    d.Stop(SIGKILL);
  }
  REQUIRE(ProcState(child) != 0);
  REQUIRE(ProcState(child) != 'Z');
  Daemon d({}, db);
  CHECK(WaitGone(child));
}

TEST_CASE("a stored sdk_session_id never becomes a flag of the agent", "[e2e][agents]") {
  test::TempDir dir;
  std::string argv_file = dir.path() + "/argv";
  Daemon d(
      {"--channels", "everybody"}, "",
      {"AGOR_CLAUDE_BIN=" + kFixtures + "fake_agent.sh",
       "AGOR_CODEX_BIN=" + kFixtures + "fake_agent.sh",
       "AGOR_FIXTURE=" + kFixtures + "claude_tool_use.jsonl", "AGOR_FIXTURE_ARGV=" + argv_file});
  Api api(d);
  EventStream events(d);
  for (const char* tool : {"claude-code", "codex"}) {
    INFO(tool);
    std::string session = api.Session(tool);
    api.Patch("/sessions/" + session, {{"sdk_session_id", "--dangerously-skip-permissions"}});
    Json failed = WaitTaskEnd(events, PromptTask(api, events, session));
    CHECK(failed["status"] == "failed");
    CHECK(Contains(Error(failed), std::string(tool) +
                                      ": the session's sdk_session_id "
                                      "'--dangerously-skip-permissions' is not a valid resume id"));
    CHECK_FALSE(std::ifstream(argv_file).good());  // the agent never ran
  }
  std::string session = api.Session("claude-code");
  const std::string id = "0b5a6c1e-2f3d-4e5a-9b8c-7d6e5f4a3b2c";
  api.Patch("/sessions/" + session, {{"sdk_session_id", id}});
  CHECK(WaitTaskEnd(events, PromptTask(api, events, session))["status"] == "completed");
  std::ifstream argv(argv_file);
  std::string all((std::istreambuf_iterator<char>(argv)), std::istreambuf_iterator<char>());
  CHECK(Contains(all, "\n--resume=" + id + "\n"));
}

}  // namespace
}  // namespace agor
