// Tests of server/agents/task_manager with the OS swapped out: a PipeOs whose "agents" are the
// pipes the supervisor hands it (the test prints their lines and decides when they exit), a
// described file system, a real in-memory store and a hand-run event loop. They cover where an
// agent runs and which file it is, and what removing a session or a board does to its agent:
// the task ends stopped before the removal, the group gets SIGTERM then SIGKILL, and the
// agent's late output and exit write, publish and log nothing and start no queued prompt.
#include "server/agents/task_manager.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>

#include "server/agents/agent_paths.h"

namespace agor {
namespace {

// Agents that are pipes: Spawn keeps the child's ends of stdin/stdout/stderr; SIGTERM or
// SIGKILL to a group (or Exit) closes them and makes the agent "exit" for waitpid.
class PipeOs : public ProcessOs {
 public:
  struct Agent {
    std::string path, cwd;
    std::vector<std::string> argv;
    int in = -1, out = -1, err = -1;
    bool exited = false;
    int status = 0;
  };

  ~PipeOs() override {
    for (auto& entry : agents_) End(&entry.second, 0);
  }

  Status Spawn(const std::string& path, const std::vector<std::string>& argv,
               const std::string& cwd, int in, int out, int err, pid_t* pid) override {
    std::lock_guard<std::mutex> lock(mu_);
    *pid = next_pid_++;
    agents_[*pid] = {path, cwd, argv, dup(in), dup(out), dup(err)};
    return Status::OK();
  }
  int Kill(pid_t pid, int sig) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = agents_.find(-pid);
    if (pid >= 0 || it == agents_.end() || it->second.exited) {
      errno = ESRCH;
      return -1;
    }
    if (sig != 0) signals_.emplace_back(pid, sig);
    if (sig == SIGKILL || (sig == SIGTERM && !ignore_term_)) End(&it->second, sig);
    return 0;
  }
  pid_t WaitPid(pid_t pid, int* status, int) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = agents_.find(pid);
    if (it == agents_.end() || !it->second.exited) return 0;
    if (status != nullptr) *status = it->second.status;
    return pid;
  }
  int64_t StartTime(pid_t pid) override { return agents_alive(pid) ? 1000 + pid : -1; }
  std::vector<ProcessInfo> GroupMembers(pid_t pgid) override {
    if (!agents_alive(pgid)) return {};
    return {{pgid, 1000 + pgid}};
  }

  // What the agent `pid` prints on stdout.
  void Print(pid_t pid, const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    ssize_t n = write(agents_[pid].out, (line + "\n").data(), line.size() + 1);
    (void)n;
  }
  void Exit(pid_t pid, int code) {
    std::lock_guard<std::mutex> lock(mu_);
    End(&agents_[pid], 0);
    agents_[pid].status = code << 8;
  }
  Agent agent(pid_t pid) {
    std::lock_guard<std::mutex> lock(mu_);
    return agents_[pid];
  }
  std::vector<std::pair<pid_t, int>> signals() {
    std::lock_guard<std::mutex> lock(mu_);
    return signals_;
  }
  pid_t last_pid() {
    std::lock_guard<std::mutex> lock(mu_);
    return next_pid_ - 1;
  }
  void ignore_term() { ignore_term_ = true; }

 private:
  bool agents_alive(pid_t pid) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = agents_.find(pid);
    return it != agents_.end() && !it->second.exited;
  }
  static void End(Agent* a, int sig) {
    for (int* fd : {&a->in, &a->out, &a->err}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
    a->exited = true;
    a->status = sig;  // as waitpid reports a death by signal
  }

  std::mutex mu_;
  std::map<pid_t, Agent> agents_;
  std::vector<std::pair<pid_t, int>> signals_;
  pid_t next_pid_ = 40000;
  bool ignore_term_ = false;
};

class FakeFs : public FileSystem {
 public:
  std::map<std::string, FileInfo> files;
  FileInfo Probe(const std::string& path) override {
    auto it = files.find(path);
    return it == files.end() ? FileInfo{} : it->second;
  }
  std::string CurrentDirectory() override { return "/"; }
};

// The daemon's loop, run by the test: posted functions, and delayed ones it runs on demand.
class Loop {
 public:
  ProcessSupervisor::Post post() {
    return [this](std::function<void()> fn) {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(fn));
      cv_.notify_all();
    };
  }
  TaskManager::After after() {
    return [this](int, std::function<void()> fn) { delayed_.push_back(std::move(fn)); };
  }
  // Runs posted functions until `done` (false after 10 s).
  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, deadline, [this] { return !queue_.empty(); })) return false;
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
    }
    return true;
  }
  // "The grace period is over": runs what was delayed so far.
  void RunDelayed() {
    auto now = std::move(delayed_);
    delayed_.clear();
    for (auto& fn : now) fn();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::function<void()>> delayed_;
};

// What a test needs around one TaskManager; events are "<service> <event>" with the record.
struct Fixture {
  PipeOs os;
  FakeFs fs;
  Loop loop;
  std::unique_ptr<Store> store;
  std::unique_ptr<ProcessSupervisor> supervisor;
  std::unique_ptr<AgentPaths> paths;
  std::unique_ptr<TaskManager> tasks;
  std::vector<std::pair<std::string, Json>> events;

  Fixture() {
    signal(SIGPIPE, SIG_IGN);  // as `agor serve` does: a closed agent pipe is an error code
    REQUIRE(Store::Open({":memory:"}, SystemClock(), &store).ok());
    store->SetCommitListener(
        [this](const Event& ev) { events.emplace_back(ev.service + " " + ev.event, ev.record); });
    fs.files["/data"] = {FileInfo::Kind::kDirectory, true, ""};
    fs.files["/bin/agent"] = {FileInfo::Kind::kRegular, true, ""};
    supervisor = std::make_unique<ProcessSupervisor>(loop.post(), 1 << 20, 256, &os);
    paths = std::make_unique<AgentPaths>(&fs, "/data");
    tasks = std::make_unique<TaskManager>(
        store.get(), [](const Event&) {}, supervisor.get(), paths.get(), SystemClock(),
        loop.after(), 3000);
  }
  ~Fixture() {
    tasks.reset();
    supervisor.reset();
  }
  std::string Create(const std::string& service, const Json& data) {
    Json record;
    Status s = store->Create(service, data, &record);
    REQUIRE(s.ok());
    return record[service == "boards" ? "board_id" : service == "repos" ? "repo_id" : "session_id"];
  }
  std::string Session(const std::string& board, const Json& argv = {"/bin/agent"},
                      const Json& repo = nullptr) {
    return Create("sessions", {{"board_id", board},
                               {"agentic_tool", "command"},
                               {"agent_command", argv},
                               {"repo_id", repo}});
  }
  Json Prompt(const std::string& session, const std::string& text) {
    Json result;
    REQUIRE(tasks->Prompt(session, {{"prompt", text}}, &result).ok());
    return result;
  }
  Json Task(const std::string& id) {
    Json record;
    REQUIRE(store->Get("tasks", id, &record).ok());
    return record;
  }
  bool Saw(const std::string& name, const Json& match) const {
    for (const auto& [n, record] : events) {
      bool hit = n == name;
      for (const auto& item : match.items()) hit = hit && record[item.key()] == item.value();
      if (hit) return true;
    }
    return false;
  }
};

// Captures what this process writes on stderr (the log) while it lives.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    saved_ = dup(2);
    dup2(fileno(file_), 2);
  }
  ~StderrCapture() { Restore(); }
  std::string Text() {
    Restore();
    std::string text;
    std::rewind(file_);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) text.append(buf, n);
    return text;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  FILE* file_ = nullptr;
  int saved_ = -1;
};

TEST_CASE("task manager: an agent runs in its repo's local_path, its file resolved there") {
  Fixture f;
  f.fs.files["/src/app"] = {FileInfo::Kind::kDirectory, true, ""};
  f.fs.files["/src/app/bin/agent"] = {FileInfo::Kind::kRegular, true, ""};
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string repo = f.Create("repos", {{"slug", "app"}, {"local_path", "/src/app"}});
  f.Prompt(f.Session(board, {"./bin/agent", "--x"}, repo), "hi");
  PipeOs::Agent agent = f.os.agent(f.os.last_pid());
  CHECK(agent.path == "/src/app/bin/agent");
  CHECK(agent.cwd == "/src/app");
  CHECK(agent.argv == std::vector<std::string>{"./bin/agent", "--x"});
  f.Prompt(f.Session(board), "hi");  // no repo: the default directory
  CHECK(f.os.agent(f.os.last_pid()).cwd == "/data");
  CHECK(f.os.agent(f.os.last_pid()).path == "/bin/agent");
}

TEST_CASE("task manager: a missing directory or executable fails the task saying which") {
  Fixture f;
  f.fs.files["/src/app"] = {FileInfo::Kind::kDirectory, true, ""};
  f.fs.files["/src/app/notes"] = {FileInfo::Kind::kRegular, false, ""};
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string repo = f.Create("repos", {{"slug", "app"}, {"local_path", "/src/app"}});
  struct Case {
    Json argv;
    std::string error;
  } cases[] = {
      {{"./notes"}, "command: './notes' is not executable (/src/app/notes)"},
      {{"./gone"}, "command: './gone' not found (/src/app/gone)"},
      {{"."}, "command: '.' not found on PATH"},
      {{"../app"}, "command: '../app' is a directory (/src/app/../app)"},
  };
  f.fs.files["/src/app/../app"] = {FileInfo::Kind::kDirectory, true, ""};
  for (const Case& c : cases) {
    Json started = f.Prompt(f.Session(board, c.argv, repo), "hi");
    Json task = f.Task(started["task_id"]);
    CHECK(task["status"] == "failed");
    CHECK(task["error"] == c.error);
  }
  Json nul =
      f.Task(f.Prompt(f.Session(board, {"/bin/agent", std::string("a\0b", 3)}), "hi")["task_id"]);
  CHECK(nul["error"] == "command: argument 1 holds a NUL byte");
  f.fs.files.erase("/src/app");  // the checkout is gone
  Json task = f.Task(f.Prompt(f.Session(board, {"/bin/agent"}, repo), "hi")["task_id"]);
  CHECK(task["status"] == "failed");
  CHECK(task["error"] == "repo 'app': local_path '/src/app' does not exist");
  CHECK(f.os.last_pid() == 39999);  // nothing was spawned
}

TEST_CASE("task manager: removing a session stops its agent, then writes nothing for it") {
  Fixture f;
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string session = f.Session(board);
  std::string task = f.Prompt(session, "first")["task_id"];
  CHECK(f.Prompt(session, "second")["status"] == "queued");
  pid_t pid = f.os.last_pid();
  f.os.ignore_term();  // so the SIGKILL after the grace is what ends it
  f.os.Print(pid, "working");
  REQUIRE(f.loop.RunUntil([&] { return f.Saw("messages created", {{"content", "working"}}); }));
  f.events.clear();

  f.tasks->BeforeRemove("sessions", session.substr(0, 8));  // a prefix, as a client may send
  CHECK(f.os.signals() == std::vector<std::pair<pid_t, int>>{{-pid, SIGTERM}});
  REQUIRE(f.events.size() == 2);
  CHECK(f.events[0].first == "tasks patched");
  CHECK(f.events[0].second["status"] == "stopped");
  CHECK(f.events[0].second["error"] == "the session was removed");
  CHECK(f.events[1].first == "sessions patched");
  CHECK(f.events[1].second["status"] == "idle");
  CHECK(f.tasks->running() == 0);
  CHECK(f.tasks->orphans() == 1);
  Json removed;
  REQUIRE(f.store->Remove("sessions", session, &removed).ok());
  f.events.clear();

  StderrCapture log;
  f.os.Print(pid, "late line");
  f.loop.RunDelayed();  // the grace is over: SIGKILL to the group, then its exit
  REQUIRE(f.loop.RunUntil([&] { return f.tasks->orphans() == 0; }));
  CHECK(f.os.signals().back() == std::make_pair(-pid, SIGKILL));
  CHECK(f.events.empty());  // no message, no task patch, no queued prompt started
  CHECK(log.Text().empty());
  CHECK(f.os.last_pid() == pid);
  std::vector<AgentProcess> left;
  REQUIRE(f.store->ListAgentProcesses(&left).ok());
  CHECK(left.empty());
  (void)task;
}

TEST_CASE("task manager: removing a running task stops its agent and starts the next prompt") {
  Fixture f;
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string session = f.Session(board);
  std::string task = f.Prompt(session, "first")["task_id"];
  CHECK(f.Prompt(session, "second")["status"] == "queued");
  pid_t pid = f.os.last_pid();
  f.os.ignore_term();  // so the SIGKILL after the grace is what ends it
  f.events.clear();

  f.tasks->BeforeRemove("tasks", task.substr(0, 8));  // a prefix, as a client may send
  CHECK(f.os.signals() == std::vector<std::pair<pid_t, int>>{{-pid, SIGTERM}});
  REQUIRE(f.events.size() >= 3);
  CHECK(f.events[0].first == "tasks patched");
  CHECK(f.events[0].second["status"] == "stopped");
  CHECK(f.events[0].second["error"] == "the task was removed");
  CHECK(f.events[1].first == "sessions patched");
  CHECK(f.events[1].second["status"] == "idle");
  CHECK(f.events[2].first == "tasks created");
  CHECK(f.events[2].second["prompt"] == "second");
  pid_t next = f.os.last_pid();
  CHECK(next != pid);
  CHECK(f.tasks->running() == 1);
  CHECK(f.tasks->orphans() == 1);
  Json removed;
  REQUIRE(f.store->Remove("tasks", task, &removed).ok());
  f.events.clear();

  StderrCapture log;
  f.os.Print(pid, "late line");
  f.loop.RunDelayed();  // the grace is over: SIGKILL to the group, then its exit
  REQUIRE(f.loop.RunUntil([&] { return f.tasks->orphans() == 0; }));
  CHECK(f.os.signals().back() == std::make_pair(-pid, SIGKILL));
  CHECK(f.events.empty());  // the removed task's output and exit write nothing
  CHECK(log.Text().empty());
  CHECK(f.tasks->running() == 1);  // the next prompt runs on
  // Tasks that do not run, and ids that name nothing, stop nothing.
  f.tasks->BeforeRemove("tasks", task);
  f.tasks->BeforeRemove("tasks", "zz");
  CHECK(f.tasks->running() == 1);
  CHECK(f.os.signals().back() == std::make_pair(-pid, SIGKILL));
}

TEST_CASE("task manager: an agent that dies on SIGTERM is released at its exit") {
  Fixture f;
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string session = f.Session(board);
  f.Prompt(session, "first");
  pid_t pid = f.os.last_pid();
  f.tasks->BeforeRemove("sessions", session);
  f.loop.RunDelayed();  // the grace passes before the exit is seen: nothing left to kill
  REQUIRE(f.loop.RunUntil([&] { return f.tasks->orphans() == 0; }));
  CHECK(f.os.signals() == std::vector<std::pair<pid_t, int>>{{-pid, SIGTERM}});
}

TEST_CASE("task manager: removing a board stops the agents of its sessions only") {
  Fixture f;
  std::string doomed = f.Create("boards", {{"name", "doomed"}});
  std::string kept = f.Create("boards", {{"name", "kept"}});
  std::string a = f.Session(doomed), b = f.Session(doomed), c = f.Session(kept);
  std::map<std::string, pid_t> pid;
  std::map<std::string, std::string> task;
  for (const std::string& s : {a, b, c}) {
    task[s] = f.Prompt(s, "go")["task_id"];
    pid[s] = f.os.last_pid();
  }
  f.tasks->BeforeRemove("boards", doomed);
  auto signals = f.os.signals();
  std::sort(signals.begin(), signals.end());
  CHECK(signals == std::vector<std::pair<pid_t, int>>{{-pid[b], SIGTERM}, {-pid[a], SIGTERM}});
  CHECK(f.Task(task[a])["error"] == "the board was removed");
  CHECK(f.Task(task[b])["status"] == "stopped");
  CHECK(f.Task(task[c])["status"] == "running");
  CHECK(f.tasks->running() == 1);
  // Other services and ids that name nothing stop nothing.
  f.tasks->BeforeRemove("repos", kept);
  f.tasks->BeforeRemove("sessions", "00000000-0000-4000-8000-000000000000");
  f.tasks->BeforeRemove("boards", "zz");
  f.tasks->BeforeRemove("messages", c);
  CHECK(f.tasks->running() == 1);
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

// Two nodes on one store: `f.tasks` runs the agent, `other` (no agent of its own) gets the stop.
TEST_CASE("task manager: a stop sent to another node reaches the agent through the event") {
  Fixture f;
  TaskManager other(
      f.store.get(), [](const Event&) {}, f.supervisor.get(), f.paths.get(), SystemClock(),
      f.loop.after(), 3000);
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string session = f.Session(board);
  std::string task = f.Prompt(session, "first")["task_id"];
  pid_t pid = f.os.last_pid();
  std::vector<Event> committed;
  f.store->SetCommitListener([&](const Event& ev) { committed.push_back(ev); });

  Json answer;
  REQUIRE(other.Stop(session.substr(0, 8), &answer).ok());
  CHECK(answer == Json{{"task_id", task}, {"status", "stopping"}});
  CHECK(f.Task(task)["status"] == "stopping");
  CHECK(f.os.signals().empty());               // the other node cannot signal it: the event does
  REQUIRE(other.Stop(session, &answer).ok());  // again: still stopping, nothing written
  REQUIRE(committed.size() == 1);

  for (const Event& ev : committed) f.tasks->OnDelivered(ev);
  CHECK(f.os.signals() == std::vector<std::pair<pid_t, int>>{{-pid, SIGTERM}});
  REQUIRE(f.loop.RunUntil([&] { return f.tasks->running() == 0; }));
  CHECK(f.Task(task)["status"] == "stopped");
  for (const Event& ev : committed) f.tasks->OnDelivered(ev);  // late, repeated: nothing
  CHECK(f.os.signals().size() == 1);
  CHECK(other.Stop(session, &answer).code() == Code::kConflict);
}

TEST_CASE("task manager: a node's own stop is not done twice when its event comes back") {
  Fixture f;
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string session = f.Session(board);
  f.Prompt(session, "first");
  f.os.ignore_term();
  std::vector<Event> committed;
  f.store->SetCommitListener([&](const Event& ev) { committed.push_back(ev); });
  Json answer;
  REQUIRE(f.tasks->Stop(session, &answer).ok());
  for (const Event& ev : committed) f.tasks->OnDelivered(ev);
  CHECK(f.os.signals().size() == 1);  // one SIGTERM, the grace's SIGKILL still to come
}

TEST_CASE("task manager: a dead node's claimed tasks end here, and its stalled self lets go") {
  Fixture f;  // f.tasks is node "a", stalled past its lease; `claimer` is node "b"
  f.tasks->SetNode("a");
  TaskManager claimer(
      f.store.get(), [](const Event&) {}, f.supervisor.get(), f.paths.get(), SystemClock(),
      f.loop.after(), 3000);
  claimer.SetNode("b");
  std::string board = f.Create("boards", {{"name", "b"}});
  std::string session = f.Session(board);
  std::string task = f.Prompt(session, "first")["task_id"];
  REQUIRE(f.Prompt(session, "second")["status"] == "queued");
  pid_t first_pid = f.os.last_pid();
  std::vector<AgentProcess> rows;
  REQUIRE(f.store->ListAgentProcesses(&rows).ok());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].node_id == "a");
  std::vector<Event> committed;
  f.store->SetCommitListener([&](const Event& ev) { committed.push_back(ev); });

  REQUIRE(f.store->Heartbeat("a", 1).ok());
  bool won = false;
  REQUIRE(f.store->ClaimNode("a", 2, "b", &won, &rows).ok());
  REQUIRE(won);
  CHECK(claimer.ReclaimFrom(rows) == 1);
  Json ended = f.Task(task);
  CHECK(ended["status"] == "stopped");
  CHECK(ended["error"] == "the node running it stopped responding");
  CHECK(f.os.signals().empty());  // the dead node's group is never signalled
  CHECK(claimer.running() == 1);  // the queued prompt runs on the claimer
  CHECK(f.os.last_pid() != first_pid);
  CHECK(claimer.ReclaimFrom(rows) == 0);  // ended already: nothing written again

  size_t writes = committed.size();
  for (const Event& ev : std::vector<Event>(committed)) f.tasks->OnDelivered(ev);
  CHECK(f.os.signals() == std::vector<std::pair<pid_t, int>>{{-first_pid, SIGTERM}});
  CHECK(f.tasks->running() == 0);
  CHECK(f.tasks->orphans() == 1);
  f.loop.RunDelayed();  // the grace is over
  REQUIRE(f.loop.RunUntil([&] { return f.tasks->orphans() == 0; }));
  CHECK(committed.size() == writes);  // the orphan writes nothing
  CHECK(f.Task(task)["status"] == "stopped");
}

}  // namespace
}  // namespace agor
