// End-to-end: agents run in their session's repo (the repo's local_path, else the database's
// folder or --agent-workdir), repos refuse a local_path that is not an absolute path to a
// directory, an agent's executable is resolved there with errors that say what was wrong, and
// removing a session or its board stops its running agent (the process group is gone, the task
// ended stopped before the removal, queued prompts never start). Real subprocesses throughout;
// a process's end is awaited on its pidfd, never by sleeping.
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::EventStream;
using test::PushedEvent;
using Api = test::RestApi;

std::string RealPath(const std::string& path) {
  char real[PATH_MAX];
  REQUIRE(realpath(path.c_str(), real) != nullptr);
  return real;
}

void WriteFile(const std::string& path, const std::string& text, int mode) {
  std::ofstream(path) << text;
  REQUIRE(chmod(path.c_str(), mode) == 0);
}

Json Repo(Api& api, const std::string& slug, const std::string& local_path) {
  return api.Post("/repos", {{"slug", slug}, {"local_path", local_path}});
}

std::string Session(Api& api, const Json& argv, const Json& repo_id = nullptr,
                    const std::string& board = "") {
  return api.Post("/sessions", {{"board_id", board.empty() ? api.Board() : board},
                                {"agentic_tool", "command"},
                                {"agent_command", argv},
                                {"repo_id", repo_id}})["session_id"];
}

std::string Prompt(Api& api, const std::string& session, const std::string& text = "go") {
  return api.Post("/sessions/" + session + "/prompt", {{"prompt", text}})["task_id"];
}

// The task's final record, and the text of the assistant lines it stored.
Json Run(Api& api, EventStream& events, const std::string& session,
         std::vector<std::string>* lines = nullptr) {
  Json done;
  REQUIRE(events.WaitTaskEnd(Prompt(api, session), &done));
  Json page = api.Get("/messages?session_id=" + session + "&role=assistant&$sort[index]=1");
  for (const Json& m : page["data"])
    if (lines) lines->push_back(m["content"]);
  return done;
}

// Waits (on the process's pidfd: an event, not a poll loop) until the process whose pid is in
// `pid_file` has ended. False after 20 s.
bool WaitGone(const std::string& pid_file) {
  std::ifstream in(pid_file);
  pid_t pid = 0;
  in >> pid;
  REQUIRE(pid > 0);
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;  // already gone
  pollfd p{fd, POLLIN, 0};
  int ready = poll(&p, 1, 20000);
  close(fd);
  return ready == 1;
}

// A pidfd of the process whose pid is in `pid_file`, opened now: the pid file may name
// another process later (a next run of the same agent rewrites it). The process must run.
int OpenPidFd(const std::string& pid_file) {
  std::ifstream in(pid_file);
  pid_t pid = 0;
  in >> pid;
  REQUIRE(pid > 0);
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(fd >= 0);
  return fd;
}

// Waits for the process of `fd` (from OpenPidFd) to exit, and closes fd.
bool WaitExit(int fd) {
  pollfd p{fd, POLLIN, 0};
  int ready = poll(&p, 1, 20000);
  close(fd);
  return ready == 1;
}

// A `command` agent that never ends: a shell whose child sleeps; both write their pid to
// <dir>/<name>.pid and <dir>/<name>.child before the agent prints "started".
Json Sleeper(const std::string& dir, const std::string& name) {
  std::string base = dir + "/" + name;
  return {"/bin/sh", "-c",
          "sleep 100000 & echo $! > '" + base + ".child'; echo $$ > '" + base +
              ".pid'; echo started; wait"};
}

// The position of the first event seen named `name` whose record matches `match`; -1 if none.
int Position(const EventStream& events, const std::string& name, const Json& match) {
  const auto& seen = events.seen();
  for (size_t i = 0; i < seen.size(); ++i) {
    bool hit = seen[i].name == name;
    for (const auto& item : match.items())
      hit = hit && seen[i].record.value(item.key(), Json()) == item.value();
    if (hit) return static_cast<int>(i);
  }
  return -1;
}

// Waits for an event like WaitFor, or finds it among those seen already: agents print
// concurrently, so a WaitFor for one may have skipped another's event.
bool SeenOrWait(EventStream& events, const std::string& name, const Json& match) {
  PushedEvent ev;
  return Position(events, name, match) >= 0 || events.WaitFor(name, match, &ev);
}

TEST_CASE("an agent runs in its repo's local_path, else in the database's folder",
          "[e2e][agents]") {
  test::TempDir checkout;
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  Json repo = Repo(api, "app", checkout.path());
  std::vector<std::string> in_repo, no_repo, shell_pwd;
  CHECK(Run(api, events, Session(api, {"/bin/pwd"}, repo["repo_id"]), &in_repo)["status"] ==
        "completed");
  CHECK(in_repo == std::vector<std::string>{RealPath(checkout.path())});
  std::string db_dir = d.db_path().substr(0, d.db_path().rfind('/'));
  CHECK(Run(api, events, Session(api, {"/bin/pwd"}), &no_repo)["status"] == "completed");
  CHECK(no_repo == std::vector<std::string>{RealPath(db_dir)});
  // A shell reads its directory from PWD when PWD names it: it must not be the daemon's.
  Run(api, events, Session(api, {"/bin/sh", "-c", "echo \"$PWD\""}, repo["repo_id"]), &shell_pwd);
  CHECK(shell_pwd == std::vector<std::string>{checkout.path()});
}

TEST_CASE("serve --agent-workdir is where agents without a repo run", "[e2e][agents]") {
  test::TempDir elsewhere;
  Daemon d({"--channels", "everybody", "--agent-workdir", elsewhere.path()});
  Api api(d);
  EventStream events(d);
  std::vector<std::string> lines;
  Run(api, events, Session(api, {"/bin/pwd"}), &lines);
  CHECK(lines == std::vector<std::string>{RealPath(elsewhere.path())});
  test::RunResult refused =
      test::RunProgram({AGOR_BINARY, "serve", "--port", "0", "--db", ":memory:", "--agent-workdir",
                        elsewhere.path() + "/missing"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("the agents' working directory '" + elsewhere.path() +
                         "/missing' does not exist") != std::string::npos);
}

TEST_CASE("a repo's local_path must be an absolute path to an existing directory",
          "[e2e][agents]") {
  test::TempDir dir;
  WriteFile(dir.path() + "/file", "x", 0644);
  Daemon d;
  Api api(d);
  struct Case {
    std::string path, message;
  } refused[] = {
      {"relative/dir", "local_path must be an absolute path: 'relative/dir' is relative"},
      {dir.path() + "/missing", "local_path '" + dir.path() + "/missing' does not exist"},
      {dir.path() + "/file", "local_path '" + dir.path() + "/file' is not a directory"},
  };
  for (const Case& c : refused) {
    Json error = api.Post("/repos", {{"slug", "r"}, {"local_path", c.path}}, 400);
    CHECK(error["name"] == "BadRequest");
    CHECK(error["message"] == c.message);
    CHECK(error["data"]["field"] == "local_path");
  }
  CHECK(api.Get("/repos")["total"] == 0);
  std::string id = Repo(api, "r", dir.path())["repo_id"];
  for (const Case& c : refused) {
    CHECK(api.Patch("/repos/" + id, {{"local_path", c.path}}, 400)["message"] == c.message);
    auto put =
        api.http().Put(("/repos/" + id).c_str(), Json{{"slug", "r"}, {"local_path", c.path}}.dump(),
                       "application/json");
    REQUIRE(put);
    CHECK(put->status == 400);
  }
  CHECK(api.Get("/repos/" + id)["local_path"] == dir.path());
  CHECK(api.Patch("/repos/" + id, {{"local_path", nullptr}})["local_path"].is_null());
}

TEST_CASE("a repo whose directory vanished fails its task saying so", "[e2e][agents]") {
  test::TempDir dir;
  std::string checkout = dir.path() + "/checkout";
  REQUIRE(mkdir(checkout.c_str(), 0755) == 0);
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = Session(api, {"/bin/pwd"}, Repo(api, "gone", checkout)["repo_id"]);
  REQUIRE(rmdir(checkout.c_str()) == 0);
  Json done = Run(api, events, session);
  CHECK(done["status"] == "failed");
  CHECK(done["error"] == "repo 'gone': local_path '" + checkout + "' does not exist");
}

TEST_CASE("agent_command[0] is resolved in the repo, and its error says what was wrong",
          "[e2e][agents]") {
  test::TempDir checkout;
  const std::string dir = checkout.path();
  REQUIRE(mkdir((dir + "/bin").c_str(), 0755) == 0);
  WriteFile(dir + "/bin/agent.sh", "#!/bin/sh\ncat >/dev/null\necho hello\n", 0755);
  WriteFile(dir + "/bin/notes", "#!/bin/sh\necho no\n", 0644);
  WriteFile(dir + "/bin/bad.sh", "#!/nonexistent/interpreter\n", 0755);
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  Json repo = Repo(api, "tools", dir)["repo_id"];
  for (const char* name : {"./bin/agent.sh", "bin/agent.sh"}) {
    std::vector<std::string> lines;
    CHECK(Run(api, events, Session(api, {name}, repo), &lines)["status"] == "completed");
    CHECK(lines == std::vector<std::string>{"hello"});
  }
  struct Case {
    std::string name, error;
  } failing[] = {
      {"./bin/notes", "command: './bin/notes' is not executable (" + dir + "/bin/notes)"},
      {"./bin/missing", "command: './bin/missing' not found (" + dir + "/bin/missing)"},
      {"./bin", "command: './bin' is a directory (" + dir + "/bin)"},
      {"agor-no-such-tool", "command: 'agor-no-such-tool' not found on PATH"},
      {"./bin/bad.sh",
       "command: cannot execute '" + dir + "/bin/bad.sh': No such file or directory"},
  };
  for (const Case& c : failing) {
    Json done = Run(api, events, Session(api, {c.name}, repo));
    CHECK(done["status"] == "failed");
    CHECK(done["error"] == c.error);
  }
}

TEST_CASE("removing a session stops its agent first and cancels its queued prompts",
          "[e2e][agents]") {
  test::TempDir pids;
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = Session(api, Sleeper(pids.path(), "agent"));
  std::string task = Prompt(api, session, "first");
  CHECK(api.Post("/sessions/" + session + "/prompt", {{"prompt", "second"}})["status"] == "queued");
  PushedEvent ev;
  REQUIRE(events.WaitFor("messages created", {{"task_id", task}, {"content", "started"}}, &ev));
  api.Delete("/sessions/" + session.substr(0, 8));
  CHECK(WaitGone(pids.path() + "/agent.pid"));
  CHECK(WaitGone(pids.path() + "/agent.child"));  // the whole process group
  REQUIRE(events.WaitFor("sessions removed", {{"session_id", session}}, &ev));
  int stopped = Position(events, "tasks patched", {{"task_id", task}, {"status", "stopped"}});
  CHECK(stopped >= 0);
  CHECK(stopped < Position(events, "sessions removed", {{"session_id", session}}));
  CHECK(events.seen()[stopped].record["error"] == "the session was removed");
  api.Get("/sessions/" + session, 404);
  // Another agent's end comes after the removed one's exit was handled: by then nothing of
  // the removed session may have been written (no queued prompt started, no late patch).
  std::vector<std::string> lines;
  CHECK(Run(api, events, Session(api, {"/bin/echo", "after"}), &lines)["status"] == "completed");
  int removed = Position(events, "sessions removed", {{"session_id", session}});
  for (size_t i = removed + 1; i < events.seen().size(); ++i) {
    if (events.seen()[i].name.rfind("activity ", 0) == 0) continue;  // the feed's, not a write
    CHECK(events.seen()[i].record.value("session_id", Json()) != session);
  }
  CHECK(Position(events, "tasks created", {{"session_id", session}, {"prompt", "second"}}) == -1);
  CHECK(api.Get("/health")["status"] == "ok");
}

TEST_CASE("removing a running task stops its agent, then its session's next prompt runs",
          "[e2e][agents]") {
  test::TempDir pids;
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = Session(api, Sleeper(pids.path(), "agent"));
  std::string task = Prompt(api, session, "first");
  CHECK(api.Post("/sessions/" + session + "/prompt", {{"prompt", "second"}})["status"] == "queued");
  PushedEvent ev;
  REQUIRE(events.WaitFor("messages created", {{"task_id", task}, {"content", "started"}}, &ev));
  int agent = OpenPidFd(pids.path() + "/agent.pid");
  int child = OpenPidFd(pids.path() + "/agent.child");
  api.Delete("/tasks/" + task.substr(0, 8));
  CHECK(WaitExit(agent));
  CHECK(WaitExit(child));  // the whole process group
  REQUIRE(events.WaitFor("tasks removed", {{"task_id", task}}, &ev));
  api.Get("/tasks/" + task, 404);
  int stopped = Position(events, "tasks patched", {{"task_id", task}, {"status", "stopped"}});
  REQUIRE(stopped >= 0);
  CHECK(events.seen()[stopped].record["error"] == "the task was removed");
  // The queued prompt starts at once, after the stop and before the removal's events.
  int next = Position(events, "tasks created", {{"session_id", session}, {"prompt", "second"}});
  REQUIRE(next > stopped);
  CHECK(next < Position(events, "tasks removed", {{"task_id", task}}));
  std::string next_task = events.seen()[next].record["task_id"];
  REQUIRE(SeenOrWait(events, "messages created", {{"task_id", next_task}, {"content", "started"}}));
  // Nothing of the removed task was written after its removal (its messages only lost it).
  int removed = Position(events, "tasks removed", {{"task_id", task}});
  for (size_t i = removed + 1; i < events.seen().size(); ++i) {
    if (events.seen()[i].name.rfind("activity ", 0) == 0) continue;  // the feed's, not a write
    CHECK(events.seen()[i].record.value("task_id", Json()) != task);
  }
  CHECK(api.Get("/sessions/" + session)["status"] == "running");
  api.Post("/sessions/" + session + "/stop", Json::object());
  Json done;
  CHECK(events.WaitTaskEnd(next_task, &done));
  CHECK(done["status"] == "stopped");
}

TEST_CASE("removing a board stops the agents of all its sessions", "[e2e][agents]") {
  test::TempDir pids;
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string board = api.Board();
  std::string a = Session(api, Sleeper(pids.path(), "a"), nullptr, board);
  std::string b = Session(api, Sleeper(pids.path(), "b"), nullptr, board);
  std::string other = Session(api, Sleeper(pids.path(), "other"));
  std::string task_a = Prompt(api, a), task_b = Prompt(api, b), task_other = Prompt(api, other);
  PushedEvent ev;
  for (const std::string& t : {task_a, task_b, task_other})
    REQUIRE(SeenOrWait(events, "messages created", {{"task_id", t}, {"content", "started"}}));
  api.Delete("/boards/" + board);
  for (const char* name : {"a.pid", "a.child", "b.pid", "b.child"})
    CHECK(WaitGone(pids.path() + "/" + name));
  REQUIRE(events.WaitFor("boards removed", {{"board_id", board}}, &ev));
  int removed = Position(events, "boards removed", {{"board_id", board}});
  for (const std::string& t : {task_a, task_b}) {
    int stopped = Position(events, "tasks patched", {{"task_id", t}, {"status", "stopped"}});
    CHECK(stopped >= 0);
    CHECK(stopped < removed);
  }
  CHECK(api.Get("/tasks/" + task_other)["status"] == "running");  // another board's agent
  api.Post("/sessions/" + other + "/stop", Json::object());
  Json done;
  REQUIRE(events.WaitTaskEnd(task_other, &done));
  CHECK(done["status"] == "stopped");
}

TEST_CASE("a Socket.IO remove of a session stops its agent too", "[e2e][agents]") {
  test::TempDir pids;
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = Session(api, Sleeper(pids.path(), "agent"));
  std::string task = Prompt(api, session);
  PushedEvent ev;
  REQUIRE(events.WaitFor("messages created", {{"task_id", task}, {"content", "started"}}, &ev));
  test::RawWebSocket ws;
  REQUIRE(ws.Connect(d.port(), "/socket.io/?EIO=4&transport=websocket") == 101);
  std::string frame;
  REQUIRE(ws.ReadText(&frame, 5000));
  ws.SendText(test::ConnectPacket(d.token()));
  REQUIRE(ws.ReadText(&frame, 5000));
  ws.SendText("421[\"remove\",\"sessions\",\"" + session + "\",{}]");
  do {
    REQUIRE(ws.ReadText(&frame, 5000));
  } while (frame.rfind("431", 0) != 0);
  CHECK(Json::parse(frame.substr(3))[0].is_null());
  CHECK(WaitGone(pids.path() + "/agent.pid"));
  Json done;
  REQUIRE(events.WaitTaskEnd(task, &done));
  CHECK(done["status"] == "stopped");
}

}  // namespace
}  // namespace agor
