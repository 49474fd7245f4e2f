// End-to-end tests of the CLI commands that cover the model (issue 10) against a real
// `agor serve`: message list (paged, --follow), task list/show, session update/stop,
// repo show/update, the ls/add aliases, slugs and id prefixes, suggestions, help. stdout is a
// pipe, so the commands print JSON lines; every failure must be exactly one stderr line.
// Waits are on lines, events and exits with timeouts, never on sleeps.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "base/status.h"
#include "cmd/command.h"
#include "tests/support/child_process.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/json_lines.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::ChildProcess;
using test::Daemon;
using test::RunResult;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";
constexpr int kLineTimeoutMs = 15000;

Json Record(const RunResult& r) {
  std::vector<Json> lines = QuietJsonLines(r);
  REQUIRE(lines.size() == 1);
  return lines[0];
}

// Checks a failure: exit code, nothing on stdout, and stderr exactly `line` (one line).
void CheckFails(const RunResult& r, int exit_code, const std::string& line) {
  INFO(r.err);
  CHECK(r.exit_code == exit_code);
  CHECK(r.out.empty());
  CHECK(r.err == line);
}

std::string Short(const Json& record, const char* id_field) {
  return record[id_field].get<std::string>().substr(0, 8);
}

std::string Id(const Json& record, const char* id_field) {
  return record[id_field].get<std::string>();
}

// A `command` session running the echo agent, on a new board.
Json EchoSession(const Daemon& daemon) {
  Json board = Record(daemon.Cli({"board", "create", "b"}));
  return Record(daemon.Cli({"session", "create", "--board", Id(board, "board_id"), "--agent",
                            "command", "--command", kFixtures + "echo_agent.sh"}));
}

// `agor <args...>` against `daemon` as a child whose stdout lines the test reads.
std::unique_ptr<ChildProcess> StartCli(const Daemon& daemon, std::vector<std::string> args) {
  args.insert(args.begin(), AGOR_BINARY);
  return std::make_unique<ChildProcess>(args, daemon.ClientEnv());
}

Json NextLine(ChildProcess& child) {
  std::string line;
  REQUIRE(child.ReadLine(&line, kLineTimeoutMs));
  return Json::parse(line);
}

}  // namespace

TEST_CASE("agor message list prints every message in index order, past one page",
          "[cli][e2e][message]") {
  Daemon daemon;
  test::RestApi rest(daemon);
  std::string session = rest.Session("claude-code");
  // Stored out of order, more than a page (1000): the listing must sort and page by index.
  std::vector<int> indexes(1003);
  std::iota(indexes.begin(), indexes.end(), 0);
  std::shuffle(indexes.begin(), indexes.end(), std::mt19937(10));
  for (int index : indexes) {
    rest.Post("/messages", {{"session_id", session},
                            {"index", index},
                            {"role", index % 2 ? "assistant" : "user"},
                            {"content", "m" + std::to_string(index)}});
  }
  std::vector<Json> rows = QuietJsonLines(daemon.Cli({"message", "list", session.substr(0, 8)}));
  REQUIRE(rows.size() == indexes.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO(i);
    CHECK(rows[i]["index"] == i);
    CHECK(rows[i]["content"] == "m" + std::to_string(i));
  }
  CHECK(QuietJsonLines(daemon.Cli({"message", "ls", session})).size() == rows.size());  // the alias
}

TEST_CASE("agor message list shows only its session and refuses bad sessions",
          "[cli][e2e][message]") {
  Daemon daemon;
  Json session = EchoSession(daemon);
  Json other = EchoSession(daemon);
  test::RestApi rest(daemon);
  rest.Post("/messages", {{"session_id", Id(other, "session_id")}, {"role", "user"}, {"index", 0}});
  CHECK(QuietJsonLines(daemon.Cli({"message", "list", Id(session, "session_id")})).empty());
  CHECK(QuietJsonLines(daemon.Cli({"message", "list", Id(other, "session_id")})).size() == 1);
  CheckFails(daemon.Cli({"message", "list", "ab12"}), 1,
             "agor: id prefix 'ab12' is too short: give at least 8 hex digits\n");
  CheckFails(daemon.Cli({"message", "list", "deadbeef"}), 1,
             "agor: no record found for id 'deadbeef'\n");
  CheckFails(daemon.Cli({"message", "list"}), 2,
             "agor: session is required (see 'agor message list --help')\n");
  CheckFails(daemon.Cli({"message"}), 2,
             "agor: a subcommand is required: list (see 'agor message --help')\n");
  CheckFails(daemon.Cli({"message", "lst", "x"}), 2,
             "agor: unknown subcommand 'lst': did you mean 'list'? (see 'agor message --help')\n");
}

TEST_CASE("agor message list --follow prints new messages until Ctrl-C, then exits 130",
          "[cli][e2e][message]") {
  Daemon daemon;
  Json session = EchoSession(daemon);
  std::string id = Id(session, "session_id");
  QuietJsonLines(daemon.Cli({"prompt", id, "first"}));  // user prompt + the echo: indexes 0 and 1
  auto follow = StartCli(daemon, {"message", "list", id.substr(0, 8), "--follow"});
  CHECK(NextLine(*follow)["index"] == 0);
  Json echo = NextLine(*follow);
  CHECK(echo["index"] == 1);
  CHECK(echo["content"] == "echo: first");

  QuietJsonLines(daemon.Cli({"prompt", id, "second"}));
  Json prompt = NextLine(*follow);
  CHECK(prompt["index"] == 2);
  CHECK(prompt["role"] == "user");
  CHECK(NextLine(*follow)["content"] == "echo: second");

  follow->Signal(SIGINT);
  CHECK(follow->Wait(kLineTimeoutMs) == 130);
  std::string rest;
  CHECK_FALSE(follow->ReadLine(&rest, 0));  // nothing printed twice or after
  CHECK(follow->ErrSoFar().empty());
}

// The daemon is killed under the follower; another daemon on another port stores messages in
// the same database (so they exist before the follower can reconnect), dies too, and a third
// one comes back on the follower's port: the follower prints what it missed, once, in order.
TEST_CASE("agor message list --follow resumes after the daemon is killed and restarted",
          "[cli][e2e][message]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db";
  auto first = std::make_unique<test::ServeProcess>(0, db);
  std::string url = first->url();
  const std::string token = first->token();  // the same admin on every daemon of this database
  std::string session = test::RestApi(url, token).Session("claude-code");
  auto post = [&session, &token](const std::string& at, int index) {
    test::RestApi(at, token).Post("/messages", {{"session_id", session},
                                                {"index", index},
                                                {"role", "user"},
                                                {"content", "m" + std::to_string(index)}});
  };
  post(url, 0);
  auto follow = std::make_unique<ChildProcess>(
      std::vector<std::string>{AGOR_BINARY, "message", "list", session, "--follow", "--url", url},
      std::vector<std::string>{"AGOR_TOKEN=" + token});
  CHECK(NextLine(*follow)["index"] == 0);
  post(url, 1);
  CHECK(NextLine(*follow)["index"] == 1);

  first->process().Signal(SIGKILL);
  REQUIRE(first->process().Wait(kLineTimeoutMs) == 128 + SIGKILL);
  first.reset();
  {
    test::ServeProcess elsewhere(0, db);
    for (int index = 2; index < 5; ++index) post(elsewhere.url(), index);
  }
  test::ServeProcess again(std::stoi(url.substr(url.rfind(':') + 1)), db);
  for (int index = 2; index < 5; ++index) CHECK(NextLine(*follow)["index"] == index);
  post(again.url(), 5);
  CHECK(NextLine(*follow)["index"] == 5);
  follow->Signal(SIGINT);
  CHECK(follow->Wait(kLineTimeoutMs) == 130);
  std::string extra;
  CHECK_FALSE(follow->ReadLine(&extra, 0));
}

TEST_CASE("agor message list --follow ends when its reader goes away", "[cli][e2e][message]") {
  Daemon daemon;
  Json session = EchoSession(daemon);
  std::string id = Id(session, "session_id");
  QuietJsonLines(daemon.Cli({"prompt", id, "one"}));
  // `head -n 1` exits after the first line; the follower must notice and end with exit 0.
  RunResult r = test::RunProgram(
      {"/bin/sh", "-c", "\"$0\" message list \"$1\" --follow | head -n 1", AGOR_BINARY, id},
      daemon.ClientEnv());
  INFO(r.err);
  CHECK(r.exit_code == 0);
  REQUIRE(r.out.find('\n') != std::string::npos);
  CHECK(Json::parse(r.out.substr(0, r.out.find('\n')))["index"] == 0);
}

TEST_CASE("agor message list --follow ends with exit 1 when the session is removed",
          "[cli][e2e][message]") {
  Daemon daemon;
  Json session = EchoSession(daemon);
  std::string id = Id(session, "session_id");
  QuietJsonLines(daemon.Cli({"prompt", id, "one"}));
  auto follow = StartCli(daemon, {"message", "list", id, "--follow"});
  NextLine(*follow);
  NextLine(*follow);  // caught up: subscribed before it read what is stored
  QuietJsonLines(daemon.Cli({"session", "rm", id}));
  CHECK(follow->Wait(kLineTimeoutMs) == 1);
  std::string line;
  REQUIRE(follow->ReadErrLine(&line, kLineTimeoutMs));
  CHECK(line == "agor: session " + id + " was removed");
}

TEST_CASE("agor task list filters by session and status, task show takes a prefix",
          "[cli][e2e][task]") {
  Daemon daemon;
  Json session = EchoSession(daemon);
  Json other = EchoSession(daemon);
  std::string id = Id(session, "session_id");
  QuietJsonLines(daemon.Cli({"prompt", id, "one"}));
  QuietJsonLines(daemon.Cli({"prompt", id, "two"}));
  QuietJsonLines(daemon.Cli({"prompt", Id(other, "session_id"), "three"}));

  CHECK(QuietJsonLines(daemon.Cli({"task", "list"})).size() == 3);
  std::vector<Json> mine = QuietJsonLines(daemon.Cli({"task", "ls", "--session", id.substr(0, 8)}));
  REQUIRE(mine.size() == 2);
  for (const Json& task : mine) {
    CHECK(task["session_id"] == id);
    CHECK(task["status"] == "completed");
  }
  CHECK(QuietJsonLines(daemon.Cli({"task", "list", "--status", "running"})).empty());
  CHECK(QuietJsonLines(daemon.Cli({"task", "list", "--status", "failed", "--status", "completed"}))
            .size() == 3);
  CHECK(Record(daemon.Cli({"task", "show", Short(mine[0], "task_id")})) == mine[0]);

  CheckFails(daemon.Cli({"task", "list", "--status", "done"}), 2,
             "agor: --status: 'done' is not one of created, running, stopping, completed, "
             "failed, stopped (see 'agor task list --help')\n");
  CheckFails(daemon.Cli({"task", "list", "--session", "ab12"}), 1,
             "agor: --session: id prefix 'ab12' is too short: give at least 8 hex digits\n");
  CheckFails(daemon.Cli({"task", "show", "123"}), 1,
             "agor: id prefix '123' is too short: give at least 8 hex digits\n");
  CheckFails(daemon.Cli({"task", "create"}), 2,
             "agor: unknown subcommand 'create' (see 'agor task --help')\n");
}

TEST_CASE("agor session update changes fields, with slugs for --board and --repo",
          "[cli][e2e][session]") {
  Daemon daemon;
  Json board = Record(daemon.Cli({"board", "create", "b"}));
  Json target = Record(daemon.Cli({"board", "create", "t", "--slug", "target"}));
  Json repo = Record(daemon.Cli({"repo", "create", "agor-repo", "--path", "/tmp"}));
  Json session = Record(daemon.Cli({"session", "create", "--board", Short(board, "board_id")}));
  Json updated =
      Record(daemon.Cli({"session", "update", Short(session, "session_id"), "--title", "new",
                         "--repo", "agor-repo", "--board", "target", "--agent", "codex"}));
  CHECK(updated["session_id"] == session["session_id"]);
  CHECK(updated["title"] == "new");
  CHECK(updated["repo_id"] == repo["repo_id"]);
  CHECK(updated["board_id"] == target["board_id"]);
  CHECK(updated["agentic_tool"] == "codex");
  CHECK(Record(daemon.Cli({"session", "show", Id(session, "session_id")})) == updated);
  CheckFails(daemon.Cli({"session", "update", Short(session, "session_id"), "--repo", "nope"}), 1,
             "agor: --repo: no repo has the id or slug 'nope'\n");
}

TEST_CASE("agor session stop stops the running task, and says when nothing runs",
          "[cli][e2e][session]") {
  Daemon daemon;
  Json board = Record(daemon.Cli({"board", "create", "b"}));
  Json session =
      Record(daemon.Cli({"session", "create", "--board", Id(board, "board_id"), "--agent",
                         "command", "--command", kFixtures + "slow_agent.sh"}));
  std::string id = Id(session, "session_id");
  CheckFails(daemon.Cli({"session", "stop", id.substr(0, 8)}), 1,
             "agor: session " + id + " has no running task to stop\n");

  test::EventStream events(daemon, "&board_id=" + Id(board, "board_id"));
  Json started = Record(daemon.Cli({"prompt", id, "work", "--detach"}));
  std::string task = started["task_id"];
  Json stopping = Record(daemon.Cli({"session", "stop", id.substr(0, 8)}));
  CHECK(stopping["task_id"] == task);
  CHECK(stopping["status"] == "stopping");
  Json ended;
  REQUIRE(events.WaitTaskEnd(task, &ended));
  CHECK(ended["status"] == "stopped");
  CHECK(Record(daemon.Cli({"task", "show", task}))["status"] == "stopped");
}

TEST_CASE("agor repo create|add, show, update by slug or prefix", "[cli][e2e][repo]") {
  Daemon daemon;
  Json created = Record(daemon.Cli({"repo", "create", "one", "--path", "/tmp"}));
  Json added = Record(daemon.Cli({"repo", "add", "two"}));  // the old verb, kept
  CHECK(Record(daemon.Cli({"repo", "show", "one"})) == created);
  CHECK(Record(daemon.Cli({"repo", "show", Short(added, "repo_id")})) == added);
  Json updated =
      Record(daemon.Cli({"repo", "update", "two", "--name", "Two", "--branch", "trunk"}));
  CHECK(updated["repo_id"] == added["repo_id"]);
  CHECK(updated["name"] == "Two");
  CHECK(updated["default_branch"] == "trunk");
  CHECK(QuietJsonLines(daemon.Cli({"repo", "ls"})).size() == 2);
  CHECK(Record(daemon.Cli({"repo", "rm", "one"})) == created);
  CHECK(QuietJsonLines(daemon.Cli({"repo", "list"})).size() == 1);
}

TEST_CASE("agor board: slugs work wherever an id does, ls and add are aliases", "[cli][e2e][ids]") {
  Daemon daemon;
  Json board = Record(daemon.Cli({"board", "add", "Sprint", "--slug", "sprint-12"}));
  Json cafe = Record(daemon.Cli({"board", "create", "Cafe", "--slug", "cafe"}));
  CHECK(QuietJsonLines(daemon.Cli({"board", "ls"})).size() == 2);
  CHECK(Record(daemon.Cli({"board", "show", "sprint-12"})) == board);
  CHECK(Record(daemon.Cli({"board", "show", "cafe"})) == cafe);  // short hex, yet a slug
  Json renamed = Record(daemon.Cli({"board", "update", "sprint-12", "--name", "S"}));
  CHECK(renamed["board_id"] == board["board_id"]);
  Json session = Record(daemon.Cli({"session", "create", "--board", "sprint-12"}));
  CHECK(session["board_id"] == board["board_id"]);
  CHECK(QuietJsonLines(daemon.Cli({"session", "ls", "--board", "sprint-12"})).size() == 1);
  CHECK(QuietJsonLines(daemon.Cli({"session", "ls", "--board", "cafe"})).empty());

  CheckFails(daemon.Cli({"board", "show", "ab12"}), 1,
             "agor: id prefix 'ab12' is too short: give at least 8 hex digits\n");
  CheckFails(daemon.Cli({"session", "create", "--board", "beef"}), 1,
             "agor: --board: id prefix 'beef' is too short: give at least 8 hex digits\n");
  CheckFails(daemon.Cli({"board", "show", "sprint-13"}), 1,
             "agor: no board has the id or slug 'sprint-13'\n");
  CheckFails(daemon.Cli({"session", "show", "ab12"}), 1,
             "agor: id prefix 'ab12' is too short: give at least 8 hex digits\n");
  CHECK(Record(daemon.Cli({"board", "rm", "cafe"})) == cafe);
}

TEST_CASE("an ambiguous id prefix lists the candidates", "[cli][e2e][ids]") {
  Daemon daemon;
  test::RestApi rest(daemon);
  const std::string a = "abcd1234-0000-4000-8000-000000000001";
  const std::string b = "abcd1234-0000-4000-8000-000000000002";
  rest.Post("/boards", {{"board_id", a}, {"name", "alpha"}});
  rest.Post("/boards", {{"board_id", b}, {"name", "beta"}});
  std::string candidates =
      "matches 2 boards: " + a + " (alpha), " + b + " (beta); give more " + "characters\n";
  CheckFails(daemon.Cli({"board", "show", "abcd1234"}), 1,
             "agor: id prefix 'abcd1234' " + candidates);
  CheckFails(daemon.Cli({"board", "rm", "ABCD1234-0000"}), 1,
             "agor: id prefix 'ABCD1234-0000' " + candidates);
  CheckFails(daemon.Cli({"session", "create", "--board", "abcd1234"}), 1,
             "agor: --board: id prefix 'abcd1234' " + candidates);
  CHECK(Record(daemon.Cli({"board", "show", b}))["name"] ==
        "beta");  // a full id is never ambiguous

  rest.Post("/sessions", {{"session_id", "5e551011-0000-4000-8000-000000000001"},
                          {"board_id", a},
                          {"title", "fix login"}});
  rest.Post("/sessions", {{"session_id", "5e551011-0000-4000-8000-000000000002"}, {"board_id", a}});
  CheckFails(daemon.Cli({"session", "show", "5e551011"}), 1,
             "agor: id prefix '5e551011' matches 2 sessions: "
             "5e551011-0000-4000-8000-000000000001 (fix login), "
             "5e551011-0000-4000-8000-000000000002; give more characters\n");
  CHECK(QuietJsonLines(daemon.Cli({"board", "list"})).size() == 2);  // nothing was removed
}

TEST_CASE("a mistyped command or verb suggests the closest one", "[cli][e2e][help]") {
  Daemon daemon;
  CheckFails(daemon.Cli({"bord"}), 2,
             "agor: unknown command 'bord': did you mean 'board'? (see 'agor --help')\n");
  CheckFails(daemon.Cli({"sesion", "list"}), 2,
             "agor: unknown command 'sesion': did you mean 'session'? (see 'agor --help')\n");
  CheckFails(daemon.Cli({"frobnicate"}), 2,
             "agor: unknown command 'frobnicate' (see 'agor --help')\n");
  CheckFails(daemon.Cli({"board", "lst"}), 2,
             "agor: unknown subcommand 'lst': did you mean 'list'? (see 'agor board --help')\n");
  CheckFails(daemon.Cli({"session", "craete"}), 2,
             "agor: unknown subcommand 'craete': did you mean 'create'? (see 'agor session "
             "--help')\n");
  CheckFails(daemon.Cli({"repo", "shwo", "x"}), 2,
             "agor: unknown subcommand 'shwo': did you mean 'show'? (see 'agor repo --help')\n");
  CheckFails(daemon.Cli({"--bogus"}), 2, "agor: unknown option '--bogus' (see 'agor --help')\n");
  // What is echoed cannot drive the terminal.
  CheckFails(daemon.Cli({"\x1b[31mred"}), 2,
             "agor: unknown command '\\x1b[31mred' (see 'agor --help')\n");
  CheckFails(daemon.Cli({"board", "create", "x", "\x1b[2J"}), 2,
             "agor: unexpected argument '\\x1b[2J' (see 'agor board create --help')\n");
  CheckFails(daemon.Cli({"task", "frob"}), 2,
             "agor: unknown subcommand 'frob' (see 'agor task --help')\n");
}

TEST_CASE(
    "help: the top level lists --version, the environment and the exit codes; every "
    "command and verb has an example",
    "[cli][e2e][help]") {
  Daemon daemon;
  RunResult top = daemon.Cli({"--help"});
  CHECK(top.exit_code == 0);
  for (const char* word : {"--version", "AGOR_URL", "NO_COLOR", "exit codes", "  0 ", "  1 ",
                           "  2 ", "  3 ", "  130 ", "message", "task"}) {
    INFO(word);
    CHECK(top.out.find(word) != std::string::npos);
  }
  RunResult none = daemon.Cli({});
  CHECK(none.exit_code == 2);
  CHECK(none.err == top.out);
  RunResult board = daemon.Cli({"help", "board"});
  CHECK(board.exit_code == 0);
  CHECK(board.out.find("Usage: agor board") != std::string::npos);
  CheckFails(daemon.Cli({"help", "bord"}), 2,
             "agor: unknown command 'bord': did you mean 'board'? (see 'agor --help')\n");
  RunResult version = daemon.Cli({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("agor ", 0) == 0);

  std::vector<std::vector<std::string>> pages = {
      {"board"},         {"board", "list"},     {"board", "create"},
      {"board", "show"}, {"board", "update"},   {"board", "rm"},
      {"session"},       {"session", "update"}, {"session", "stop"},
      {"repo"},          {"repo", "add"},       {"repo", "show"},
      {"task"},          {"task", "list"},      {"task", "show"},
      {"message"},       {"message", "list"}};
  for (std::vector<std::string> args : pages) {
    args.push_back("--help");
    RunResult help = daemon.Cli(args);
    INFO(args[0] << " " << args[1]);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("example") != std::string::npos);
    CHECK(help.out.find("agor " + args[0]) != std::string::npos);
  }
}

TEST_CASE("every command's --help ends with examples of it", "[cli][e2e][help]") {
  for (const Command& command : AllCommands()) {
    std::string name = command.name;
    RunResult help = test::RunProgram({AGOR_BINARY, name, "--help"});
    INFO(name << ": " << help.out << help.err);
    CHECK(help.exit_code == 0);
    CHECK(help.err.empty());
    size_t examples = help.out.find("example");
    REQUIRE(examples != std::string::npos);
    CHECK(help.out.find("\n  agor " + name, examples) != std::string::npos);
  }
}

TEST_CASE("a taken slug is refused with the server's one line", "[cli][e2e][ids]") {
  Daemon daemon;
  Record(daemon.Cli({"board", "create", "one", "--slug", "same"}));
  RunResult dup = daemon.Cli({"board", "create", "two", "--slug", "same"});
  INFO(dup.err);
  CHECK(dup.exit_code == 1);
  CHECK(dup.out.empty());
  CHECK(dup.err.rfind("agor: ", 0) == 0);
  CHECK(dup.err.find("slug") != std::string::npos);
  CHECK(dup.err.find('\n') == dup.err.size() - 1);
  CHECK(dup.err.find("[json.exception") == std::string::npos);
}

}  // namespace agor
