#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "tests/support/daemon.h"

namespace agor::test {
namespace {

using Clock = std::chrono::steady_clock;

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, bool pipe_stderr) {
  int out[2], err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) || (pipe_stderr && pipe2(err, O_CLOEXEC))) {
    throw std::runtime_error("pipe failed");
  }
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out[1], 1);
    if (pipe_stderr) dup2(err[1], 2);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  out_.fd = out[0];
  if (pipe_stderr) {
    close(err[1]);
    err_.fd = err[0];
  }
}

ChildProcess::~ChildProcess() {
  if (exit_code_ < 0 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_.fd >= 0) close(out_.fd);
  if (err_.fd >= 0) close(err_.fd);
}

// Reads what is available on stream->fd, waiting up to timeout_ms for the first bytes.
bool ChildProcess::Fill(Stream* stream, int timeout_ms) {
  if (stream->fd < 0 || stream->eof) return false;
  struct pollfd p = {stream->fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char buf[65536];
  ssize_t n = read(stream->fd, buf, sizeof buf);
  if (n <= 0) {
    stream->eof = true;
    return false;
  }
  stream->buffer.append(buf, static_cast<size_t>(n));
  return true;
}

bool ChildProcess::ReadLineFrom(Stream* stream, std::string* line, int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t end = stream->buffer.find('\n');
    if (end != std::string::npos) {
      *line = stream->buffer.substr(0, end);
      stream->buffer.erase(0, end + 1);
      return true;
    }
    if (!Fill(stream, MillisLeft(deadline)) && (stream->eof || MillisLeft(deadline) == 0)) {
      return false;
    }
  }
}

bool ChildProcess::ReadLine(std::string* line, int timeout_ms) {
  return ReadLineFrom(&out_, line, timeout_ms);
}

bool ChildProcess::ReadErrLine(std::string* line, int timeout_ms) {
  bool ok = ReadLineFrom(&err_, line, timeout_ms);
  if (ok) err_seen_ += *line + "\n";
  return ok;
}

std::string ChildProcess::ErrSoFar() {
  while (Fill(&err_, 0)) {
  }
  return err_seen_ + err_.buffer;
}

void ChildProcess::Signal(int sig) {
  if (exit_code_ < 0) kill(pid_, sig);
}

int ChildProcess::Wait(int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (exit_code_ < 0) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_code_ = DecodeStatus(status);
      break;
    }
    if (MillisLeft(deadline) == 0) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

ServeProcess::ServeProcess(int port, const std::string& db_path,
                           const std::vector<std::string>& extra)
    : process_(
          [&] {
            std::vector<std::string> argv = {AGOR_BINARY,          "serve", "--port",
                                             std::to_string(port), "--db",  db_path};
            argv.insert(argv.end(), extra.begin(), extra.end());
            return argv;
          }(),
          {}, /*pipe_stderr=*/false) {
  std::string line;
  if (!process_.ReadLine(&line, 30000)) throw std::runtime_error("agor serve did not start");
  size_t at = line.find("http://");
  if (at == std::string::npos) throw std::runtime_error("unexpected first line: " + line);
  url_ = line.substr(at, line.find_first_of(" \n", at) - at);
  token_ = ReadAdminCredentials(db_path).api_key;  // written before the daemon listens
}

}  // namespace agor::test
