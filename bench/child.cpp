#include "bench/child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bench/event_loop.h"

namespace agor::bench {
namespace {

[[noreturn]] void ExecChild(const SpawnSpec& spec) {
  int in = open("/dev/null", O_RDONLY);
  int out = open(spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = open(spec.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0) _exit(127);
  dup2(in, 0), dup2(out, 1), dup2(err, 2);
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) _exit(127);
  for (const std::string& kv : spec.env) putenv(const_cast<char*>(kv.c_str()));
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  _exit(127);
}

int ExitCode(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

pid_t Spawn(const SpawnSpec& spec) {
  pid_t pid = fork();
  if (pid == 0) ExecChild(spec);
  return pid;
}

int WaitExit(pid_t pid, int64_t timeout_ms) {
  int64_t deadline = NowNs() + timeout_ms * kNsPerMs;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return ExitCode(status);
    if (r < 0) return 0;  // already reaped
    if (NowNs() >= deadline) return -1;
    usleep(10000);
  }
}

bool IsRunning(pid_t pid) {
  return WaitExit(pid, 0) == -1;
}

void Terminate(pid_t pid, int64_t grace_ms) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  if (WaitExit(pid, grace_ms) != -1) return;
  kill(pid, SIGKILL);
  WaitExit(pid, 5000);
}

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

}  // namespace agor::bench
