#include "bench/server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/child.h"
#include "bench/event_loop.h"

namespace agor::bench {
namespace {

constexpr int64_t kStartTimeoutNs = 30 * kNsPerSec;

std::string MakeTempDir() {
  char pattern[] = "/tmp/agor-bench-XXXXXX";
  return mkdtemp(pattern) ? std::string(pattern) : std::string();
}

bool CanConnect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

// The port in "... http://127.0.0.1:PORT ..." or 0.
uint16_t PortInLine(const std::string& line) {
  size_t pos = line.find("http://127.0.0.1:");
  if (pos == std::string::npos) return 0;
  return static_cast<uint16_t>(std::atoi(line.c_str() + pos + 17));
}

}  // namespace

const char* ServerName(ServerKind kind) {
  return kind == ServerKind::kAgor ? "agor" : kind == ServerKind::kPeer ? "peer" : "nodes";
}

const char* ChannelModeName(ChannelMode mode) {
  return mode == ChannelMode::kBoards ? "boards" : "everybody";
}

uint16_t FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

Status ServerProcess::Start(ServerKind kind, ChannelMode mode, const ServerPaths& paths) {
  return Launch(kind, [&] {
    if (kind == ServerKind::kPeer) return StartPeer(mode, paths);
    return StartAgor({"--db", tmp_dir_ + "/agor.db"}, mode, paths);
  });
}

Status ServerProcess::StartNode(const std::string& store_url, const std::string& broker_url,
                                const ServerPaths& paths) {
  return Launch(ServerKind::kNodes, [&] {
    return StartAgor({"--store", store_url, "--broker", broker_url, "--data-dir", tmp_dir_},
                     ChannelMode::kBoards, paths);
  });
}

// Fresh temporary directory and credentials, then start(); on failure the logs go into the
// error and the process is stopped.
Status ServerProcess::Launch(ServerKind kind, const std::function<Status()>& start) {
  Stop();
  kind_ = kind;
  token_.clear();
  admin_email_.clear();
  admin_password_.clear();
  tmp_dir_ = MakeTempDir();
  if (tmp_dir_.empty()) return Status::GeneralError("cannot create a temporary directory");
  Status s = start();
  if (!s.ok()) {
    Status failed(s.code(), s.message() + "\n" + LogTail());
    Stop();
    return failed;
  }
  return s;
}

// `where`: the store flags (--db FILE, or --store/--broker/--data-dir for a node).
Status ServerProcess::StartAgor(const std::vector<std::string>& where, ChannelMode mode,
                                const ServerPaths& paths) {
  SpawnSpec spec;
  spec.argv = {paths.agor_binary, "serve", "--port", "0"};
  spec.argv.insert(spec.argv.end(), where.begin(), where.end());
  for (const char* arg : {"--channels", ChannelModeName(mode), "--log-level", "warn"})
    spec.argv.push_back(arg);
  spec.stdout_path = tmp_dir_ + "/stdout.log";
  spec.stderr_path = tmp_dir_ + "/stderr.log";
  pid_ = Spawn(spec);
  if (pid_ < 0) return Status::GeneralError("fork failed");
  Status s = WaitForAgorUrl();
  return s.ok() ? ReadCredentials() : s;
}

// agor writes the file before it listens: it is complete once the URL is printed. A daemon
// without authentication (older than the file) gets no token.
Status ServerProcess::ReadCredentials() {
  std::ifstream in(tmp_dir_ + "/admin-credentials");
  if (!in) return Status::OK();
  std::stringstream text;
  text << in.rdbuf();
  Json j = Json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.value("api_key", Json()).is_string())
    return Status::GeneralError("admin-credentials is not {email, password, api_key}");
  token_ = j["api_key"].get<std::string>();
  admin_email_ = j.value("email", "");
  admin_password_ = j.value("password", "");
  return Status::OK();
}

Status ServerProcess::StartPeer(ChannelMode mode, const ServerPaths& paths) {
  port_ = FreeLoopbackPort();
  if (port_ == 0) return Status::GeneralError("no free loopback port");
  SpawnSpec spec;
  spec.argv = {"node", "server.mjs"};
  spec.env = {"PORT=" + std::to_string(port_), "HOST=127.0.0.1", "DB=" + tmp_dir_ + "/peer.sqlite",
              "QUIET=1", mode == ChannelMode::kBoards ? "CHANNELS=board" : "CHANNELS=everybody"};
  spec.cwd = paths.peer_dir;
  spec.stdout_path = tmp_dir_ + "/stdout.log";
  spec.stderr_path = tmp_dir_ + "/stderr.log";
  pid_ = Spawn(spec);
  if (pid_ < 0) return Status::GeneralError("fork failed");
  return WaitForPort();
}

Status ServerProcess::WaitForAgorUrl() {
  int64_t deadline = NowNs() + kStartTimeoutNs;
  while (NowNs() < deadline) {
    std::ifstream out(tmp_dir_ + "/stdout.log");
    std::string line;
    if (std::getline(out, line) && !out.eof()) {
      port_ = PortInLine(line);
      if (port_ == 0) return Status::GeneralError("unexpected first line from agor: " + line);
      return Status::OK();
    }
    if (!IsRunning(pid_)) {
      pid_ = -1;  // reaped
      return Status::GeneralError("agor exited at startup");
    }
    usleep(10000);
  }
  return Status::GeneralError("agor did not print its URL within 30 s");
}

Status ServerProcess::WaitForPort() {
  int64_t deadline = NowNs() + kStartTimeoutNs;
  while (NowNs() < deadline) {
    if (CanConnect(port_)) return Status::OK();
    if (!IsRunning(pid_)) {
      pid_ = -1;  // reaped
      return Status::GeneralError("the peer exited at startup");
    }
    usleep(50000);
  }
  return Status::GeneralError("the peer did not accept connections within 30 s");
}

void ServerProcess::Stop() {
  if (pid_ > 0) Terminate(pid_, 10000);
  pid_ = -1;
  if (!tmp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tmp_dir_, ec);
    tmp_dir_.clear();
  }
}

std::string ServerProcess::LogTail() const {
  if (tmp_dir_.empty()) return "";
  return "--- stderr:\n" + FileTail(tmp_dir_ + "/stderr.log") + "--- stdout:\n" +
         FileTail(tmp_dir_ + "/stdout.log");
}

}  // namespace agor::bench
