// Daemon: starts the real `agor serve` binary on an ephemeral port with a temporary database,
// for end-to-end tests. Waits for the daemon's "listening on <url>" line (an event, not a
// sleep) and kills the process on destruction.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace agor::test {

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Result of running a program to completion.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) with extra environment entries ("K=V") and `input` on stdin.
RunResult RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                     const std::string& input = "");

class Daemon {
 public:
  // Starts `agor serve --port 0 --db <dir>/agor.db <extra_args...>` with extra environment
  // entries ("AGOR_CLAUDE_BIN=...") added to the test's own.
  explicit Daemon(std::vector<std::string> extra_args = {}, const std::string& db_path = "",
                  std::vector<std::string> env = {});
  ~Daemon();

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& db_path() const { return db_path_; }

  // Sends `sig` and waits for the exit; returns the exit status (or 128+signal).
  int Stop(int sig);
  // Runs `agor <args...>` against this daemon (AGOR_URL set), stdout piped.
  RunResult Cli(const std::vector<std::string>& args, const std::string& input = "") const;

 private:
  TempDir dir_;
  std::string db_path_;
  std::string url_;
  int port_ = 0;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

}  // namespace agor::test
