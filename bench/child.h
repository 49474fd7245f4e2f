// Child processes: spawn a program with extra environment, a working directory and its output
// in files; wait for it with a time bound; stop it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace agor::bench {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // "K=V" added to this process's environment
  std::string cwd;                // empty: this process's
  std::string stdout_path;        // files created (truncated) for the child's output
  std::string stderr_path;
};

// Starts the child (stdin /dev/null); -1 when fork fails. exec failures show as exit code 127.
pid_t Spawn(const SpawnSpec& spec);

// Waits up to timeout_ms for pid to exit: its exit code (128 + signal when killed), or -1 when
// it still runs.
int WaitExit(pid_t pid, int64_t timeout_ms);
// True while pid has not exited (reaps it when it has; the code is then lost).
bool IsRunning(pid_t pid);
// SIGTERM, then SIGKILL after grace_ms; always reaps.
void Terminate(pid_t pid, int64_t grace_ms);

// The last max_bytes of a file ("" when unreadable).
std::string FileTail(const std::string& path, size_t max_bytes = 2000);

}  // namespace agor::bench
