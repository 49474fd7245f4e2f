// End-to-end tests of `agor board|session|repo` against a real `agor serve`. stdout is a pipe,
// so the commands print JSON lines; every failure must be exactly one stderr line.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/json_lines.h"

namespace agor {
namespace {

using test::Daemon;
using test::JsonLines;
using test::RunResult;

// The one record a create/show/update/rm prints, after checking it exited 0 quietly.
Json Record(const RunResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  std::vector<Json> lines = JsonLines(r.out);
  REQUIRE(lines.size() == 1);
  return lines[0];
}

// Checks a failure: exit code, nothing on stdout, exactly one stderr line starting with `line`.
void CheckFails(const RunResult& r, int exit_code, const std::string& line) {
  INFO(r.err);
  CHECK(r.exit_code == exit_code);
  CHECK(r.out.empty());
  CHECK(r.err.rfind(line, 0) == 0);
  CHECK(r.err.find('\n') == r.err.size() - 1);
}

std::string Prefix(const Json& record, const char* id_field) {
  return record[id_field].get<std::string>().substr(0, 8);
}

}  // namespace

TEST_CASE("agor board: create, list, show, update, rm", "[cli][e2e]") {
  Daemon daemon;
  Json first =
      Record(daemon.Cli({"board", "create", "first", "--slug", "first-slug", "--description", "d",
                         "--color", "#fff", "--icon", "star", "--visibility", "private"}));
  CHECK(first["name"] == "first");
  CHECK(first["slug"] == "first-slug");
  CHECK(first["description"] == "d");
  CHECK(first["color"] == "#fff");
  CHECK(first["icon"] == "star");
  CHECK(first["visibility"] == "private");
  Json second = Record(daemon.Cli({"board", "create", "second"}));
  CHECK(second["visibility"] == "team");

  RunResult list = daemon.Cli({"board", "list"});
  REQUIRE(list.exit_code == 0);
  std::vector<Json> rows = JsonLines(list.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == first);
  CHECK(rows[1] == second);

  std::string id = first["board_id"];
  CHECK(Record(daemon.Cli({"board", "show", Prefix(first, "board_id")})) == first);
  Json patched = Record(daemon.Cli(
      {"board", "update", Prefix(first, "board_id"), "--name", "renamed", "--visibility", "team"}));
  CHECK(patched["board_id"] == id);
  CHECK(patched["name"] == "renamed");
  CHECK(patched["visibility"] == "team");
  CHECK(patched["slug"] == "first-slug");  // PATCH keeps what was not given

  CHECK(Record(daemon.Cli({"board", "rm", id})) == patched);
  CheckFails(daemon.Cli({"board", "show", id}), 1, "agor: no record found for id '" + id + "'\n");
  CHECK(JsonLines(daemon.Cli({"board", "list"}).out).size() == 1);
}

TEST_CASE("agor board list --limit/--skip page and note what is left out", "[cli][e2e]") {
  Daemon daemon;
  for (const char* name : {"a", "b", "c"}) Record(daemon.Cli({"board", "create", name}));
  RunResult one = daemon.Cli({"board", "list", "--limit", "1"});
  CHECK(one.exit_code == 0);
  REQUIRE(JsonLines(one.out).size() == 1);
  CHECK(JsonLines(one.out)[0]["name"] == "a");
  CHECK(one.err == "agor: 1 of 3 boards shown (--limit, --skip for more)\n");
  RunResult rest = daemon.Cli({"board", "list", "--skip", "1", "--json"});
  CHECK(rest.exit_code == 0);
  CHECK(rest.err.empty());
  REQUIRE(JsonLines(rest.out).size() == 2);
  CHECK(JsonLines(rest.out)[1]["name"] == "c");
}

TEST_CASE("agor board sends text and ids URL-encoded", "[cli][e2e]") {
  Daemon daemon;
  std::string name = "a&b=c?d/e %41 \xc3\xa9";
  Json board = Record(daemon.Cli({"board", "create", name, "--slug", "s?x=1"}));
  CHECK(board["name"] == name);
  CHECK(board["slug"] == "s?x=1");
  CheckFails(daemon.Cli({"board", "show", "../boards"}), 1, "agor: ");
  CheckFails(daemon.Cli({"board", "rm", "x?y=1"}), 1, "agor: ");
  CHECK(JsonLines(daemon.Cli({"board", "list"}).out).size() == 1);
}

TEST_CASE("agor board refuses bad usage with exit 2 and one line", "[cli][e2e]") {
  Daemon daemon;
  CheckFails(daemon.Cli({"board"}), 2,
             "agor: a subcommand is required: list, create, show, update, rm (see 'agor board "
             "--help')\n");
  CheckFails(daemon.Cli({"board", "frob"}), 2,
             "agor: unknown subcommand 'frob' (see 'agor board --help')\n");
  CheckFails(daemon.Cli({"board", "create"}), 2,
             "agor: name is required (see 'agor board create --help')");
  CheckFails(daemon.Cli({"board", "create", "x", "--bogus"}), 2,
             "agor: unexpected argument '--bogus' (see 'agor board create --help')\n");
  CheckFails(daemon.Cli({"board", "create", "x", "y"}), 2,
             "agor: unexpected argument 'y' (see 'agor board create --help')\n");
  CheckFails(daemon.Cli({"board", "create", "x", "--slug"}), 2,
             "agor: --slug needs a value (see 'agor board create --help')\n");
  CheckFails(daemon.Cli({"board", "create", "x", "--visibility", "secret"}), 2,
             "agor: --visibility: 'secret' is not one of team, private (see 'agor board "
             "create --help')\n");
  CheckFails(daemon.Cli({"board", "create", "bad \xff byte"}), 2,
             "agor: name: not valid UTF-8 (see 'agor board create --help')\n");
  CheckFails(daemon.Cli({"board", "show", "\xc3"}), 2, "agor: id: not valid UTF-8");
  CheckFails(daemon.Cli({"board", "update", "12345678"}), 2, "agor: nothing to update");
  CheckFails(daemon.Cli({"board", "show"}), 2, "agor: id is required");
  CheckFails(daemon.Cli({"board", "list", "--limit", "-1"}), 2,
             "agor: --limit: must be a non-negative integer, not '-1'");
  CheckFails(daemon.Cli({"board", "list", "--url", "https://127.0.0.1:1"}), 2,
             "agor: https is not supported");
  CheckFails(daemon.Cli({"board", "list", "--url", "127.0.0.1:3030"}), 2,
             "agor: the URL must look like http://host:port");
  CHECK(JsonLines(daemon.Cli({"board", "list"}).out).empty());  // nothing was created
}

TEST_CASE("agor board/session/repo --help prints usage and exits 0", "[cli][e2e]") {
  Daemon daemon;
  RunResult help = daemon.Cli({"board", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Usage: agor board") != std::string::npos);
  RunResult create = daemon.Cli({"session", "create", "-h"});
  CHECK(create.exit_code == 0);
  CHECK(create.out.find("--command") != std::string::npos);
  CHECK(daemon.Cli({"repo", "add", "--help"}).exit_code == 0);
}

TEST_CASE("agor board reports the server's refusal with exit 1", "[cli][e2e]") {
  Daemon daemon;
  Record(daemon.Cli({"board", "create", "one", "--slug", "same"}));
  RunResult dup = daemon.Cli({"board", "create", "two", "--slug", "same"});
  CheckFails(dup, 1, "agor: ");
  CHECK(dup.err.find("slug") != std::string::npos);
  CheckFails(daemon.Cli({"board", "rm", "00000000"}), 1,
             "agor: no record found for id '00000000'\n");
}

TEST_CASE("agor session: create with prefixes, list by board, show, rm", "[cli][e2e]") {
  Daemon daemon;
  Json board = Record(daemon.Cli({"board", "create", "b"}));
  Json other = Record(daemon.Cli({"board", "create", "other"}));
  Json repo = Record(daemon.Cli({"repo", "add", "r"}));
  Json session = Record(
      daemon.Cli({"session", "create", "--board", Prefix(board, "board_id"), "--agent", "command",
                  "--title", "t", "--description", "d", "--repo", Prefix(repo, "repo_id"),
                  "--command", "cat", "--command=-n", "--command", "a b"}));
  CHECK(session["board_id"] == board["board_id"]);  // the prefix went out as the full id
  CHECK(session["repo_id"] == repo["repo_id"]);
  CHECK(session["agentic_tool"] == "command");
  CHECK(session["title"] == "t");
  CHECK(session["description"] == "d");
  CHECK(session["agent_command"] == Json::array({"cat", "-n", "a b"}));
  Json plain = Record(daemon.Cli({"session", "create", "--board", other["board_id"]}));
  CHECK(plain["agentic_tool"] == "claude-code");

  std::vector<Json> all = JsonLines(daemon.Cli({"session", "list"}).out);
  CHECK(all.size() == 2);
  std::vector<Json> mine =
      JsonLines(daemon.Cli({"session", "list", "--board", Prefix(board, "board_id")}).out);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0] == session);
  CHECK(Record(daemon.Cli({"session", "show", Prefix(session, "session_id")})) == session);
  CHECK(Record(daemon.Cli({"session", "rm", Prefix(session, "session_id")})) == session);
  CHECK(JsonLines(daemon.Cli({"session", "list"}).out).size() == 1);
}

TEST_CASE("agor session refuses bad references and bad usage", "[cli][e2e]") {
  Daemon daemon;
  Json board = Record(daemon.Cli({"board", "create", "b"}));
  std::string prefix = Prefix(board, "board_id");
  CheckFails(daemon.Cli({"session", "create", "--board", "deadbeef"}), 1,
             "agor: --board: no record found for id 'deadbeef'\n");
  CheckFails(daemon.Cli({"session", "create", "--board", prefix, "--repo", "deadbeef"}), 1,
             "agor: --repo: no record found for id 'deadbeef'\n");
  CheckFails(daemon.Cli({"session", "list", "--board", "deadbeef"}), 1,
             "agor: --board: no record found for id 'deadbeef'\n");
  CheckFails(daemon.Cli({"session", "list", "--board", "no-such-slug"}), 1,
             "agor: --board: no board has the id or slug 'no-such-slug'\n");
  CheckFails(daemon.Cli({"session", "create"}), 2,
             "agor: --board is required (see 'agor session create --help')\n");
  CheckFails(daemon.Cli({"session", "create", "--board", prefix, "--agent", "vim"}), 2,
             "agor: --agent: 'vim' is not one of claude-code, codex, gemini, command");
  CheckFails(daemon.Cli({"session", "create", "--board", ""}), 2, "agor: --board: must not be");
  CheckFails(daemon.Cli({"session", "update", "deadbeef"}), 2, "agor: nothing to update");
  CheckFails(daemon.Cli({"session", "show", "deadbeef"}), 1,
             "agor: no record found for id 'deadbeef'\n");
  CHECK(JsonLines(daemon.Cli({"session", "list"}).out).empty());
}

TEST_CASE("agor repo: add, list, rm, and refusals", "[cli][e2e]") {
  Daemon daemon;
  test::TempDir checkout;  // a local_path must be an existing directory
  Json repo = Record(
      daemon.Cli({"repo", "add", "agor", "--name", "Agor", "--remote-url",
                  "git@example.com:agor.git", "--path", checkout.path(), "--branch", "main"}));
  CHECK(repo["slug"] == "agor");
  CHECK(repo["name"] == "Agor");
  CHECK(repo["remote_url"] == "git@example.com:agor.git");
  CHECK(repo["local_path"] == checkout.path());
  CHECK(repo["default_branch"] == "main");
  CHECK(JsonLines(daemon.Cli({"repo", "list"}).out) == std::vector<Json>{repo});
  CheckFails(daemon.Cli({"repo", "add", "agor"}), 1, "agor: ");
  CheckFails(daemon.Cli({"repo", "add"}), 2, "agor: slug is required");
  CheckFails(daemon.Cli({"repo", "show", "x"}), 1, "agor: no repo has the id or slug 'x'\n");
  CHECK(Record(daemon.Cli({"repo", "rm", Prefix(repo, "repo_id")})) == repo);
  CHECK(JsonLines(daemon.Cli({"repo", "list"}).out).empty());
}

TEST_CASE("agor board/session/repo exit 3 when no daemon answers", "[cli][e2e]") {
  std::string url;
  {
    Daemon gone;
    url = gone.url();
  }  // stopped: its port is closed now
  Daemon daemon;
  std::string line = "agor: cannot reach agor at " + url + ": is 'agor serve' running?\n";
  for (std::vector<std::string> args : {std::vector<std::string>{"board", "list"},
                                        {"board", "create", "x"},
                                        {"board", "show", "12345678"},
                                        {"board", "update", "12345678", "--name", "y"},
                                        {"board", "rm", "12345678"},
                                        {"session", "list"},
                                        {"session", "create", "--board", "x"},
                                        {"repo", "add", "r"},
                                        {"repo", "rm", "12345678"}}) {
    args.push_back("--url=" + url);
    RunResult r = daemon.Cli(args);
    INFO(args[0] << " " << args[1]);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(r.err == line);
  }
  RunResult env = test::RunProgram({AGOR_BINARY, "board", "list"},
                                   {"AGOR_URL=" + url, "AGOR_TOKEN=" + daemon.token()});
  CHECK(env.exit_code == 3);
  CHECK(env.err == line);
}

}  // namespace agor
