// End-to-end tests of what the CLI writes to a terminal: the commands run on a pseudo-terminal
// (tests/support/terminal.h) against the real daemon, with records whose names and contents
// hold escape sequences, line breaks and bidi overrides. Nothing from the daemon may reach the
// terminal raw: the only escapes allowed are the CLI's own colours.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/utf8.h"
#include "tests/support/daemon.h"
#include "tests/support/rest_api.h"
#include "tests/support/terminal.h"

namespace agor {
namespace {

using test::Daemon;
using test::RunOnTerminal;
using test::RunResult;
using test::TerminalProcess;

constexpr int kTimeoutMs = 15000;
const std::string kHostile = "evil\x1b[31mRED\nsecond\xe2\x80\xae\x07";
const std::string kShown = "evil\\x1b[31mRED\\nsecond\\u202e\\x07";

// `text` without the colour codes the CLI itself writes (bold, dim, reset, green/red/yellow).
std::string WithoutOwnColours(std::string text) {
  for (const char* code : {"\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[31m", "\x1b[32m", "\x1b[33m"}) {
    for (size_t at; (at = text.find(code)) != std::string::npos;) text.erase(at, strlen(code));
  }
  return text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

Json HostileBoard(test::RestApi& rest) {
  return rest.Post("/boards", {{"name", kHostile}, {"description", kHostile}});
}

TEST_CASE("a hostile board name reaches the terminal escaped, with or without colour",
          "[e2e][terminal]") {
  Daemon d;
  test::RestApi rest(d);
  Json board = HostileBoard(rest);
  std::string id = board["board_id"];
  for (bool no_color : {true, false}) {
    INFO("NO_COLOR " << no_color);
    std::vector<std::string> env = d.ClientEnv();
    if (no_color) env.push_back("NO_COLOR=1");
    RunResult list = RunOnTerminal({"board", "list"}, env);
    INFO(list.out);
    CHECK(list.exit_code == 0);
    CHECK(WithoutOwnColours(list.out).find('\x1b') == std::string::npos);
    CHECK(list.out.find(kShown.substr(0, 20)) != std::string::npos);
    CHECK(Lines(list.out).size() == 2);  // the header and one row: the newline did not break it
    if (no_color) CHECK(list.out.find('\x1b') == std::string::npos);
    RunResult show = RunOnTerminal({"board", "show", id.substr(0, 8)}, env);
    INFO(show.out);
    CHECK(show.exit_code == 0);
    CHECK(WithoutOwnColours(show.out).find('\x1b') == std::string::npos);
    CHECK(show.out.find(kShown) != std::string::npos);
    CHECK(show.out.find('\x07') == std::string::npos);
  }
}

TEST_CASE("a table fits the terminal's width, ids whole", "[e2e][terminal]") {
  Daemon d;
  test::RestApi rest(d);
  std::string id = rest.Post("/boards", {{"name", std::string(50, 'n')}})["board_id"];
  RunResult list = RunOnTerminal({"board", "list"}, d.ClientEnv({"NO_COLOR=1"}), 60);
  INFO(list.out);
  CHECK(list.exit_code == 0);
  std::vector<std::string> lines = Lines(list.out);
  REQUIRE(lines.size() == 2);
  for (const std::string& line : lines) CHECK(Utf8CodePoints(line) <= 60);
  CHECK(lines[1].rfind(id.substr(0, 8) + " ", 0) == 0);
  CHECK(lines[1].find("\xe2\x80\xa6") != std::string::npos);  // the name was cut
  RunResult wide = RunOnTerminal({"board", "list"}, d.ClientEnv({"NO_COLOR=1"}), 200);
  INFO(wide.out);
  CHECK(wide.out.find(std::string(39, 'n') + "\xe2\x80\xa6") != std::string::npos);  // its cap
}

TEST_CASE("agor watch on a terminal escapes what it shows and exits 130 on Ctrl-C",
          "[e2e][terminal]") {
  Daemon d;
  test::RestApi rest(d);
  // After the first start's own events (the admin, its key): the board is the next one.
  std::string head =
      std::to_string(rest.Get("/events?$sort[seq]=-1&$limit=1")["data"][0]["seq"].get<int64_t>());
  HostileBoard(rest);
  TerminalProcess watch({"watch", "--since", head}, d.ClientEnv());
  std::string line;
  REQUIRE(watch.ReadLine(&line, kTimeoutMs));
  INFO(line);
  CHECK(line.find("boards created") != std::string::npos);
  CHECK(line.find("evil\\x1b[31mRED second") != std::string::npos);  // one line: \n made a space
  CHECK(WithoutOwnColours(line).find('\x1b') == std::string::npos);
  watch.Signal(SIGINT);
  CHECK(watch.Wait(kTimeoutMs) == 130);
}

}  // namespace
}  // namespace agor
