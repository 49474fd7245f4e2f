// TerminalProcess: `agor <args...>` with stdout and stderr on a pseudo-terminal (stdin
// /dev/null), so the program under test sees isatty(1) and prints for a person: the tests of
// terminal output (tables, escaping, streamed text) read back exactly what a terminal would
// have received. Waits are on output or exit with a timeout, never sleeps.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "tests/support/daemon.h"

namespace agor::test {

class TerminalProcess {
 public:
  // Starts AGOR_BINARY with `args`, the test's environment plus `env` ("K=V"), on a new pty
  // of `columns` columns.
  TerminalProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                  int columns = 80);
  // Kills (SIGKILL) and reaps the child if it still runs.
  ~TerminalProcess();
  TerminalProcess(const TerminalProcess&) = delete;
  TerminalProcess& operator=(const TerminalProcess&) = delete;

  // The next line the terminal received (without "\r\n"); false after timeout_ms or at EOF.
  bool ReadLine(std::string* line, int timeout_ms);
  // Everything until the child closes the terminal (at most timeout_ms), CR LF read as LF.
  std::string ReadAll(int timeout_ms);
  void Signal(int sig);
  // The exit code (128+signal when killed), or -1 after timeout_ms.
  int Wait(int timeout_ms);

 private:
  bool Fill(int timeout_ms);

  int master_ = -1;
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string buffer_;  // read, CR LF already made LF, not yet returned
  bool eof_ = false;
};

// Runs `agor <args...>` on a terminal to its end: exit code and what it printed (out).
RunResult RunOnTerminal(const std::vector<std::string>& args, const std::vector<std::string>& env,
                        int columns = 80);

}  // namespace agor::test
