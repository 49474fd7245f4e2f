// End-to-end: prompts run real subprocesses (the fixtures in tests/fixtures/agents print
// recorded agent output) and their messages reach watchers while the agent still runs.
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::EventStream;
using test::PushedEvent;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";

using Api = test::RestApi;

Json Prompt(Api& api, const std::string& session, const std::string& text, int want = 201) {
  return api.Post("/sessions/" + session + "/prompt", {{"prompt", text}}, want);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void Touch(const std::string& path) {
  std::ofstream(path).put('\n');
}

// The task's final record, once it has ended.
Json WaitTaskEnd(EventStream& events, const std::string& task_id) {
  Json record;
  REQUIRE(events.WaitTaskEnd(task_id, &record));
  return record;
}

std::vector<Json> Messages(Api& api, const std::string& session) {
  Json page = api.Get("/messages?session_id=" + session + "&$sort[index]=1");
  return std::vector<Json>(page["data"].begin(), page["data"].end());
}

TEST_CASE("each message reaches watchers before the agent prints the next", "[e2e][prompt]") {
  test::TempDir gate;
  Daemon d({"--channels", "everybody"}, "",
           {"AGOR_FIXTURE=" + kFixtures + "three_lines.txt", "AGOR_FIXTURE_GATE=" + gate.path()});
  Api api(d);
  std::string session = api.Session("command", {kFixtures + "fake_agent.sh"});
  EventStream events(d);
  Json started = Prompt(api, session, "go");
  CHECK(started["status"] == "running");
  std::string task = started["task_id"];
  PushedEvent ev;
  REQUIRE(events.WaitFor("messages created", {{"role", "user"}, {"content", "go"}}, &ev));
  for (int line = 1; line <= 3; ++line) {
    Touch(gate.path() + "/" + std::to_string(line));
    REQUIRE(events.WaitFor("messages created", {{"role", "assistant"}, {"task_id", task}}, &ev));
    CHECK(ev.record["content"] == "line " + std::to_string(line));
    CHECK_FALSE(Exists(gate.path() + "/printed-" + std::to_string(line + 1)));
  }
  Json done = WaitTaskEnd(events, task);
  CHECK(done["status"] == "completed");
  CHECK(done["message_range"] == Json{{"start_index", 0}, {"end_index", 3}});
  CHECK(done["duration_ms"].is_number_integer());
  REQUIRE(events.WaitFor("sessions patched", {{"session_id", session}, {"status", "idle"}}, &ev));
}

TEST_CASE("a Claude Code run streams, stores and resumes", "[e2e][prompt]") {
  test::TempDir dir;
  std::string argv_file = dir.path() + "/argv";
  Daemon d({"--channels", "everybody"}, "",
           {"AGOR_CLAUDE_BIN=" + kFixtures + "fake_agent.sh",
            "AGOR_FIXTURE=" + kFixtures + "claude_tool_use.jsonl", "AGOR_FIXTURE_ARGV=" + argv_file,
            "AGOR_FIXTURE_STDIN=" + dir.path() + "/stdin"});
  Api api(d);
  std::string session = api.Session("claude-code");
  EventStream events(d);
  std::string task = Prompt(api, session, "fix the bug")["task_id"];
  Json done = WaitTaskEnd(events, task);
  CHECK(done["status"] == "completed");
  Json s = api.Get("/sessions/" + session);
  CHECK(s["status"] == "idle");
  CHECK(s["sdk_session_id"].is_string());
  // Streamed chunks come first, under the message_id the stored message then reuses.
  // Each says whether it is thinking (the recording's first block) or answer text.
  std::string streamed_id;
  std::vector<std::string> kinds;
  for (const auto& ev : events.seen()) {
    if (ev.name != "messages streaming") continue;
    kinds.push_back(ev.record.value("type", ""));
    if (streamed_id.empty()) {
      streamed_id = ev.record["message_id"];
      CHECK(ev.seq.empty());
    }
  }
  CHECK_FALSE(streamed_id.empty());
  CHECK(kinds == std::vector<std::string>{"thinking", "text", "text", "text", "text"});
  auto messages = Messages(api, session);
  bool reused = false, tool_use = false, tool_result = false;
  for (const auto& m : messages) {
    reused |= m["message_id"] == streamed_id;
    tool_use |= m["type"] == "tool_use";
    tool_result |= m["type"] == "tool_result";
  }
  CHECK(reused);
  CHECK(tool_use);
  CHECK(tool_result);
  CHECK(messages.front()["content"] == "fix the bug");
  std::ifstream in(dir.path() + "/stdin");
  std::string prompt((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(prompt.find("fix the bug") != std::string::npos);
  // The second prompt resumes the agent's own session.
  std::string second = Prompt(api, session, "and again")["task_id"];
  CHECK(WaitTaskEnd(events, second)["status"] == "completed");
  std::ifstream argv(argv_file);
  std::string all((std::istreambuf_iterator<char>(argv)), std::istreambuf_iterator<char>());
  CHECK(all.find("--resume") != std::string::npos);
  CHECK(all.find(s["sdk_session_id"].get<std::string>()) != std::string::npos);
}

TEST_CASE("codex and gemini recordings become messages", "[e2e][prompt]") {
  for (auto [tool, var, recording] : {std::tuple<const char*, const char*, const char*>{
                                          "codex", "AGOR_CODEX_BIN", "codex_exec.jsonl"},
                                      {"gemini", "AGOR_GEMINI_BIN", "gemini_stream.jsonl"}}) {
    INFO(tool);
    Daemon d({"--channels", "everybody"}, "",
             {std::string(var) + "=" + kFixtures + "fake_agent.sh",
              "AGOR_FIXTURE=" + kFixtures + recording});
    Api api(d);
    std::string session = api.Session(tool);
    EventStream events(d);
    std::string task = Prompt(api, session, "hello")["task_id"];
    CHECK(WaitTaskEnd(events, task)["status"] == "completed");
    CHECK(Messages(api, session).size() >= 3);
    CHECK(api.Get("/sessions/" + session)["sdk_session_id"].is_string());
  }
}

TEST_CASE("agent failures fail the task, never the daemon", "[e2e][prompt]") {
  Daemon d(
      {"--channels", "everybody"}, "",
      {"AGOR_CLAUDE_BIN=agor-no-such-claude", "AGOR_FIXTURE=" + kFixtures + "claude_error.jsonl",
       "AGOR_CODEX_BIN=" + kFixtures + "fake_agent.sh"});
  Api api(d);
  EventStream events(d);
  std::string missing = Prompt(api, api.Session("claude-code"), "x")["task_id"];
  Json failed = WaitTaskEnd(events, missing);
  CHECK(failed["status"] == "failed");
  CHECK(failed["error"] ==
        "claude-code: 'agor-no-such-claude' not found on PATH (set AGOR_CLAUDE_BIN)");
  std::string exit3 =
      Prompt(api, api.Session("command", {kFixtures + "failing_agent.sh"}), "x")["task_id"];
  Json nonzero = WaitTaskEnd(events, exit3);
  CHECK(nonzero["status"] == "failed");
  CHECK(nonzero["error"].get<std::string>().find("exited with status 3") != std::string::npos);
  std::string garbage = Prompt(api, api.Session("codex"), "x")["task_id"];  // prints Claude JSON
  CHECK(WaitTaskEnd(events, garbage)["status"] != "running");
  CHECK(api.Get("/health")["status"] == "ok");
}

// True once `pid` has exited (gone, or a zombie waiting for init), polling /proc.
bool WaitGone(const std::string& pid_file) {
  std::ifstream in(pid_file);
  std::string pid;
  in >> pid;
  for (int i = 0; i < 500 && !pid.empty(); ++i) {
    std::ifstream stat("/proc/" + pid + "/stat");
    std::string line;
    if (!std::getline(stat, line) || line.find(") Z ") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_CASE("stop ends the whole process group, and stopping an idle session is a conflict",
          "[e2e][prompt]") {
  test::TempDir dir;
  Daemon d({"--channels", "everybody"}, "", {"AGOR_FIXTURE_CHILD_PID=" + dir.path() + "/child"});
  Api api(d);
  EventStream events(d);
  std::string session = api.Session("command", {kFixtures + "slow_agent.sh"});
  std::string task = Prompt(api, session, "x")["task_id"];
  PushedEvent ev;
  REQUIRE(events.WaitFor("messages created", {{"role", "assistant"}}, &ev));
  Json stopping = api.Post("/sessions/" + session + "/stop", Json::object());
  CHECK(stopping["status"] == "stopping");
  REQUIRE(events.WaitFor("tasks patched", {{"task_id", task}, {"status", "stopping"}}, &ev));
  CHECK(WaitTaskEnd(events, task)["status"] == "stopped");
  CHECK(WaitGone(dir.path() + "/child"));  // the agent's own child died with it
  auto conflict = api.Post("/sessions/" + session + "/stop", Json::object(), 409);
  CHECK(conflict["name"] == "Conflict");
  api.Post("/sessions/" + session + "/prompt", Json::object(), 400);
  api.Post("/sessions/" + session + "/prompt", {{"prompt", "x"}, {"junk", 1}}, 400);
  api.Post("/sessions/00000000-0000-4000-8000-000000000000/prompt", {{"prompt", "x"}}, 404);
  auto r = api.http().Get(("/sessions/" + session + "/prompt").c_str());
  CHECK(r->status == 405);
}

TEST_CASE("an agent that ignores SIGTERM is killed after the grace period", "[e2e][prompt]") {
  Daemon d({"--channels", "everybody", "--stop-grace", "200"}, "", {"AGOR_SLOW_IGNORE_TERM=1"});
  Api api(d);
  EventStream events(d);
  std::string session = api.Session("command", {kFixtures + "slow_agent.sh"});
  std::string task = Prompt(api, session, "x")["task_id"];
  PushedEvent ev;
  REQUIRE(events.WaitFor("messages created", {{"role", "assistant"}}, &ev));
  api.Post("/sessions/" + session + "/stop", Json::object());
  CHECK(WaitTaskEnd(events, task)["status"] == "stopped");
}

TEST_CASE("prompts queue while a task runs, and removing a queued one cancels it",
          "[e2e][prompt]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = api.Session("command", {kFixtures + "slow_agent.sh"});
  std::string first = Prompt(api, session, "first")["task_id"];
  Json second = Prompt(api, session, "second");
  Json third = Prompt(api, session, "third");
  CHECK(second["status"] == "queued");
  CHECK(second["queue_position"] == 1);
  CHECK(third["queue_position"] == 2);
  Json queued = api.Get("/messages?session_id=" + session + "&status=queued");
  CHECK(queued["total"] == 2);
  // The running task's messages still get stored while queued prompts hold indices.
  PushedEvent out;
  for (int i = 0; i < 2; ++i)
    REQUIRE(events.WaitFor("messages created", {{"task_id", first}, {"role", "assistant"}}, &out));
  auto r = api.http().Delete(("/messages/" + third["message_id"].get<std::string>()).c_str());
  CHECK(r->status == 200);
  api.Post("/sessions/" + session + "/stop", Json::object());
  CHECK(WaitTaskEnd(events, first)["status"] == "stopped");
  PushedEvent ev;
  REQUIRE(events.WaitFor("tasks created", {{"session_id", session}}, &ev));
  CHECK(ev.record["prompt"] == "second");
  api.Post("/sessions/" + session + "/stop", Json::object());
  WaitTaskEnd(events, ev.record["task_id"]);
  Json tasks = api.Get("/tasks?session_id=" + session);
  CHECK(tasks["total"] == 2);  // "third" never ran
}

TEST_CASE("a restart stops the tasks it left running", "[e2e][prompt]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db";
  std::string session, task;
  {
    Daemon d({}, db);
    Api api(d);
    session = api.Session("command", {kFixtures + "slow_agent.sh"});
    task = Prompt(api, session, "x")["task_id"];
    d.Stop(SIGKILL);
  }
  Daemon d({}, db);
  Api api(d);
  CHECK(api.Get("/tasks/" + task)["status"] == "stopped");
  CHECK(api.Get("/sessions/" + session)["status"] == "idle");
}

TEST_CASE("twenty agents at once, and a flood, do not stall each other", "[e2e][prompt]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string flood = api.Session("command", {kFixtures + "flood_agent.sh"});
  std::string flood_task = Prompt(api, flood, "x")["task_id"];
  std::vector<std::pair<std::string, std::string>> runs;
  for (int i = 0; i < 20; ++i) {
    std::string s = api.Session("command", {kFixtures + "echo_agent.sh"});
    runs.emplace_back(s, Prompt(api, s, "hello " + std::to_string(i))["task_id"]);
  }
  for (auto& [s, t] : runs) {
    CHECK(WaitTaskEnd(events, t)["status"] == "completed");
    auto msgs = Messages(api, s);
    REQUIRE(msgs.size() == 2);
    CHECK(msgs[1]["content"].get<std::string>().rfind("echo: hello", 0) == 0);
  }
  CHECK(WaitTaskEnd(events, flood_task)["status"] == "completed");
  for (const auto& m : Messages(api, flood)) CHECK(m.dump().size() < 2 * 1024 * 1024);
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

TEST_CASE("prompt and stop are Feathers calls over the socket too", "[e2e][prompt]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  std::string session = api.Session("command", {kFixtures + "slow_agent.sh"});
  test::RawWebSocket ws;
  REQUIRE(ws.Connect(d.port(), "/socket.io/?EIO=4&transport=websocket") == 101);
  std::string frame;
  REQUIRE(ws.ReadText(&frame, 5000));
  ws.SendText(test::ConnectPacket(d.token()));
  REQUIRE(ws.ReadText(&frame, 5000));
  auto ack = [&](const std::string& call) {
    ws.SendText(call);
    do {
      REQUIRE(ws.ReadText(&frame, 5000));
    } while (frame.rfind("43", 0) != 0);
    return Json::parse(frame.substr(frame.find('[')));
  };
  Json started = ack("421[\"create\",\"sessions/" + session + "/prompt\",{\"prompt\":\"hi\"},{}]");
  CHECK(started[0].is_null());
  CHECK(started[1]["status"] == "running");
  Json stopped = ack("422[\"create\",\"sessions/" + session + "/stop\",{},{}]");
  CHECK(stopped[1]["status"] == "stopping");
  Json wrong = ack("423[\"find\",\"sessions/" + session + "/prompt\",{}]");
  CHECK(wrong[0]["name"] == "MethodNotAllowed");
}

}  // namespace
}  // namespace agor
