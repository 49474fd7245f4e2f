#include "tests/support/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace agor::test {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// In the child: the pty's slave as controlling terminal, stdout and stderr; then exec.
[[noreturn]] void ExecOnSlave(const std::string& slave_name, const std::vector<std::string>& args,
                              const std::vector<std::string>& env) {
  setsid();
  int slave = open(slave_name.c_str(), O_RDWR);
  int null = open("/dev/null", O_RDONLY);
  dup2(null, 0);
  dup2(slave, 1);
  dup2(slave, 2);
  for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> argv = {const_cast<char*>(AGOR_BINARY)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

}  // namespace

TerminalProcess::TerminalProcess(const std::vector<std::string>& args,
                                 const std::vector<std::string>& env, int columns) {
  master_ = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_ < 0 || grantpt(master_) != 0 || unlockpt(master_) != 0) {
    throw std::runtime_error("cannot open a pseudo-terminal");
  }
  struct winsize size = {};
  size.ws_row = 50;
  size.ws_col = static_cast<unsigned short>(columns);
  ioctl(master_, TIOCSWINSZ, &size);
  std::string slave_name = ptsname(master_);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) ExecOnSlave(slave_name, args, env);
}

TerminalProcess::~TerminalProcess() {
  if (exit_code_ < 0 && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) close(master_);
}

// Reads what the terminal has, waiting up to timeout_ms; the slave's last close reads as EIO.
bool TerminalProcess::Fill(int timeout_ms) {
  if (eof_) return false;
  pollfd p = {master_, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char chunk[4096];
  ssize_t n = read(master_, chunk, sizeof chunk);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<size_t>(n));
  for (size_t at; (at = buffer_.find("\r\n")) != std::string::npos;) buffer_.erase(at, 1);
  return true;
}

bool TerminalProcess::ReadLine(std::string* line, int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t end = buffer_.find('\n');
    if (end != std::string::npos) {
      *line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return true;
    }
    if (!Fill(MillisLeft(deadline)) && (eof_ || MillisLeft(deadline) == 0)) return false;
  }
}

std::string TerminalProcess::ReadAll(int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!eof_ && MillisLeft(deadline) > 0) Fill(MillisLeft(deadline));
  std::string all = std::move(buffer_);
  buffer_.clear();
  return all;
}

void TerminalProcess::Signal(int sig) {
  if (exit_code_ < 0) kill(pid_, sig);
}

int TerminalProcess::Wait(int timeout_ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (exit_code_ < 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (MillisLeft(deadline) == 0) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

RunResult RunOnTerminal(const std::vector<std::string>& args, const std::vector<std::string>& env,
                        int columns) {
  TerminalProcess terminal(args, env, columns);
  RunResult result;
  result.out = terminal.ReadAll(30000);
  result.exit_code = terminal.Wait(30000);
  return result;
}

}  // namespace agor::test
