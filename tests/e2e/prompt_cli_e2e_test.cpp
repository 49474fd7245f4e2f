// End-to-end tests of `agor prompt` against the real `agor serve` (default `--channels boards`,
// so the command only sees its session's events because it subscribes). Agents are the
// fixtures in tests/fixtures/agents; the command runs to completion (stdout piped: JSON lines),
// as a child whose lines the test waits for, or on a pseudo-terminal for the streaming output.
// Every wait is on a line, an event or an exit, with a timeout; nothing sleeps and hopes.
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "tests/support/child_process.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/rest_api.h"
#include "tests/support/terminal.h"

namespace agor {
namespace {

using test::ChildProcess;
using test::Daemon;
using test::RunOnTerminal;
using test::RunResult;
using test::TempDir;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";
constexpr int kLineTimeoutMs = 15000;

int PortOf(const std::string& url) {
  return std::stoi(url.substr(url.rfind(':') + 1));
}

using Rest = test::RestApi;

std::string CommandSession(Rest& rest, const std::string& fixture) {
  return rest.Session("command", {kFixtures + fixture});
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<Json> JsonLines(const std::string& text) {
  std::vector<Json> records;
  for (const auto& line : Lines(text)) records.push_back(Json::parse(line));
  return records;
}

// Checks a failure's stderr: exactly one line, starting "agor: ".
void CheckOneErrorLine(const RunResult& r) {
  INFO(r.err);
  CHECK(Lines(r.err).size() == 1);
  CHECK(r.err.rfind("agor: ", 0) == 0);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

void Touch(const std::string& path) {
  std::ofstream(path).put('\n');
}

// A TCP port nothing listens on.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// `agor prompt --url <url> <args...>` as a child with piped stdout (JSON lines), presenting
// `token` (AGOR_TOKEN).
std::unique_ptr<ChildProcess> StartPrompt(const std::string& url, const std::string& token,
                                          const std::vector<std::string>& args) {
  std::vector<std::string> argv = {AGOR_BINARY, "prompt", "--url", url};
  argv.insert(argv.end(), args.begin(), args.end());
  return std::make_unique<ChildProcess>(
      argv, std::vector<std::string>{"NO_COLOR=1", "AGOR_TOKEN=" + token});
}

Json NextLine(ChildProcess& child) {
  std::string line;
  REQUIRE(child.ReadLine(&line, kLineTimeoutMs));
  return Json::parse(line);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_CASE("prompt prints the task's messages as JSON lines and exits 0", "[e2e][prompt-cli]") {
  Daemon d({}, "", {"AGOR_FIXTURE=" + kFixtures + "three_lines.txt"});
  Rest rest(d);
  std::string session = CommandSession(rest, "fake_agent.sh");
  for (bool force_json : {false, true}) {
    INFO("--json " << force_json);
    std::vector<std::string> args = {"prompt", session.substr(0, 8), "go"};
    if (force_json) args.insert(args.begin() + 1, "--json");
    RunResult r = d.Cli(args);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    auto messages = JsonLines(r.out);
    REQUIRE(messages.size() == 3);
    Json tasks = rest.Get("/tasks?session_id=" + session + "&$sort[created_at]=-1&$limit=1");
    std::string task = tasks["data"][0]["task_id"];
    CHECK(tasks["data"][0]["status"] == "completed");
    for (int i = 0; i < 3; ++i) {
      CHECK(messages[i]["task_id"] == task);
      CHECK(messages[i]["role"] == "assistant");
      CHECK(messages[i]["content"] == "line " + std::to_string(i + 1));
      if (i > 0) CHECK(messages[i]["index"] > messages[i - 1]["index"]);
    }
  }
}

TEST_CASE("prompt - reads the prompt from stdin", "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string session = CommandSession(rest, "echo_agent.sh");
  RunResult r = d.Cli({"prompt", session, "-"}, "hello\nworld\n");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto messages = JsonLines(r.out);
  REQUIRE(messages.size() == 2);
  CHECK(messages[0]["content"] == "echo: hello");
  CHECK(messages[1]["content"] == "echo: world");
}

TEST_CASE("prompt --board --agent creates the session first", "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string board = rest.Board();
  RunResult r = d.Cli({"prompt", "--board", board.substr(0, 8), "--agent", "command", "--command",
                       kFixtures + "echo_agent.sh", "hi there"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto messages = JsonLines(r.out);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["content"] == "echo: hi there");
  Json sessions = rest.Get("/sessions?board_id=" + board);
  REQUIRE(sessions["data"].size() == 1);
  CHECK(sessions["data"][0]["agentic_tool"] == "command");
  CHECK(sessions["data"][0]["agent_command"] == Json::array({kFixtures + "echo_agent.sh"}));
  CHECK(messages[0]["session_id"] == sessions["data"][0]["session_id"]);
}

TEST_CASE("prompt exits 1 with the task's error when the agent fails", "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string session = CommandSession(rest, "failing_agent.sh");
  RunResult r = d.Cli({"prompt", session, "x"});
  CHECK(r.exit_code == 1);
  CheckOneErrorLine(r);
  CHECK(r.err.find("exited with status 3") != std::string::npos);
  CHECK(r.err.find("hint: check your network") != std::string::npos);
  CHECK(r.out.empty());
}

TEST_CASE("prompt exits 1 when the daemon refuses", "[e2e][prompt-cli]") {
  Daemon d;
  RunResult r = d.Cli({"prompt", "0123456789abcdef", "x"});
  CHECK(r.exit_code == 1);
  CheckOneErrorLine(r);
}

TEST_CASE("prompt usage errors exit 2", "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string session = CommandSession(rest, "echo_agent.sh");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"prompt"},
                                             {"prompt", session},
                                             {"prompt", session, "a", "b"},
                                             {"prompt", "--agent", "command", session, "x"},
                                             {"prompt", "--board", "b", "x"},
                                             {"prompt", "--no-such-flag", session, "x"},
                                             {"prompt", "--url", "https://x", session, "x"}}) {
    INFO(args.size());
    RunResult r = d.Cli(args);
    CHECK(r.exit_code == 2);
    CheckOneErrorLine(r);
  }
  RunResult empty = d.Cli({"prompt", session, "-"}, "\n");
  CHECK(empty.exit_code == 2);
  CheckOneErrorLine(empty);
  // Not UTF-8 on stdin: refused before any request, so --board creates no session.
  std::string board = rest.Board();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"prompt", session, "-"}, {"prompt", "--board", board, "--agent", "command", "-"}}) {
    RunResult bad = d.Cli(args, "caf\xc3 \xff\xfe\n");
    CHECK(bad.exit_code == 2);
    CheckOneErrorLine(bad);
    CHECK(bad.err.find("not valid UTF-8") != std::string::npos);
  }
  CHECK(rest.Get("/sessions")["total"] == 1);
  CHECK(rest.Get("/messages?session_id=" + session)["total"] == 0);
  RunResult help = d.Cli({"prompt", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--detach") != std::string::npos);
}

TEST_CASE("prompt exits 3 when no daemon answers", "[e2e][prompt-cli]") {
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  RunResult r =
      test::RunProgram({AGOR_BINARY, "prompt", "--url", url, "0123456789abcdef", "x"},
                       {"AGOR_TOKEN=agor_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
  CHECK(r.exit_code == 3);
  CheckOneErrorLine(r);
  CHECK(r.err.find("cannot reach agor") != std::string::npos);
}

TEST_CASE("prompt --detach prints the task id and returns", "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string session = CommandSession(rest, "slow_agent.sh");
  RunResult first = d.Cli({"prompt", "--detach", session, "x"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  auto lines = JsonLines(first.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["status"] == "running");
  CHECK(rest.Get("/tasks/" + lines[0]["task_id"].get<std::string>())["status"] == "running");
  RunResult second = d.Cli({"prompt", "--detach", session, "y"});
  REQUIRE(second.exit_code == 0);
  Json queued = Json::parse(second.out);
  CHECK(queued["status"] == "queued");
  CHECK(queued["task_id"].is_null());
  CHECK(queued["message_id"].is_string());
  rest.Delete("/messages/" + queued["message_id"].get<std::string>());
  rest.Post("/sessions/" + session + "/stop", Json::object());
}

TEST_CASE("prompt prints each message before the agent prints the next", "[e2e][prompt-cli]") {
  TempDir gate;
  Daemon d({}, "",
           {"AGOR_FIXTURE=" + kFixtures + "three_lines.txt", "AGOR_FIXTURE_GATE=" + gate.path()});
  Rest rest(d);
  std::string session = CommandSession(rest, "fake_agent.sh");
  auto prompt = StartPrompt(d.url(), d.token(), {session, "go"});
  for (int line = 1; line <= 3; ++line) {
    Touch(gate.path() + "/" + std::to_string(line));
    Json message = NextLine(*prompt);
    CHECK(message["content"] == "line " + std::to_string(line));
    CHECK_FALSE(Exists(gate.path() + "/printed-" + std::to_string(line + 1)));
  }
  CHECK(prompt->Wait(kLineTimeoutMs) == 0);
}

TEST_CASE("prompt follows a queued prompt once its task runs", "[e2e][prompt-cli]") {
  TempDir gate;
  Daemon d({}, "",
           {"AGOR_FIXTURE=" + kFixtures + "three_lines.txt", "AGOR_FIXTURE_GATE=" + gate.path()});
  Rest rest(d);
  std::string session = CommandSession(rest, "fake_agent.sh");
  Json board = rest.Get("/sessions/" + session)["board_id"];
  test::EventStream events(d, "&board_id=" + board.get<std::string>());
  std::string first =
      rest.Post("/sessions/" + session + "/prompt", {{"prompt", "first"}})["task_id"];
  auto prompt = StartPrompt(d.url(), d.token(), {session, "second"});
  test::PushedEvent queued;
  REQUIRE(events.WaitFor("messages created", {{"status", "queued"}, {"content", "second"}}, &queued,
                         kLineTimeoutMs));
  for (int line = 1; line <= 3; ++line) Touch(gate.path() + "/" + std::to_string(line));
  std::string task;
  for (int line = 1; line <= 3; ++line) {
    Json message = NextLine(*prompt);
    CHECK(message["content"] == "line " + std::to_string(line));
    CHECK(message["task_id"] != first);
    task = message["task_id"];
  }
  CHECK(prompt->Wait(kLineTimeoutMs) == 0);
  Json started = rest.Get("/messages/" + queued.record["message_id"].get<std::string>());
  CHECK(started["task_id"] == task);
  CHECK(rest.Get("/tasks/" + first)["status"] == "completed");
}

TEST_CASE("Ctrl-C stops the task and exits 130", "[e2e][prompt-cli]") {
  Daemon d({}, "", {"AGOR_CLAUDE_BIN=" + kFixtures + "slow_agent.sh"});
  Rest rest(d);
  std::string session = rest.Session("claude-code");
  auto prompt = StartPrompt(d.url(), d.token(), {session, "work"});
  Json message = NextLine(*prompt);
  CHECK(message["content"][0]["text"] == "Working on it...");
  prompt->Signal(SIGINT);
  CHECK(prompt->Wait(kLineTimeoutMs) == 130);
  Json task = rest.Get("/tasks/" + message["task_id"].get<std::string>());
  CHECK(task["status"] == "stopped");
  CHECK(rest.Get("/sessions/" + session)["status"] == "idle");
}

TEST_CASE("Ctrl-C on a queued prompt removes it and exits 130", "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string session = CommandSession(rest, "slow_agent.sh");
  Json board = rest.Get("/sessions/" + session)["board_id"];
  test::EventStream events(d, "&board_id=" + board.get<std::string>());
  rest.Post("/sessions/" + session + "/prompt", {{"prompt", "first"}});
  auto prompt = StartPrompt(d.url(), d.token(), {session, "second"});
  test::PushedEvent queued;
  REQUIRE(events.WaitFor("messages created", {{"status", "queued"}}, &queued, kLineTimeoutMs));
  prompt->Signal(SIGINT);
  CHECK(prompt->Wait(kLineTimeoutMs) == 130);
  test::PushedEvent removed;
  CHECK(events.WaitFor("messages removed", {{"message_id", queued.record["message_id"]}}, &removed,
                       kLineTimeoutMs));
  rest.Post("/sessions/" + session + "/stop", Json::object());
}

TEST_CASE("prompt streams text on a terminal and shows tools as short lines", "[e2e][prompt-cli]") {
  Daemon d({}, "",
           {"AGOR_CLAUDE_BIN=" + kFixtures + "fake_agent.sh",
            "AGOR_FIXTURE=" + kFixtures + "claude_tool_use.jsonl"});
  Rest rest(d);
  std::string session = rest.Session("claude-code");
  RunResult plain = RunOnTerminal({"prompt", session, "list"}, d.ClientEnv({"NO_COLOR=1"}));
  INFO(plain.out);
  CHECK(plain.exit_code == 0);
  // The streamed thinking stays apart from the answer streamed after it.
  CHECK(Count(plain.out, "thinking: The user wants to know what is in the project directory.\n") ==
        1);
  CHECK(Count(plain.out, "I'll list the files in the project directory.\n") == 1);
  CHECK(Count(plain.out, "The project has a README.md and a src directory.\n") == 1);
  CHECK(Count(plain.out, "\xe2\x9a\x99 Bash ") == 1);
  CHECK(Count(plain.out, "\xe2\x86\x90 total 16") == 1);
  CHECK(plain.out.find("\x1b[") == std::string::npos);
  CHECK(plain.out.find("\n{\"") == std::string::npos);  // no JSON lines

  RunResult colored = RunOnTerminal({"prompt", session, "again"}, d.ClientEnv());
  CHECK(colored.exit_code == 0);
  CHECK(colored.out.find("\x1b[2m") != std::string::npos);
  CHECK(Count(colored.out, "what is in the project directory.\x1b[0m\n") == 1);

  RunResult json = RunOnTerminal({"prompt", "--json", session, "as json"}, d.ClientEnv());
  CHECK(json.exit_code == 0);
  auto messages = JsonLines(json.out);
  CHECK(messages.size() >= 4);
  for (const auto& m : messages) CHECK(m["session_id"] == session);
}

// `agor prompt --url <url> <args...> | head -n <n>` in bash, exiting with prompt's status.
std::unique_ptr<ChildProcess> PromptIntoHead(const Daemon& d, const std::vector<std::string>& args,
                                             int n) {
  std::string command = "'" + std::string(AGOR_BINARY) + "' prompt --url " + d.url();
  for (const auto& a : args) command += " '" + a + "'";
  command += " | head -n " + std::to_string(n) + "; exit ${PIPESTATUS[0]}";
  return std::make_unique<ChildProcess>(std::vector<std::string>{"/bin/bash", "-c", command},
                                        d.ClientEnv());
}

TEST_CASE("agor prompt | head ends when head does, exit 0, the task going on",
          "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string session = CommandSession(rest, "slow_agent.sh");  // two lines, then waits
  SECTION("head exits while the agent prints nothing more") {
    auto shell = PromptIntoHead(d, {session, "work"}, 2);
    std::string line;
    for (int i = 0; i < 2; ++i) REQUIRE(shell->ReadLine(&line, kLineTimeoutMs));
    CHECK(shell->Wait(kLineTimeoutMs) == 0);
    CHECK(shell->ErrSoFar().empty());
  }
  SECTION("head exits before the agent's next line") {
    auto shell = PromptIntoHead(d, {session, "work"}, 1);
    std::string line;
    REQUIRE(shell->ReadLine(&line, kLineTimeoutMs));
    CHECK_FALSE(shell->ReadLine(&line, kLineTimeoutMs));  // stdout ends: head is gone
    CHECK(shell->Wait(kLineTimeoutMs) == 0);
    CHECK(shell->ErrSoFar().empty());
  }
  Json task = rest.Get("/tasks?session_id=" + session)["data"][0];
  CHECK(task["status"] == "running");
  rest.Post("/sessions/" + session + "/stop", Json::object());
}

TEST_CASE("prompt --attach prints what the task said so far, then the rest", "[e2e][prompt-cli]") {
  TempDir gate;
  Daemon d({}, "",
           {"AGOR_FIXTURE=" + kFixtures + "three_lines.txt", "AGOR_FIXTURE_GATE=" + gate.path()});
  Rest rest(d);
  std::string session = CommandSession(rest, "fake_agent.sh");
  Json board = rest.Get("/sessions/" + session)["board_id"];
  test::EventStream events(d, "&board_id=" + board.get<std::string>());
  RunResult detached = d.Cli({"prompt", "--detach", session, "go"});
  REQUIRE(detached.exit_code == 0);
  std::string task = Json::parse(detached.out)["task_id"];
  Touch(gate.path() + "/1");
  test::PushedEvent first;
  REQUIRE(events.WaitFor("messages created", {{"content", "line 1"}}, &first, kLineTimeoutMs));
  auto attached = StartPrompt(d.url(), d.token(), {"--attach", task.substr(0, 8)});
  CHECK(NextLine(*attached)["content"] == "line 1");  // from before it attached
  Touch(gate.path() + "/2");
  Touch(gate.path() + "/3");
  CHECK(NextLine(*attached)["content"] == "line 2");
  CHECK(NextLine(*attached)["content"] == "line 3");
  CHECK(attached->Wait(kLineTimeoutMs) == 0);
  std::string line;
  CHECK_FALSE(attached->ReadLine(&line, 0));  // each message once

  RunResult again = d.Cli({"prompt", "--attach", task});  // an ended task: all, then its end
  CHECK(again.exit_code == 0);
  CHECK(JsonLines(again.out).size() == 3);
}

TEST_CASE("prompt --attach: exit codes as for a prompt, Ctrl-C leaves the task running",
          "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string failing = CommandSession(rest, "failing_agent.sh");
  Json board = rest.Get("/sessions/" + failing)["board_id"];
  test::EventStream events(d, "&board_id=" + board.get<std::string>());
  std::string failed = rest.Post("/sessions/" + failing + "/prompt", {{"prompt", "x"}})["task_id"];
  Json ended;
  REQUIRE(events.WaitTaskEnd(failed, &ended));
  RunResult r = d.Cli({"prompt", "--attach", failed});
  CHECK(r.exit_code == 1);
  CheckOneErrorLine(r);
  CHECK(r.err.find("exited with status 3") != std::string::npos);

  CHECK(d.Cli({"prompt", "--attach", "0123456789abcdef"}).exit_code == 1);  // no such task
  CHECK(d.Cli({"prompt", "--attach", failed, "--detach"}).exit_code == 2);
  CHECK(d.Cli({"prompt", "--attach", failed, "text"}).exit_code == 2);

  std::string slow = CommandSession(rest, "slow_agent.sh");
  std::string running = rest.Post("/sessions/" + slow + "/prompt", {{"prompt", "x"}})["task_id"];
  auto attached = StartPrompt(d.url(), d.token(), {"--attach", running});
  NextLine(*attached);
  attached->Signal(SIGINT);
  CHECK(attached->Wait(kLineTimeoutMs) == 130);
  CHECK(rest.Get("/tasks/" + running)["status"] == "running");  // not this command's to stop
  rest.Post("/sessions/" + slow + "/stop", Json::object());
}

// Runs `agor prompt <session> <text>` on a terminal behind a running task: its first line
// (the queue position), then Ctrl-C, which removes the queued prompt again.
std::string QueuedOnTerminal(const Daemon& d, const std::string& session, const std::string& text) {
  test::TerminalProcess queued({"prompt", session, text}, d.ClientEnv({"NO_COLOR=1"}));
  std::string line;
  REQUIRE(queued.ReadLine(&line, kLineTimeoutMs));
  queued.Signal(SIGINT);
  CHECK(queued.Wait(kLineTimeoutMs) == 130);
  return line;
}

TEST_CASE("prompt on a terminal: new session, queue position, start, end and duration",
          "[e2e][prompt-cli]") {
  Daemon d;
  Rest rest(d);
  std::string board = rest.Board();
  RunResult created = RunOnTerminal({"prompt", "--board", board, "--agent", "command", "--command",
                                     kFixtures + "echo_agent.sh", "hi \x1b[31mthere"},
                                    d.ClientEnv({"NO_COLOR=1"}));
  INFO(created.out);
  CHECK(created.exit_code == 0);
  std::string session = rest.Get("/sessions?board_id=" + board)["data"][0]["session_id"];
  CHECK(created.out.find("session " + session + " created\n") != std::string::npos);
  CHECK(created.out.find(" started\n") != std::string::npos);
  CHECK(created.out.find("echo: hi \\x1b[31mthere\n") != std::string::npos);  // escaped
  CHECK(created.out.find("\xe2\x80\x94 done in ") != std::string::npos);
  CHECK(created.out.find('\x1b') == std::string::npos);

  std::string slow = CommandSession(rest, "slow_agent.sh");
  rest.Post("/sessions/" + slow + "/prompt", {{"prompt", "first"}});
  Json second = rest.Post("/sessions/" + slow + "/prompt", {{"prompt", "second"}});  // queued
  Json second_message = rest.Get("/messages/" + second["message_id"].get<std::string>());
  CHECK(second_message["index"].is_null());  // a queued prompt has no place in the chat yet
  CHECK(QueuedOnTerminal(d, slow, "third") == "queued (position 2)");
  // The server numbers a prompt after the last one queued, so removing the first in line
  // leaves a gap: the next prompt gets the server's 3 but waits second in line.
  Json third = rest.Post("/sessions/" + slow + "/prompt", {{"prompt", "third"}});
  CHECK(third["queue_position"] == 2);
  rest.Delete("/messages/" + second["message_id"].get<std::string>());
  CHECK(QueuedOnTerminal(d, slow, "fourth") == "queued (position 2)");
  RunResult detached =
      RunOnTerminal({"prompt", "--detach", slow, "fifth"}, d.ClientEnv({"NO_COLOR=1"}));
  CHECK(detached.exit_code == 0);
  CHECK(detached.out.find("(position 2)") != std::string::npos);
  Json waiting_page = rest.Get("/messages?status=queued&session_id=" + slow);  // outlives the loop
  for (const Json& waiting : waiting_page["data"]) {
    rest.Delete("/messages/" + waiting["message_id"].get<std::string>());
  }
  rest.Post("/sessions/" + slow + "/stop", Json::object());
}

TEST_CASE("prompt on a terminal shows thinking and tools apart from the answer",
          "[e2e][prompt-cli]") {
  Daemon d({}, "",
           {"AGOR_CODEX_BIN=" + kFixtures + "fake_agent.sh",
            "AGOR_FIXTURE=" + kFixtures + "codex_exec.jsonl"});
  Rest rest(d);
  std::string session = rest.Session("codex");
  RunResult plain = RunOnTerminal({"prompt", session, "go"}, d.ClientEnv({"NO_COLOR=1"}));
  INFO(plain.out);
  CHECK(plain.exit_code == 0);
  CHECK(plain.out.find("\nthinking: **Listing the project files**\n") != std::string::npos);
  CHECK(plain.out.find("\nI added a usage section to README.md.\n") != std::string::npos);
  RunResult colored = RunOnTerminal({"prompt", session, "again"}, d.ClientEnv());
  INFO(colored.out);
  CHECK(colored.out.find("\x1b[2mthinking: **Listing the project files**\x1b[0m\n") !=
        std::string::npos);
  CHECK(colored.out.find("\nI added a usage section to README.md.\n") != std::string::npos);
}

// True once process `pid` has exited (gone, or a zombie nobody reaps), polling /proc.
bool WaitGone(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line) || line.find(") Z ") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Kills the slow agent's whole process group (the agent and its `sleep`, whose pid is in
// `child_pid_file`) and waits until both are gone: they would keep the daemon's port open.
void KillAgent(const std::string& child_pid_file) {
  std::ifstream in(child_pid_file);
  pid_t child = 0;
  REQUIRE(in >> child);
  pid_t group = getpgid(child);
  REQUIRE(group > 0);
  kill(-group, SIGKILL);
  REQUIRE(WaitGone(child));
  REQUIRE(WaitGone(group));
}

// A restarted daemon either replays what the command missed (a recovered connection) or, with
// its event log pruned to one event, makes it subscribe again and read the task over REST.
TEST_CASE("prompt survives a daemon restart and reports the task stopped", "[e2e][prompt-cli]") {
  for (const std::vector<std::string>& restart_args :
       {std::vector<std::string>{}, std::vector<std::string>{"--event-retention-count", "1"}}) {
    INFO("restart args: " << restart_args.size());
    TempDir dir;
    std::string db = dir.path() + "/agor.db";
    std::string child_pid_file = dir.path() + "/child.pid";
    auto daemon = std::make_unique<test::ServeProcess>(0, db);
    std::string url = daemon->url();
    Rest rest(url, daemon->token());
    std::string session = rest.Session(
        "command",
        {"/usr/bin/env", "AGOR_FIXTURE_CHILD_PID=" + child_pid_file, kFixtures + "slow_agent.sh"});
    auto prompt = StartPrompt(url, daemon->token(), {session, "work"});
    Json first = NextLine(*prompt);  // the agent prints two lines, then waits for ever
    Json second = NextLine(*prompt);
    daemon->process().Signal(SIGKILL);
    daemon->process().Wait(kLineTimeoutMs);
    KillAgent(child_pid_file);
    daemon = std::make_unique<test::ServeProcess>(PortOf(url), db, restart_args);
    CHECK(prompt->Wait(30000) == 1);
    std::string err = prompt->ErrSoFar();
    CHECK(err == "agor: the task was stopped: the daemon restarted\n");
    std::string line;
    CHECK_FALSE(prompt->ReadLine(&line, 0));  // nothing printed twice
    CHECK(first["message_id"] != second["message_id"]);
    CHECK(rest.Get("/tasks/" + first["task_id"].get<std::string>())["status"] == "stopped");
  }
}

}  // namespace
}  // namespace agor
