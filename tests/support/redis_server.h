// RedisServer: a real redis-server (Debian's `redis-server` package, found on PATH) for the
// tests of the Redis client and, later, of several nodes. It runs on a free loopback port in
// a temporary folder, without persistence (--save "" --appendonly no), logging to
// <folder>/redis.log; the constructor returns once it answers PING.
//
// Stop() kills it (SIGKILL, as in a crash: clients see their connections drop) and reaps it;
// Start() brings it back on the same port, empty, for restart tests. The destructor kills,
// reaps and removes the folder. If the test process dies first, the server is killed with it
// (PR_SET_PDEATHSIG). Failures throw std::runtime_error with the log's tail.
//
// Not thread-safe: one test thread owns a RedisServer.
#pragma once

#include <sys/types.h>

#include <string>

namespace agor::test {

class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  // "redis://127.0.0.1:PORT"
  std::string url() const;
  bool running() const { return pid_ > 0; }
  // The server's process while it runs, else -1.
  pid_t pid() const { return pid_; }

  void Stop();
  // Starts it again on port(); a no-op while it runs.
  void Start();

 private:
  // Spawns redis-server on port_ and waits for PING; false if it exited first.
  bool Launch();
  std::string LogTail() const;

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A loopback port that nothing listens on right now (bound, read, released).
int FreeLoopbackPort();

}  // namespace agor::test
