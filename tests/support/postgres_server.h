// PostgresServer: a real PostgreSQL server for tests, in a temporary folder (in /dev/shm when it
// has room) on a free loopback port. The constructor runs `initdb -A trust -U agor` (the Debian
// `postgresql` package's newest /usr/lib/postgresql/*/bin), starts the server with durability off
// (fsync, synchronous commit and full-page writes: a test's data need not outlive the test), waits
// until it is ready and creates the database `agor`; the destructor stops it (immediate shutdown)
// and removes the folder. Throws std::runtime_error, with the server's log, when it cannot start.
//
// The server is this process's child, started without pg_ctl, and set to get SIGQUIT (its
// immediate shutdown) when the thread that started it dies: a test that crashes leaves no
// server behind. PostgreSQL refuses to run as root: under root the server programs run as the
// `postgres` system user, with the folder handed to it.
//
// initdb costs about a second on an idle machine (several under load): the first server keeps
// its fresh cluster (with `agor`) in /dev/shm (or /tmp: see TempRoot), per PostgreSQL version and
// user, and later ones, in any process, copy it. A test binary shares one server (Shared(), to be
// called first from the main thread) and gives each test case a database of its own
// (CreateDatabase). Not thread-safe: the test's main thread drives it; the server takes any number
// of clients.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace agor::test {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // One server for the whole test binary, started on first use, stopped at exit.
  static PostgresServer& Shared();

  int port() const { return port_; }
  // The postmaster while it runs (its backends are its children), else -1.
  pid_t pid() const { return pid_; }
  // "postgresql://agor@127.0.0.1:PORT/agor"; UrlOf("x") names database x instead.
  std::string url() const { return UrlOf("agor"); }
  std::string UrlOf(const std::string& database) const;

  // Creates a fresh database named `prefix` plus a counter and returns its URL.
  std::string CreateDatabase(const std::string& prefix);

  // Stop: immediate shutdown, like a crash (clients lose their connections). Start: the same
  // data on the same port again.
  void Stop();
  void Start();

 private:
  // A cluster made once and copied by later servers (see CopyKeptCluster).
  std::string KeptClusterPath() const;
  bool CopyKeptCluster();
  void KeepCluster();
  void RunInitDb(const std::string& data);
  bool TryStart();
  bool WaitReady();
  // Runs `argv` as the server's user with output appended to `log`; its exit code.
  int RunAsServerUser(const std::vector<std::string>& argv, const std::string& log);
  pid_t Spawn(const std::vector<std::string>& argv, const std::string& log);
  std::string Failure(const std::string& what) const;

  std::string bin_;  // the PostgreSQL programs' folder
  std::string dir_;  // the temporary folder: data/, the socket, the logs
  int port_ = 0;
  pid_t pid_ = -1;  // the postmaster while it runs
  int databases_ = 0;
};

}  // namespace agor::test
