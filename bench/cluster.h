// Cluster: agor's scale-out deployment for `agor_bench --nodes N`: a PostgreSQL and a
// redis-server of the benchmark's own (tests/support's PostgresServer and RedisServer: initdb
// into a temporary folder on a free loopback port, as a non-root user under root; durability
// off), and N `agor serve --store postgresql://... --broker redis://...` nodes on it.
//
// The PostgreSQL server is started once, on the first Start(), and kept for the benchmark's
// run; each Start() gives the nodes a fresh database and an empty Redis (restarted), so every
// scenario begins from nothing as on one node. The first node creates the admin; its API key
// (token()) is every client's credential on every node.
// Not thread-safe: the benchmark's main thread drives it. Stop() ends the nodes only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/server_process.h"

namespace agor::test {
class PostgresServer;
class RedisServer;
}  // namespace agor::test

namespace agor::bench {

class Cluster {
 public:
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts n nodes (one after the other: the first migrates the fresh database).
  Status Start(int n, const ServerPaths& paths);
  // Stops the nodes (SIGTERM); PostgreSQL and Redis stay up for the next Start().
  void Stop();

  int size() const { return static_cast<int>(nodes_.size()); }
  const ServerProcess& node(int i) const { return *nodes_[i]; }
  const std::string& token() const { return token_; }
  pid_t redis_pid() const;
  pid_t postgres_pid() const;
  // Every node's log tail, for error messages.
  std::string LogTail() const;

 private:
  Status StartServices();

  std::unique_ptr<test::PostgresServer> postgres_;
  std::unique_ptr<test::RedisServer> redis_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
  std::string token_;
};

}  // namespace agor::bench
