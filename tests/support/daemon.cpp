#include "tests/support/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "base/status.h"

namespace agor::test {
namespace {

std::vector<char*> CArgs(const std::vector<std::string>& v) {
  std::vector<char*> out;
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

void ReadAll(int fd, std::string* out) {
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out->append(buf, n);
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// True when `extra` sets the variable `name` ("NAME=...").
bool Sets(const std::vector<std::string>& extra, const std::string& name) {
  for (const auto& e : extra) {
    if (e.rfind(name + "=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

AdminCredentials AdminCredentialsOf(const std::string& db_path) {
  std::filesystem::path file = std::filesystem::path(db_path).parent_path() / "admin-credentials";
  std::ifstream in(file);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, false);
  if (!j.is_object()) throw std::runtime_error("admin-credentials is not a JSON object");
  return {j.value("email", ""), j.value("password", ""), j.value("api_key", "")};
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/agor-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const std::string& input) {
  int in[2], out[2], err[2];
  if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    auto args = CArgs(argv);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  std::thread writer([&] {
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = write(in[1], input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += n;
    }
    close(in[1]);
  });
  RunResult r;
  std::thread err_reader([&] { ReadAll(err[0], &r.err); });
  ReadAll(out[0], &r.out);
  err_reader.join();
  writer.join();
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = DecodeStatus(status);
  return r;
}

Daemon::Daemon(std::vector<std::string> extra_args, const std::string& db_path,
               std::vector<std::string> env) {
  db_path_ = db_path.empty() ? dir_.path() + "/agor.db" : db_path;
  std::vector<std::string> argv = {AGOR_BINARY, "serve", "--port", "0"};
  // A node on a shared store keeps its own files (admin-credentials) in the temporary folder.
  bool shared_store =
      std::find(extra_args.begin(), extra_args.end(), "--store") != extra_args.end();
  std::vector<std::string> where = {"--db", db_path_};
  if (shared_store) where = {"--data-dir", dir_.path()};
  argv.insert(argv.end(), where.begin(), where.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  int out[2];
  if (pipe(out)) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    for (auto& e : env) putenv(const_cast<char*>(e.c_str()));
    auto args = CArgs(argv);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
  // Wait (up to 30 s) for "agor listening on http://host:port".
  std::string line;
  struct pollfd p = {stdout_fd_, POLLIN, 0};
  while (line.find('\n') == std::string::npos) {
    if (poll(&p, 1, 30000) <= 0) throw std::runtime_error("agor serve did not start");
    char c[256];
    ssize_t n = read(stdout_fd_, c, sizeof c);
    if (n <= 0) throw std::runtime_error("agor serve exited before listening");
    line.append(c, n);
  }
  auto at = line.find("http://");
  if (at == std::string::npos) throw std::runtime_error("unexpected first line: " + line);
  url_ = line.substr(at, line.find_first_of(" \n", at) - at);
  port_ = std::atoi(url_.substr(url_.rfind(':') + 1).c_str());
  // Written before the daemon listens, so it is complete now.
  admin_ = AdminCredentialsOf(db_path_);
}

int Daemon::Stop(int sig) {
  if (pid_ < 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return DecodeStatus(status);
}

Daemon::~Daemon() {
  if (pid_ > 0) Stop(SIGKILL);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

std::vector<std::string> Daemon::ClientEnv(const std::vector<std::string>& extra) const {
  std::vector<std::string> env = {"AGOR_URL=" + url_};
  if (!Sets(extra, "AGOR_TOKEN") && !token().empty()) env.push_back("AGOR_TOKEN=" + token());
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

RunResult Daemon::Cli(const std::vector<std::string>& args, const std::string& input,
                      const std::vector<std::string>& env) const {
  std::vector<std::string> argv = {AGOR_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> extra = env;
  if (!Sets(extra, "NO_COLOR")) extra.push_back("NO_COLOR=1");
  return RunProgram(argv, ClientEnv(extra), input);
}

}  // namespace agor::test
