#include "tests/support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace agor::test {
namespace {

namespace fs = std::filesystem;

// The newest installed major version's programs (Debian keeps one folder per major version).
std::string FindBinaries() {
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(entry.path() / "bin" / "postgres")) {
      best_version = version;
      best = (entry.path() / "bin").string();
    }
  }
  if (best.empty()) throw std::runtime_error("no PostgreSQL in /usr/lib/postgresql/*/bin");
  return best;
}

// A loopback port nobody listens on now (the server may still lose it to a race: TryStart
// then fails and the constructor takes another).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot pick a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

std::string Tail(const std::string& path, size_t max) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  return s.size() > max ? s.substr(s.size() - max) : s;
}

// The status line of postmaster.pid (its 8th) says "ready" once connections are accepted.
bool PidFileSaysReady(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (n == 8) return line.rfind("ready", 0) == 0;
  }
  return false;
}

// Memory (tmpfs) when it has room, else /tmp: on this machine's ext4 a cluster's copy (~1,000
// files, 40 MB) costs 0.85 s of system time, on tmpfs 0.09 s, and the server writes there too.
// A container's /dev/shm is often 64 MB: too small for a few servers, so /tmp then.
std::string TempRoot() {
  struct statvfs fs;
  constexpr unsigned long long kRoom = 2ull << 30;
  if (statvfs("/dev/shm", &fs) == 0 &&
      static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize >= kRoom) {
    return "/dev/shm";
  }
  return "/tmp";
}

}  // namespace

PostgresServer::PostgresServer() : bin_(FindBinaries()) {
  std::string tmpl = TempRoot() + "/agor-pg-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  try {
    const bool copied = CopyKeptCluster();
    if (!copied) RunInitDb(dir_ + "/data");
    bool started = false;
    // Another port on each attempt: the one picked may have been taken before the server bound it.
    for (int attempt = 0; attempt < 5 && !started; ++attempt) {
      port_ = FreePort();
      started = TryStart();
    }
    if (!started) throw std::runtime_error(Failure("the server did not start"));
    if (copied) {
      databases_ = 1;  // the kept cluster has `agor`
    } else {
      CreateDatabase("agor");
      KeepCluster();
    }
  } catch (...) {
    if (pid_ > 0) Stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

PostgresServer::~PostgresServer() {
  if (pid_ > 0) Stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

PostgresServer& PostgresServer::Shared() {
  static PostgresServer server;
  return server;
}

std::string PostgresServer::UrlOf(const std::string& database) const {
  return "postgresql://agor@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::CreateDatabase(const std::string& prefix) {
  std::string name;
  for (char c : prefix) name += std::isalnum(static_cast<unsigned char>(c)) ? std::tolower(c) : '_';
  if (databases_++ > 0) name += "_" + std::to_string(databases_);
  int code = RunAsServerUser(
      {bin_ + "/createdb", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "agor", name},
      dir_ + "/createdb.log");
  if (code != 0) {
    throw std::runtime_error("createdb " + name + " failed:\n" +
                             Tail(dir_ + "/createdb.log", 4000));
  }
  return UrlOf(name);
}

void PostgresServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGQUIT);  // immediate shutdown: what `pg_ctl -m immediate stop` sends
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void PostgresServer::Start() {
  if (pid_ > 0) return;
  if (!TryStart()) throw std::runtime_error(Failure("the server did not restart"));
}

// initdb costs a second or more and ctest starts a server in every case's process: the first
// cluster made (with `agor` created) is kept in TempRoot(), per major version, initdb options and
// user, and later servers copy it, in less than half the time. The copy is renamed into place
// whole, so a reader never sees half of it. False when there is none to copy.
std::string PostgresServer::KeptClusterPath() const {
  return TempRoot() + "/agor-pg-cluster-" + fs::path(bin_).parent_path().filename().string() +
         "-v1-" + std::to_string(geteuid());
}

bool PostgresServer::CopyKeptCluster() {
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (!pw) throw std::runtime_error("running as root and there is no `postgres` user");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
  }
  const std::string kept = KeptClusterPath();
  if (!fs::exists(kept + "/PG_VERSION")) return false;
  if (RunAsServerUser({"/bin/cp", "-a", kept, dir_ + "/data"}, dir_ + "/copy.log") == 0)
    return true;
  std::error_code ec;
  fs::remove_all(dir_ + "/data", ec);  // the kept cluster went away meanwhile: make one afresh
  return false;
}

// Stops the server cleanly (a fast shutdown writes a checkpoint, so a copy needs no recovery),
// copies its cluster and starts it again.
void PostgresServer::KeepCluster() {
  kill(pid_, SIGINT);
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  const std::string made = dir_ + "/kept";
  if (RunAsServerUser({"/bin/cp", "-a", dir_ + "/data", made}, dir_ + "/copy.log") == 0) {
    std::error_code ec;
    fs::rename(made, KeptClusterPath(), ec);  // fails when another process kept one first
    fs::remove_all(made, ec);
  }
  Start();
}

void PostgresServer::RunInitDb(const std::string& data) {
  int code = RunAsServerUser({bin_ + "/initdb", "-A", "trust", "-U", "agor", "-D", data, "-E",
                              "UTF8", "--no-locale", "--no-sync"},
                             dir_ + "/initdb.log");
  if (code != 0) throw std::runtime_error("initdb failed:\n" + Tail(dir_ + "/initdb.log", 4000));
}

bool PostgresServer::TryStart() {
  pid_ = Spawn({bin_ + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                "synchronous_commit=off", "-c", "full_page_writes=off"},
               dir_ + "/server.log");
  if (WaitReady()) return true;
  Stop();
  return false;
}

bool PostgresServer::WaitReady() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (PidFileSaysReady(dir_ + "/data/postmaster.pid")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a file, with a deadline
  }
  return false;
}

int PostgresServer::RunAsServerUser(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = Spawn(argv, log);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Forks `argv` in the temporary folder, as `postgres` when this process is root, output to
// `log`; the child gets SIGQUIT when this thread dies (see the header). What the child needs is
// prepared before fork: between fork and exec only async-signal-safe calls are allowed.
pid_t PostgresServer::Spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  passwd* pw = geteuid() == 0 ? getpwnam("postgres") : nullptr;
  uid_t uid = pw ? pw->pw_uid : 0;
  gid_t gid = pw ? pw->pw_gid : 0;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int in = open("/dev/null", O_RDONLY);
  if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
  if (chdir(dir_.c_str()) != 0) _exit(126);
  if (uid != 0 && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
  // After setuid: a change of credentials clears the parent-death signal.
  if (prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || getppid() != parent) _exit(126);
  execv(args[0], args.data());
  _exit(127);
}

std::string PostgresServer::Failure(const std::string& what) const {
  return what + " (folder " + dir_ + ", port " + std::to_string(port_) + "); its log:\n" +
         Tail(dir_ + "/server.log", 4000);
}

}  // namespace agor::test
