// Tests of server/agents/process_supervisor and process_os: killing the process groups a dead
// daemon left (with a fake ProcessOs for the pid-reuse guard, and for real), the /proc stat
// parser, and the order of a real agent's lines, end of output and exit.
#include "server/agents/process_supervisor.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

namespace agor {
namespace {

// A ProcessOs whose processes are a table the test writes; it records the signals sent.
class FakeOs : public ProcessOs {
 public:
  std::map<pid_t, ProcessInfo> processes;  // by pid
  std::map<pid_t, pid_t> groups;           // pid -> its process group
  std::vector<std::pair<pid_t, int>> kills;

  Status Spawn(const std::string&, const std::vector<std::string>&, const std::string&, int, int,
               int, pid_t*) override {
    return Status::GeneralError("fork: Resource temporarily unavailable");
  }
  int Kill(pid_t pid, int sig) override {
    kills.emplace_back(pid, sig);
    return 0;
  }
  pid_t WaitPid(pid_t, int*, int) override { return 0; }
  int64_t StartTime(pid_t pid) override {
    auto it = processes.find(pid);
    return it == processes.end() ? -1 : it->second.start_time;
  }
  std::vector<ProcessInfo> GroupMembers(pid_t pgid) override {
    std::vector<ProcessInfo> out;
    for (const auto& [pid, group] : groups) {
      if (group == pgid) out.push_back(processes[pid]);
    }
    return out;
  }
  void Add(pid_t pid, pid_t group, int64_t start) {
    processes[pid] = {pid, start};
    groups[pid] = group;
  }
};

ProcessSupervisor::Post Drop() {
  return [](std::function<void()>) {};
}

TEST_CASE("supervisor: a left-behind group is killed when its id is still the agent's") {
  FakeOs os;
  ProcessSupervisor supervisor(Drop(), 1 << 20, 256, &os);
  SECTION("the leader still runs, started when recorded") {
    os.Add(4000, 4000, 500);
    os.Add(4001, 4000, 510);
    CHECK(supervisor.KillLeftBehind(4000, 500));
  }
  SECTION("the leader is gone (it died with the daemon); its children remain") {
    os.Add(4001, 4000, 510);
    os.Add(4002, 4000, 500);
    CHECK(supervisor.KillLeftBehind(4000, 500));
  }
  CHECK(os.kills == std::vector<std::pair<pid_t, int>>{{-4000, SIGKILL}});
}

TEST_CASE("supervisor: a group id that now names another program's group is left alone") {
  FakeOs os;
  ProcessSupervisor supervisor(Drop(), 1 << 20, 256, &os);
  SECTION("a process with the id runs, started at another time") {
    os.Add(4000, 4000, 900);
    os.Add(4001, 4000, 910);
    CHECK_FALSE(supervisor.KillLeftBehind(4000, 500));
  }
  SECTION("a member is older than the recorded leader") {
    os.Add(4001, 4000, 499);
    CHECK_FALSE(supervisor.KillLeftBehind(4000, 500));
  }
  SECTION("the group is empty") {
    os.Add(4001, 7, 600);
    CHECK_FALSE(supervisor.KillLeftBehind(4000, 500));
  }
  SECTION("ids that are never an agent's group") {
    os.Add(1, 1, 0);
    CHECK_FALSE(supervisor.KillLeftBehind(1, 0));
    CHECK_FALSE(supervisor.KillLeftBehind(0, 0));
    CHECK_FALSE(supervisor.KillLeftBehind(-5, 0));
  }
  CHECK(os.kills.empty());
}

TEST_CASE("supervisor: a failed spawn is reported through the seam") {
  FakeOs os;
  ProcessSupervisor supervisor(Drop(), 1 << 20, 256, &os);
  pid_t pid = -1;
  Status s = supervisor.Start({{"/bin/true"}, "", "", ""}, {}, &pid);
  CHECK(s.code() == Code::kGeneralError);
  CHECK(s.message() == "fork: Resource temporarily unavailable");
  CHECK(pid == -1);
}

TEST_CASE("process os: /proc stat lines, whatever the command name holds") {
  pid_t pgrp = 0;
  int64_t start = 0;
  std::string tail = " 1 2 3 4 5 6 7 8 20 0 1 0 123456789 1000 200";  // fields 10 to 24
  CHECK(ParseProcStat("42 (sleep) S 1 42 42 0 -1 4194560" + tail, &pgrp, &start));
  CHECK(pgrp == 42);
  CHECK(start == 123456789);
  CHECK(ParseProcStat("43 (a) S 1 2 (b) R 5 77 77 0 -1 4194560" + tail, &pgrp, &start));
  CHECK(pgrp == 77);
  CHECK_FALSE(ParseProcStat("", &pgrp, &start));
  CHECK_FALSE(ParseProcStat("44 (x) S 1 44", &pgrp, &start));
  CHECK_FALSE(ParseProcStat("45 (x) S 1 x 45 0 -1 4194560" + tail, &pgrp, &start));
}

TEST_CASE("process os: the real one sees this process and its group") {
  ProcessOs* os = RealProcessOs();
  CHECK(os->StartTime(getpid()) > 0);
  CHECK(os->StartTime(0) == -1);
  bool found = false;
  for (const ProcessInfo& p : os->GroupMembers(getpgrp())) found |= p.pid == getpid();
  CHECK(found);
}

// The daemon's loop, for a test: posted functions run when the test thread takes them.
class PostQueue {
 public:
  ProcessSupervisor::Post post() {
    return [this](std::function<void()> fn) {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(fn));
      cv_.notify_all();
    };
  }
  // Runs posted functions until `done` or 10 s.
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

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

TEST_CASE("supervisor: lines, then the end of stdout, then the exit with stderr's bytes") {
  PostQueue loop;
  ProcessSupervisor supervisor(loop.post());
  std::vector<std::string> seen;
  ProcessCallbacks cb;
  cb.on_line = [&](std::string line, bool) { seen.push_back("line " + line); };
  cb.on_eof = [&] { seen.push_back("eof"); };
  cb.on_exit = [&](int status, std::string tail) {
    seen.push_back("exit " + std::to_string(WEXITSTATUS(status)) + " " + tail);
  };
  pid_t pid = -1;
  const char* script =
      "read p; echo \"got $p\"; printf '\\377err'>&2; exec 1>&-; sleep 0.1; exit 4";
  REQUIRE(supervisor.Start({{"/bin/sh", "-c", script}, "hi", "", ""}, cb, &pid).ok());
  REQUIRE(loop.RunUntil([&] { return seen.size() == 3; }));
  CHECK(seen == std::vector<std::string>{"line got hi", "eof",
                                         "exit 4 \xff"
                                         "err"});
}

TEST_CASE("supervisor: KillLeftBehind kills a real agent's children, not only the agent") {
  PostQueue loop;
  ProcessSupervisor supervisor(loop.post());
  std::string child;
  bool exited = false;
  ProcessCallbacks cb;
  cb.on_line = [&](std::string line, bool) { child = line; };
  cb.on_exit = [&](int, std::string) { exited = true; };
  pid_t pid = -1;
  REQUIRE(supervisor.Start({{"/bin/sh", "-c", "sleep 300 & echo $!; wait"}, "", "", ""}, cb, &pid)
              .ok());
  REQUIRE(loop.RunUntil([&] { return !child.empty(); }));
  int64_t start = supervisor.StartTime(pid);
  CHECK(start > 0);
  CHECK_FALSE(supervisor.KillLeftBehind(pid, start + 1));  // another start: not ours
  CHECK(supervisor.KillLeftBehind(pid, start));
  REQUIRE(loop.RunUntil([&] { return exited; }));
  for (int i = 0; i < 500 && RealProcessOs()->StartTime(std::stoi(child)) >= 0; ++i) {
    std::ifstream stat("/proc/" + child + "/stat");
    std::string line;
    std::getline(stat, line);
    if (line.find(") Z ") != std::string::npos) break;  // killed; its parent has not reaped it
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::ifstream stat("/proc/" + child + "/stat");
  std::string line;
  CHECK((!std::getline(stat, line) || line.find(") Z ") != std::string::npos));
}

// A fresh directory under /tmp, removed (with what the test put in it) at the end.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/tmp/agor-spawn-XXXXXX";
    path = mkdtemp(tmpl) ? tmpl : "";
  }
  ~ScratchDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string File(const std::string& name, const std::string& text, int mode) {
    std::string file = path + "/" + name;
    std::ofstream(file) << text;
    chmod(file.c_str(), mode);
    return file;
  }
};

TEST_CASE("supervisor: an agent runs in its directory, with PWD naming it") {
  ScratchDir dir;
  PostQueue loop;
  ProcessSupervisor supervisor(loop.post());
  std::vector<std::string> lines;
  bool exited = false;
  ProcessCallbacks cb;
  cb.on_line = [&](std::string line, bool) { lines.push_back(line); };
  cb.on_exit = [&](int, std::string) { exited = true; };
  pid_t pid = -1;
  ProcessSpec spec{{"sh", "-c", "pwd -P; printf '%s\\n' \"$PWD\""}, "", "/bin/sh", dir.path};
  REQUIRE(supervisor.Start(spec, cb, &pid).ok());
  REQUIRE(loop.RunUntil([&] { return exited; }));
  char real[PATH_MAX];
  REQUIRE(realpath(dir.path.c_str(), real) != nullptr);
  CHECK(lines == std::vector<std::string>{real, dir.path});
}

TEST_CASE("supervisor: why an agent could not start comes from the child itself") {
  ScratchDir dir;
  PostQueue loop;
  ProcessSupervisor supervisor(loop.post());
  pid_t pid = -1;
  auto start = [&](const std::string& path, const std::string& cwd) {
    return supervisor.Start({{path}, "", path, cwd}, {}, &pid);
  };
  Status s = start("/bin/true", dir.path + "/gone");
  CHECK(s.message() ==
        "cannot enter the working directory '" + dir.path + "/gone': No such file or directory");
  std::string plain = dir.File("plain", "echo hi\n", 0644);
  CHECK(start(plain, "").message() == "cannot execute '" + plain + "': Permission denied");
  std::string garbage = dir.File("garbage", "echo no shebang\n", 0755);  // execve: ENOEXEC
  CHECK(start(garbage, "").message() == "cannot execute '" + garbage + "': Exec format error");
  std::string orphan_script = dir.File("script", "#!/nonexistent/interpreter\n", 0755);
  CHECK(start(orphan_script, "").message() ==
        "cannot execute '" + orphan_script + "': No such file or directory");
  CHECK(pid == -1);
  CHECK(waitpid(-1, nullptr, WNOHANG) <= 0);  // every failed child was reaped: no zombie
}

}  // namespace
}  // namespace agor
