#include "bench/deployment.h"

#include <algorithm>

namespace agor::bench {

Status Deployment::Start(ServerKind kind, ChannelMode mode, int nodes, const ServerPaths& paths) {
  Stop();
  kind_ = kind;
  if (kind != ServerKind::kNodes) {
    Status s = single_.Start(kind, mode, paths);
    if (!s.ok()) return s;
    ports_ = {single_.port()};
    pids_ = {single_.pid()};
    token_ = single_.token();
    admin_email_ = single_.admin_email();
    admin_password_ = single_.admin_password();
    return s;
  }
  if (!cluster_) return Status::GeneralError("no cluster to start nodes on");
  Status s = cluster_->Start(nodes, paths);
  if (!s.ok()) return s;
  for (int i = 0; i < cluster_->size(); ++i) {
    ports_.push_back(cluster_->node(i).port());
    pids_.push_back(cluster_->node(i).pid());
  }
  token_ = cluster_->token();
  admin_email_ = cluster_->node(0).admin_email();
  admin_password_ = cluster_->node(0).admin_password();
  return s;
}

void Deployment::Stop() {
  if (kind_ == ServerKind::kNodes && cluster_ && !pids_.empty()) cluster_->Stop();
  single_.Stop();
  ports_.clear();
  pids_.clear();
  token_.clear();
  admin_email_.clear();
  admin_password_.clear();
}

CpuPids Deployment::cpu_pids() const {
  CpuPids pids;
  pids.servers = pids_;
  if (kind_ == ServerKind::kNodes && cluster_) {
    pids.redis = cluster_->redis_pid();
    pids.postgres = cluster_->postgres_pid();
  }
  return pids;
}

int64_t Deployment::RssKiB() const {
  return SumRssKiB(pids_);
}

std::string Deployment::LogTail() const {
  return kind_ == ServerKind::kNodes && cluster_ ? cluster_->LogTail() : single_.LogTail();
}

}  // namespace agor::bench
