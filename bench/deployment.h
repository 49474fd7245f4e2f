// Deployment: what one run of a scenario measures, freshly started: one server process (agor
// or the peer, ServerProcess) or agor's nodes on PostgreSQL and Redis (a Cluster, ServerKind
// kNodes). A scenario reaches either through it: the ports its clients are spread over
// (round-robin), the token and admin credentials, the processes whose CPU and RSS it sums.
// Not thread-safe; the cluster is borrowed (the context's) and its nodes stop with the
// Deployment.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/cluster.h"
#include "bench/proc_stats.h"
#include "bench/server_process.h"

namespace agor::bench {

class Deployment {
 public:
  // cluster: used (and required) for kNodes only.
  explicit Deployment(Cluster* cluster) : cluster_(cluster) {}
  ~Deployment() { Stop(); }
  Deployment(const Deployment&) = delete;
  Deployment& operator=(const Deployment&) = delete;

  // kAgor and kPeer start one server in `mode`; kNodes starts `nodes` nodes (boards mode).
  Status Start(ServerKind kind, ChannelMode mode, int nodes, const ServerPaths& paths);
  void Stop();

  ServerKind kind() const { return kind_; }
  // The first server: setup calls and the producer go there.
  uint16_t port() const { return ports_.empty() ? 0 : ports_[0]; }
  const std::vector<uint16_t>& ports() const { return ports_; }
  const std::vector<pid_t>& pids() const { return pids_; }
  const std::string& token() const { return token_; }
  // The admin's login (the first node's on a cluster: the shared store's one admin); "" for the
  // peer.
  const std::string& admin_email() const { return admin_email_; }
  const std::string& admin_password() const { return admin_password_; }
  // The servers, and a cluster's Redis and PostgreSQL.
  CpuPids cpu_pids() const;
  // VmRSS summed over the servers (KiB).
  int64_t RssKiB() const;
  std::string LogTail() const;

 private:
  Cluster* cluster_;
  ServerProcess single_;
  ServerKind kind_ = ServerKind::kAgor;
  std::vector<uint16_t> ports_;
  std::vector<pid_t> pids_;
  std::string token_;
  std::string admin_email_;
  std::string admin_password_;
};

}  // namespace agor::bench
