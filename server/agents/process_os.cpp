#include "server/agents/process_os.h"

#include <dirent.h>
#include <fcntl.h>
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

extern char** environ;

namespace agor {
namespace {

// What the child reports through its close-on-exec pipe when it cannot become the agent.
enum ChildStage : int { kChdir = 1, kExec = 2 };
constexpr int kReportFd = 3;  // the pipe's write end in the child

[[noreturn]] void ReportAndExit(int stage) {
  const int report[2] = {stage, errno};
  ssize_t ignored = write(kReportFd, report, sizeof report);
  (void)ignored;
  _exit(127);
}

// The fds, paths and vectors the child needs, all made before fork: after it, only
// async-signal-safe calls.
struct ChildArgs {
  int in, out, err, report;
  const char* path;
  const char* cwd;  // nullptr: stay in the daemon's directory
  char* const* argv;
  char* const* envp;
};

// In the forked child: only async-signal-safe calls until exec. The parent forked with every
// signal blocked, so no handler of the daemon's (asio's SIGTERM handler writes to the
// daemon's self-pipe) can run here: reset the dispositions, then unblock.
[[noreturn]] void ExecChild(const ChildArgs& a) {
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD}) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setpgid(0, 0);
  // The direct child dies with the daemon; its descendants are killed by the next daemon,
  // which finds their process group in the store (TaskManager::RecoverAfterRestart).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(a.in, 0);
  dup2(a.out, 1);
  dup2(a.err, 2);
  dup2(a.report, kReportFd);
  fcntl(kReportFd, F_SETFD, FD_CLOEXEC);  // closed by a successful exec: the parent reads EOF
  // The daemon's sockets (the listening one included) must not leak into agents: an agent
  // outliving the daemon would keep its port. Not every library opens fds with O_CLOEXEC.
  if (close_range(kReportFd + 1, ~0U, 0) != 0) {
    for (int fd = kReportFd + 1; fd < 65536; ++fd) close(fd);
  }
  if (a.cwd != nullptr && chdir(a.cwd) != 0) ReportAndExit(kChdir);
  execve(a.path, a.argv, a.envp);
  ReportAndExit(kExec);
}

// The daemon's environment with PWD naming the agent's directory: shells and tools trust
// PWD when it names their working directory, and the daemon's own would be stale.
std::vector<std::string> ChildEnvironment(const std::string& cwd) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (strncmp(*e, "PWD=", 4) != 0) env.emplace_back(*e);
  }
  if (!cwd.empty()) env.push_back("PWD=" + cwd);
  return env;
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Blocks until the child execs (EOF) or reports why it could not; reaps it in that case.
Status AwaitExec(pid_t child, int report_fd, const std::string& path, const std::string& cwd) {
  int report[2] = {0, 0};
  ssize_t n;
  do {
    n = read(report_fd, report, sizeof report);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof report)) return Status::OK();
  waitpid(child, nullptr, 0);
  if (report[0] == kChdir) {
    return Status::GeneralError("cannot enter the working directory '" + cwd +
                                "': " + strerror(report[1]));
  }
  return Status::GeneralError("cannot execute '" + path + "': " + strerror(report[1]));
}

std::string ReadStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  return line;
}

class RealOs final : public ProcessOs {
 public:
  Status Spawn(const std::string& path, const std::vector<std::string>& argv,
               const std::string& cwd, int in, int out, int err, pid_t* pid) override {
    std::vector<char*> args = Pointers(argv);
    std::vector<std::string> env_strings = ChildEnvironment(cwd);
    std::vector<char*> env = Pointers(env_strings);
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0)
      return Status::GeneralError(std::string("pipe: ") + strerror(errno));
    ChildArgs a{in,          out,          err,
                report[1],   path.c_str(), cwd.empty() ? nullptr : cwd.c_str(),
                args.data(), env.data()};
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t child = fork();
    if (child == 0) ExecChild(a);
    const int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    close(report[1]);
    if (child < 0) {
      close(report[0]);
      return Status::GeneralError(std::string("fork: ") + strerror(fork_errno));
    }
    setpgid(child, child);  // also here, so a kill of the group works before the child runs
    Status s = AwaitExec(child, report[0], path, cwd);
    close(report[0]);
    if (s.ok()) *pid = child;
    return s;
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
