#include "bench/cluster.h"

#include <exception>

#include "tests/support/postgres_server.h"
#include "tests/support/redis_server.h"

namespace agor::bench {

Cluster::Cluster() = default;

Cluster::~Cluster() {
  Stop();
}

// The test servers throw when they cannot start; here that is a Status like any other failure.
Status Cluster::StartServices() {
  try {
    if (!postgres_) postgres_ = std::make_unique<test::PostgresServer>();
    if (!redis_) redis_ = std::make_unique<test::RedisServer>();
    redis_->Stop();  // an empty Redis for each deployment
    redis_->Start();
    return Status::OK();
  } catch (const std::exception& e) {
    return Status::GeneralError(std::string("cannot start PostgreSQL and Redis: ") + e.what());
  }
}

Status Cluster::Start(int n, const ServerPaths& paths) {
  Stop();
  Status s = StartServices();
  if (!s.ok()) return s;
  std::string store;
  try {
    store = postgres_->CreateDatabase("bench");
  } catch (const std::exception& e) {
    return Status::GeneralError(e.what());
  }
  for (int i = 0; i < n && s.ok(); ++i) {
    nodes_.push_back(std::make_unique<ServerProcess>());
    s = nodes_.back()->StartNode(store, redis_->url(), paths);
    if (!s.ok()) s = Status(s.code(), "node " + std::to_string(i) + ": " + s.message());
  }
  if (s.ok()) token_ = nodes_[0]->token();
  if (s.ok() && token_.empty()) s = Status::GeneralError("the first node wrote no credentials");
  if (!s.ok()) Stop();
  return s;
}

void Cluster::Stop() {
  nodes_.clear();  // each ServerProcess stops its node
  token_.clear();
}

pid_t Cluster::redis_pid() const {
  return redis_ ? redis_->pid() : -1;
}

pid_t Cluster::postgres_pid() const {
  return postgres_ ? postgres_->pid() : -1;
}

std::string Cluster::LogTail() const {
  std::string tail;
  for (size_t i = 0; i < nodes_.size(); ++i)
    tail += "--- node " + std::to_string(i) + ":\n" + nodes_[i]->LogTail();
  return tail;
}

}  // namespace agor::bench
