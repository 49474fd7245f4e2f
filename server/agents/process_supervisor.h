// ProcessSupervisor: runs agent subprocesses (argv, never a shell) and reads their output
// asynchronously on ONE background thread with poll(2), however many run at once.
//
// Each process gets its own process group (so Signal reaches its children too), the prompt on
// stdin, and its stdout split into lines of at most `max_line_bytes` (a longer line is cut
// there and marked truncated, never buffered whole); of stderr only the last 2 KiB are kept.
// Lines, the end of stdout and the exit are handed to the daemon's event loop through `post`,
// in order. Backpressure: at most `max_pending_lines` lines of a process may wait on the loop;
// past that the supervisor stops reading that process's pipe (the agent blocks on write)
// until the loop has taken them.
//
// fork/exec/kill/waitpid and /proc go through a borrowed ProcessOs, time through a borrowed
// Clock (both thread-safe), so tests can swap them.
//
// Threading: Start/Signal/StartTime/KillLeftBehind may be called from any thread; callbacks
// run where `post` runs them.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "server/agents/process_os.h"

namespace agor {

struct ProcessSpec {
  std::vector<std::string> argv;
  std::string input;  // written to stdin, which is then closed
  std::string path;   // the file to exec; "" = argv[0]. No PATH lookup: see AgentPaths
  std::string cwd;    // the working directory; "" = the daemon's
};

struct ProcessCallbacks {
  // One stdout line, without its newline; `truncated` when it was cut at max_line_bytes.
  std::function<void(std::string line, bool truncated)> on_line;
  // Stdout reached EOF (after its last line); the process may still run. Optional.
  std::function<void()> on_eof;
  // The exit: `status` as from waitpid, and the last bytes of stderr (any bytes: not UTF-8
  // checked, possibly cut inside a character).
  std::function<void(int status, std::string stderr_tail)> on_exit;
};

class ProcessSupervisor {
 public:
  using Post = std::function<void(std::function<void()>)>;

  ProcessSupervisor(Post post, size_t max_line_bytes = 1 << 20, size_t max_pending_lines = 256,
                    ProcessOs* os = RealProcessOs(), Clock* clock = SystemClock());
  ~ProcessSupervisor();  // kills every process group still running, joins the thread

  // Spawns `spec`: the pid (also the process group id), or why it could not start (see
  // ProcessOs::Spawn: fork, the working directory, exec).
  Status Start(const ProcessSpec& spec, ProcessCallbacks callbacks, pid_t* pid);
  // Sends `sig` to the whole process group of `pid`.
  void Signal(pid_t pid, int sig);
  // True while process group `pgid` has a member (zombies included): an agent's background
  // children may outlive it.
  bool GroupAlive(pid_t pgid);
  // The start time of `pid` (see ProcessOs::StartTime), recorded with its group id so a
  // later daemon can tell the group from one that reused the id; -1 when it is gone.
  int64_t StartTime(pid_t pid);
  // SIGKILLs process group `pgid`, which a dead daemon left running, unless the id now
  // belongs to someone else: a process with pid `pgid` that started at another time than
  // `start_time`, or a member older than that. True when the group was signalled.
  bool KillLeftBehind(pid_t pgid, int64_t start_time);

 private:
  struct Child;
  void Loop();
  void Service(const std::shared_ptr<Child>& c, short revents, int fd);
  void Deliver(const std::shared_ptr<Child>& c, std::string line, bool truncated);
  void Reap();

  Post post_;
  size_t max_line_;
  size_t max_pending_;
  ProcessOs* os_;
  Clock* clock_;
  std::mutex mu_;
  std::map<pid_t, std::shared_ptr<Child>> children_;  // guarded by mu_
  int wake_[2] = {-1, -1};                            // self-pipe to interrupt poll
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace agor
