// ChildProcess: a long-running program under test (e.g. `agor watch`), with its stdout and stderr
// piped so a test can wait for its lines with a timeout instead of sleeping.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace agor::test {

class ChildProcess {
 public:
  // Starts argv (argv[0] is a path) with extra environment entries ("K=V"); stdin is /dev/null.
  // Without pipe_stderr the child writes to the test's stderr (a daemon's logs must not fill
  // a pipe nobody reads).
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const std::vector<std::string>& env = {}, bool pipe_stderr = true);
  // Kills (SIGKILL) and reaps the child if it still runs.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next complete stdout line (without "\n"); false when none came within timeout_ms or
  // stdout ended first.
  bool ReadLine(std::string* line, int timeout_ms);
  // Same for stderr.
  bool ReadErrLine(std::string* line, int timeout_ms);
  // All of stderr so far (lines ReadErrLine returned, then the rest available now), without
  // waiting and without consuming anything ReadErrLine has yet to return.
  std::string ErrSoFar();

  void Signal(int sig);
  // Waits for the exit: the exit code (128+signal when killed), or -1 after timeout_ms.
  int Wait(int timeout_ms);

 private:
  struct Stream {
    int fd = -1;
    std::string buffer;  // read but not yet returned
    bool eof = false;
  };
  bool ReadLineFrom(Stream* stream, std::string* line, int timeout_ms);
  static bool Fill(Stream* stream, int timeout_ms);

  pid_t pid_ = -1;
  int exit_code_ = -1;
  Stream out_;
  Stream err_;
  std::string err_seen_;
};

// Starts `agor serve --port <port> --db <db_path> <extra...>` (port 0 picks one) and waits
// for its "listening" line; `url` gets "http://127.0.0.1:PORT". Used to restart a daemon on the
// same port and database, which test::Daemon (always --port 0) cannot do.
class ServeProcess {
 public:
  ServeProcess(int port, const std::string& db_path, const std::vector<std::string>& extra = {});
  const std::string& url() const { return url_; }
  // The admin's API key from the `admin-credentials` file beside the database ("" if none).
  const std::string& token() const { return token_; }
  ChildProcess& process() { return process_; }

 private:
  ChildProcess process_;
  std::string url_;
  std::string token_;
};

}  // namespace agor::test
