// One daemon per database, with the real binary: a second `agor serve` on the same --db is
// refused with one line naming the first's pid and port; the lock dies with its holder, even
// by kill -9 while an agent's child (which must not have inherited it) lives on; `:memory:`
// needs no lock.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "base/lock_file.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::EventStream;
using test::PushedEvent;
using test::RestApi;
using test::RunProgram;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";

// `agor serve` on `db` and the port of the daemon that should hold it: were the lock not
// taken, this one would fail on the port (another message) instead of serving forever.
test::RunResult Serve(const std::string& db, int port) {
  return RunProgram({AGOR_BINARY, "serve", "--port", std::to_string(port), "--db", db});
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Holder(const Daemon& d) {
  return "pid " + std::to_string(d.pid()) + ", port " + std::to_string(d.port());
}

TEST_CASE("a second daemon on the same database names the first and exits 1", "[e2e][lock]") {
  Daemon first;
  CHECK(Slurp(first.db_path() + ".lock") ==
        "pid " + std::to_string(first.pid()) + " port " + std::to_string(first.port()) + "\n");
  test::RunResult r = Serve(first.db_path(), first.port());
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());  // never said it was listening
  CHECK(r.err ==
        "agor: database " + first.db_path() + " is in use by agor serve (" + Holder(first) + ")\n");
  // Another spelling of the same file meets the same lock.
  test::TempDir other;
  std::string link = other.path() + "/link.db";
  REQUIRE(symlink(first.db_path().c_str(), link.c_str()) == 0);
  test::RunResult via_link = Serve(link, first.port());
  CHECK(via_link.exit_code == 1);
  CHECK(via_link.err.find("database " + first.db_path() + " is in use") != std::string::npos);
  // The refused daemons changed nothing: the first still serves and still owns the lock.
  RestApi api(first);
  CHECK(api.Get("/health")["status"] == "ok");
  CHECK(Slurp(first.db_path() + ".lock").find(std::to_string(first.pid())) != std::string::npos);
}

TEST_CASE("the lock dies with a daemon killed by -9, though its agent's child lives on",
          "[e2e][lock]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db", child_file = dir.path() + "/child";
  std::string child;
  {
    Daemon first({"--channels", "everybody"}, db, {"AGOR_FIXTURE_CHILD_PID=" + child_file});
    RestApi api(first);
    EventStream events(first);
    std::string session = api.Session("command", Json::array({kFixtures + "slow_agent.sh"}));
    api.Post("/sessions/" + session + "/prompt", {{"prompt", "go"}});
    // The agent wrote its child's pid before its first message. That `sleep` survives the
    // daemon (an agent's child is the next daemon's to kill) and would hold the lock if the
    // descriptor had leaked into it.
    PushedEvent ev;
    REQUIRE(events.WaitFor("messages created", {{"role", "assistant"}}, &ev, 20000));
    std::ifstream(child_file) >> child;
    REQUIRE_FALSE(child.empty());
    first.Stop(SIGKILL);
  }
  CHECK(kill(std::stoi(child), 0) == 0);  // still alive: the next daemon kills it
  Daemon second({}, db);                  // the stale lock file does not block
  CHECK(Slurp(db + ".lock") ==
        "pid " + std::to_string(second.pid()) + " port " + std::to_string(second.port()) + "\n");
  test::RunResult third = Serve(db, second.port());
  CHECK(third.exit_code == 1);
  CHECK(third.err.find("(" + Holder(second) + ")") != std::string::npos);
}

TEST_CASE("a daemon stopped cleanly frees its database for the next one", "[e2e][lock]") {
  test::TempDir dir;
  std::string db = dir.path() + "/sub/agor.db";  // the folder is created before the lock
  {
    Daemon first({}, db);
    CHECK(first.Stop(SIGTERM) == 0);
  }
  Daemon second({}, db);
  CHECK(RestApi(second.port()).Get("/health")["status"] == "ok");
}

TEST_CASE("a holder that has not bound its port yet, or wrote no pid, is said so", "[e2e][lock]") {
  Daemon busy;  // its port: were the lock ignored, the daemon under test would fail on it
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db";
  std::unique_ptr<LockFile> held;  // this test holds the lock as a starting daemon would
  REQUIRE(LockFile::Acquire(db + ".lock", &held, nullptr).ok());
  const std::pair<std::string, std::string> cases[] = {
      {"pid 4242\n", "(pid 4242, port not bound yet)"},
      {"", "(pid unknown)"},
      {"\x1b[31mgarbage\n", "(pid unknown)"},  // nothing of the file is echoed
  };
  for (const auto& [text, said] : cases) {
    REQUIRE(held->Write(text).ok());
    test::RunResult r = Serve(db, busy.port());
    CHECK(r.exit_code == 1);
    CHECK(r.err == "agor: database " + db + " is in use by agor serve " + said + "\n");
  }
}

TEST_CASE("in-memory daemons take no lock", "[e2e][lock]") {
  Daemon a({}, ":memory:");
  Daemon b({}, ":memory:");
  CHECK(RestApi(a.port()).Get("/health")["status"] == "ok");
  CHECK(RestApi(b.port()).Get("/health")["status"] == "ok");
}

}  // namespace
}  // namespace agor
