// PasswordHasher: Argon2id hashes on worker threads (each through a child process of its own,
// or in-thread), answered through `post` on the thread that drains it (here the test's,
// standing in for the event loop), with a bounded queue. Runs in the TSan stage too
// (tests/CMakeLists.txt, AGOR_TSAN).
#include "server/api/password_hasher.h"

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace agor {
namespace {

// A stand-in event loop: `post` queues from any thread, Run drains on the test's thread. A
// closed gate holds a worker inside `post` (after its hash, before its next job), so a test
// can fill the queue without racing the workers.
class Loop {
 public:
  PasswordHasher::Post Poster() {
    return [this](std::function<void()> fn) {
      std::unique_lock<std::mutex> lock(mutex_);
      inbox_.push_back(std::move(fn));
      changed_.notify_all();
      if (std::this_thread::get_id() != owner_) {
        changed_.wait(lock, [&] { return gate_open_; });
      }
    };
  }
  // Runs posted callbacks on this thread until `count` have run in all.
  void RunUntil(int count) {
    while (ran_ < count) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !inbox_.empty(); });
        fn = std::move(inbox_.front());
        inbox_.pop_front();
      }
      fn();
      ++ran_;
    }
  }
  void WaitPosted(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return inbox_.size() >= count; });
  }
  void SetGate(bool open) {
    std::lock_guard<std::mutex> lock(mutex_);
    gate_open_ = open;
    changed_.notify_all();
  }
  std::thread::id owner() const { return owner_; }

 private:
  const std::thread::id owner_ = std::this_thread::get_id();
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> inbox_;
  bool gate_open_ = true;
  int ran_ = 0;  // the owner's only
};

// The directory's names (not . and ..).
std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  for (dirent* e = d ? readdir(d) : nullptr; e != nullptr; e = readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  if (d) closedir(d);
  return names;
}

// This process's children, from each thread's /proc/self/task/<tid>/children.
std::set<pid_t> Children() {
  std::set<pid_t> pids;
  for (const std::string& tid : List("/proc/self/task")) {
    std::ifstream in("/proc/self/task/" + tid + "/children");
    for (pid_t pid; in >> pid;) pids.insert(pid);
  }
  return pids;
}

// The children that appeared since `before`.
std::vector<pid_t> NewChildren(const std::set<pid_t>& before) {
  std::vector<pid_t> out;
  for (pid_t pid : Children()) {
    if (!before.count(pid)) out.push_back(pid);
  }
  return out;
}

// /proc/<pid>/stat's state letter ('Z': exited, not reaped), or '?' once it is gone.
char State(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const size_t paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? '?' : line[paren + 2];
}

// The CPU time (utime + stime, in ticks) the process has used.
long CpuTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 13; ++i) fields >> field;  // state .. cmajflt: fields 3 to 13
  fields >> utime >> stime;
  return utime + stime;
}

// Exited with every thread and its descriptors closed: a killed group leader shows 'Z' while
// its other threads (TSan starts one in a forked child) still hold the socket open.
bool Exited(pid_t pid) {
  const char state = State(pid);
  if (state != 'Z' && state != '?') return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8)) <= 1;
  }
  return true;  // gone: reaped already
}

bool Reaped(pid_t pid) {
  return waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

TEST_CASE("password hasher: hash and verify on workers, answers on the loop", "[password_hasher]") {
  const bool isolate = GENERATE(true, false);
  Loop loop;
  PasswordHasher hasher(loop.Poster(), {2, 16, isolate});
  std::string hash;
  bool matches = true, wrong = true;
  hasher.Hash("correct horse", [&](const Status& s, std::string h) {
    REQUIRE(s.ok());
    REQUIRE(std::this_thread::get_id() == loop.owner());
    hash = std::move(h);
  });
  loop.RunUntil(1);
  REQUIRE(hash.rfind("$argon2id$", 0) == 0);
  REQUIRE(hash.find("correct horse") == std::string::npos);

  hasher.Verify("correct horse", hash, [&](const Status& s, bool m) {
    REQUIRE(s.ok());
    REQUIRE(std::this_thread::get_id() == loop.owner());
    matches = m;
  });
  hasher.Verify("correct horsf", hash, [&](const Status& s, bool m) {
    REQUIRE(s.ok());
    wrong = m;
  });
  loop.RunUntil(3);
  REQUIRE(matches);
  REQUIRE_FALSE(wrong);
}

TEST_CASE("password hasher: the synchronous forms, malformed hashes never match",
          "[password_hasher]") {
  std::string a, b;
  REQUIRE(PasswordHasher::HashNow("secret-password", &a).ok());
  REQUIRE(PasswordHasher::HashNow("secret-password", &b).ok());
  REQUIRE(a != b);  // salted
  REQUIRE(PasswordHasher::VerifyNow("secret-password", a));
  REQUIRE(PasswordHasher::VerifyNow("secret-password", b));
  REQUIRE_FALSE(PasswordHasher::VerifyNow("secret-passwort", a));
  REQUIRE_FALSE(PasswordHasher::VerifyNow("", a));
  for (const std::string& bad :
       {std::string(), std::string("$argon2id$"), a.substr(0, 40), a + std::string(1, '\0') + "x",
        std::string(4096, '$'), std::string("plaintext")}) {
    REQUIRE_FALSE(PasswordHasher::VerifyNow("secret-password", bad));
  }
}

TEST_CASE("password hasher: a full queue answers Unavailable at once", "[password_hasher]") {
  Loop loop;
  loop.SetGate(false);
  PasswordHasher hasher(loop.Poster(), {1, 2});
  int ok = 0, busy = 0;
  auto count = [&](const Status& s, bool matches) {
    REQUIRE_FALSE(matches);  // "not a hash" never matches; a refusal never claims it does
    if (s.ok()) return void(++ok);
    REQUIRE(s.code() == Code::kUnavailable);
    ++busy;
  };
  hasher.Verify("x", "not a hash", count);
  loop.WaitPosted(1);  // the worker answered and now waits at the gate: it takes nothing more
  hasher.Verify("x", "not a hash", count);
  hasher.Verify("x", "not a hash", count);
  hasher.Verify("x", "not a hash", count);  // a third waiting job: over max_queued
  std::string hash_status;
  hasher.Hash("y", [&](const Status& s, std::string h) {
    hash_status = s.message();
    REQUIRE(h.empty());
  });
  loop.RunUntil(3);  // the first answer and the two refusals, without any worker's help
  REQUIRE(ok == 1);
  REQUIRE(busy == 1);
  REQUIRE(hash_status == "too many logins at once, try again");
  loop.SetGate(true);
  loop.RunUntil(5);
  REQUIRE(ok == 3);
  REQUIRE(busy == 1);
}

TEST_CASE("password hasher: every job is answered once, even when destroyed", "[password_hasher]") {
  Loop loop;
  int answered = 0;
  {
    PasswordHasher hasher(loop.Poster(), {2, 64});
    for (int i = 0; i < 6; ++i) {
      hasher.Hash("p" + std::to_string(i), [&](const Status& s, std::string h) {
        REQUIRE((s.ok() ? !h.empty() : s.code() == Code::kUnavailable));
        ++answered;
      });
    }
  }  // joined: the jobs running finished, the others were refused
  loop.RunUntil(6);
  REQUIRE(answered == 6);
}

// One Verify, answered on the loop: its status and match.
std::pair<Status, bool> VerifyAndWait(PasswordHasher* hasher, Loop* loop, int* ran,
                                      const std::string& password, const std::string& hash) {
  std::pair<Status, bool> out{Status::OK(), false};
  hasher->Verify(password, hash, [&](const Status& s, bool m) { out = {s, m}; });
  loop->RunUntil(++*ran);
  return out;
}

std::string HashAndWait(PasswordHasher* hasher, Loop* loop, int* ran, const std::string& password) {
  std::string hash;
  hasher->Hash(password, [&](const Status& s, std::string h) {
    REQUIRE(s.ok());
    hash = std::move(h);
  });
  loop->RunUntil(++*ran);
  return hash;
}

TEST_CASE("password hasher: the hashes run in a child holding no fd but its socket",
          "[password_hasher]") {
  const std::set<pid_t> before = Children();
  int pipe_fds[2];  // fds the daemon holds (a listening socket, SQLite's) the child must not
  REQUIRE(pipe(pipe_fds) == 0);
  Loop loop;
  int ran = 0;
  std::vector<pid_t> children;
  {
    PasswordHasher hasher(loop.Poster(), {1, 16});
    children = NewChildren(before);
    REQUIRE(children.size() == 1);
    const long ticks = CpuTicks(children[0]);
    const std::string hash = HashAndWait(&hasher, &loop, &ran, "correct horse");
    REQUIRE(hash.rfind("$argon2id$", 0) == 0);
    REQUIRE(HashAndWait(&hasher, &loop, &ran, "correct horse") != hash);  // salted in the child
    REQUIRE(VerifyAndWait(&hasher, &loop, &ran, "correct horse", hash).second);
    REQUIRE_FALSE(VerifyAndWait(&hasher, &loop, &ran, "correct horsf", hash).second);
    REQUIRE(CpuTicks(children[0]) > ticks);  // three Argon2id runs: tens of ms of its CPU

    const std::string fd_dir = "/proc/" + std::to_string(children[0]) + "/fd";
    const std::vector<std::string> fds = List(fd_dir);
    REQUIRE(fds.size() == 1);
    char target[64] = {};
    REQUIRE(readlink((fd_dir + "/" + fds[0]).c_str(), target, sizeof target - 1) > 0);
    REQUIRE(std::string(target).rfind("socket:", 0) == 0);
  }  // the destructor closes the socket and reaps the child: no zombie left
  REQUIRE(Reaped(children[0]));
  REQUIRE(NewChildren(before).empty());
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_CASE("password hasher: without isolation there is no child", "[password_hasher]") {
  const std::set<pid_t> before = Children();
  Loop loop;
  int ran = 0;
  PasswordHasher hasher(loop.Poster(), {2, 16, false});
  REQUIRE(NewChildren(before).empty());
  const std::string hash = HashAndWait(&hasher, &loop, &ran, "pw");
  REQUIRE(VerifyAndWait(&hasher, &loop, &ran, "pw", hash).second);
}

// One isolated worker, its child process found among this process's new children.
struct OneChild {
  const std::set<pid_t> before = Children();
  Loop loop;
  int ran = 0;
  PasswordHasher hasher{loop.Poster(), {1, 16}};
  const std::vector<pid_t> children = NewChildren(before);
};

TEST_CASE("password hasher: a killed child's worker hashes in-thread from then on",
          "[password_hasher]") {
  OneChild w;
  REQUIRE(w.children.size() == 1);
  auto& [before, loop, ran, hasher, children] = w;
  const std::string hash = HashAndWait(&hasher, &loop, &ran, "pw");
  REQUIRE(kill(children[0], SIGKILL) == 0);
  while (!Exited(children[0])) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Found dead before its job was sent: that job runs in-thread, correctly.
  auto [status, matches] = VerifyAndWait(&hasher, &loop, &ran, "pw", hash);
  REQUIRE(status.ok());
  REQUIRE(matches);
  REQUIRE(HashAndWait(&hasher, &loop, &ran, "pw2").rfind("$argon2id$", 0) == 0);
  REQUIRE(Reaped(children[0]));  // the worker reaped it when it found it gone
}

TEST_CASE("password hasher: a child killed mid-job: that job Unavailable or right, never hung",
          "[password_hasher]") {
  const std::set<pid_t> before = Children();
  Loop loop;
  int ran = 0;
  std::vector<pid_t> children;
  {
    PasswordHasher hasher(loop.Poster(), {1, 16});
    children = NewChildren(before);
    REQUIRE(children.size() == 1);
    const std::string hash = HashAndWait(&hasher, &loop, &ran, "pw");
    std::pair<Status, bool> answer{Status::OK(), false};
    hasher.Verify("pw", hash, [&](const Status& s, bool m) { answer = {s, m}; });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // likely inside the child
    REQUIRE(kill(children[0], SIGKILL) == 0);
    loop.RunUntil(++ran);
    REQUIRE((answer.first.ok() ? answer.second : answer.first.code() == Code::kUnavailable));
    auto [status, matches] = VerifyAndWait(&hasher, &loop, &ran, "pw", hash);
    REQUIRE(status.ok());
    REQUIRE(matches);
  }
  REQUIRE(Reaped(children[0]));
}

// A starved child (stopped here, as if every core were busy) is raised from SCHED_IDLE to
// SCHED_BATCH while its job waits, and lowered again once it answers.
TEST_CASE("password hasher: a child starved of CPU is raised until it answers",
          "[password_hasher]") {
  OneChild w;
  REQUIRE(w.children.size() == 1);
  auto& [before, loop, ran, hasher, children] = w;
  const pid_t child = children[0];
  const std::string hash = HashAndWait(&hasher, &loop, &ran, "pw");
  REQUIRE(sched_getscheduler(child) == SCHED_IDLE);
  REQUIRE(kill(child, SIGSTOP) == 0);
  std::pair<Status, bool> answer{Status::OK(), false};
  hasher.Verify("pw", hash, [&](const Status& s, bool m) { answer = {s, m}; });
  while (sched_getscheduler(child) != SCHED_BATCH) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(kill(child, SIGCONT) == 0);
  loop.RunUntil(++ran);
  REQUIRE(answer.first.ok());
  REQUIRE(answer.second);
  while (sched_getscheduler(child) != SCHED_IDLE) {  // lowered right after the answer
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace
}  // namespace agor
