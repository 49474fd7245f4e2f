#include "server/agents/process_os.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace agor {
namespace {

// In the forked child: only async-signal-safe calls until exec. The parent forked with every
// signal blocked, so no handler of the daemon's (asio's SIGTERM handler writes to the
// daemon's self-pipe) can run here: reset the dispositions, then unblock.
[[noreturn]] void ExecChild(int in, int out, int err, const char* path, char* const* argv) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD}) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  // The direct child dies with the daemon; its descendants are killed by the next daemon,
  // which finds their process group in the store (TaskManager::RecoverAfterRestart).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(in, 0);
  dup2(out, 1);
  dup2(err, 2);
  // The daemon's sockets (the listening one included) must not leak into agents: an agent
  // outliving the daemon would keep its port. Not every library opens fds with O_CLOEXEC.
  if (close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 65536; ++fd) close(fd);
  }
  execv(path, argv);
  const char msg[] = "exec failed\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  _exit(127);
}

std::string ReadStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  return line;
}

class RealOs final : public ProcessOs {
 public:
  Status Spawn(const std::string& path, const std::vector<std::string>& argv, int in, int out,
               int err, pid_t* pid) override {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = fork();
    if (child == 0) ExecChild(in, out, err, path.c_str(), args.data());
    const int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (child < 0) return Status::GeneralError(std::string("fork: ") + strerror(fork_errno));
    setpgid(child, child);  // also here, so a kill of the group works before the child runs
    *pid = child;
    return Status::OK();
  }

  int Kill(pid_t pid, int sig) override { return kill(pid, sig); }

  pid_t WaitPid(pid_t pid, int* status, int options) override {
    return waitpid(pid, status, options);
  }

  int64_t StartTime(pid_t pid) override {
    pid_t pgrp = -1;
    int64_t start = -1;
    return pid > 0 && ParseProcStat(ReadStat(pid), &pgrp, &start) ? start : -1;
  }

  std::vector<ProcessInfo> GroupMembers(pid_t pgid) override;
};

// Scans /proc: O(processes on the machine), run once per recorded group at start-up.
std::vector<ProcessInfo> RealOs::GroupMembers(pid_t pgid) {
  std::vector<ProcessInfo> members;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return members;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    pid_t pgrp = -1;
    int64_t start = -1;
    if (ParseProcStat(ReadStat(static_cast<pid_t>(pid)), &pgrp, &start) && pgrp == pgid)
      members.push_back({static_cast<pid_t>(pid), start});
  }
  closedir(dir);
  return members;
}

}  // namespace

ProcessOs* RealProcessOs() {
  static RealOs os;
  return &os;
}

// "pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime
// stime cutime cstime priority nice num_threads itrealvalue starttime …": comm may hold
// spaces and parentheses, so the fields are counted from its last ')'.
bool ParseProcStat(const std::string& line, pid_t* pgrp, int64_t* start_time) {
  size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  long long value = 0;
  for (int n = 3; n <= 22; ++n) {  // field 3 is the state, the first after comm
    if (!(fields >> field)) return false;
    if (n != 5 && n != 22) continue;
    char* end = nullptr;
    errno = 0;
    value = std::strtoll(field.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') return false;
    if (n == 5) *pgrp = static_cast<pid_t>(value);
  }
  *start_time = value;
  return true;
}

}  // namespace agor
