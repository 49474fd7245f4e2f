#include "bench/client_pool.h"

#include <algorithm>

namespace agor::bench {

double ConnectStats::per_second() const {
  return elapsed_ns > 0 ? connected * 1e9 / static_cast<double>(elapsed_ns) : 0;
}

Json ConnectStats::ToJson() const {
  return Json{{"requested", requested},
              {"connected", connected},
              {"failed", failed},
              {"elapsed_s", static_cast<double>(elapsed_ns) / 1e9},
              {"connections_per_s", per_second()},
              {"handshake", handshake.ToJson()},
              {"first_error", first_error}};
}

ConnectStats ClientPool::Grow(int count, int in_flight, int64_t timeout_ns, const QueryFn& query) {
  int first = size();
  query_ = query;
  target_ = first + std::max(0, count);
  next_ = first;
  first_error_.clear();
  for (int i = first; i < target_; ++i) {
    clients_.push_back(std::make_unique<SioClient>(loop_, this, i));
    clients_.back()->set_token(token_);
    clients_.back()->set_source(source_);
  }
  int64_t start = NowNs();
  for (int i = 0; i < in_flight && next_ < target_; ++i) StartNext();
  loop_->RunUntil([&] { return next_ >= target_ && pending_ == 0; }, start + timeout_ns);
  pending_ = 0;
  return Summarize(first, NowNs() - start);
}

// Figures of clients first..target_-1; the ones still not connected are closed (timed out).
ConnectStats ClientPool::Summarize(int first, int64_t elapsed_ns) {
  ConnectStats stats;
  stats.requested = target_ - first;
  stats.elapsed_ns = elapsed_ns;
  LatencySamples handshakes;
  for (int i = first; i < target_; ++i) {
    SioClient& c = *clients_[i];
    if (c.sio_connected()) {
      ++stats.connected;
      handshakes.Add(c.connected_ns() - c.started_ns());
    } else {
      c.Close();
    }
  }
  stats.failed = stats.requested - stats.connected;
  stats.first_error = first_error_.empty() && stats.failed > 0 ? "timeout" : first_error_;
  stats.handshake = handshakes.Summarize();
  return stats;
}

// Starts the next client that can make a socket (one handshake more in flight).
void ClientPool::StartNext() {
  while (next_ < target_) {
    SioClient* c = clients_[next_++].get();
    uint16_t port = ports_[static_cast<size_t>(c->index()) % ports_.size()];
    if (c->Start(port, query_ ? query_(c->index()) : std::string())) {
      ++pending_;
      return;
    }
    if (first_error_.empty()) first_error_ = c->last_error();
  }
}

void ClientPool::HandshakeFailed(const std::string& why) {
  --pending_;
  if (first_error_.empty()) first_error_ = why;
  StartNext();
}

void ClientPool::CloseAll() {
  for (auto& c : clients_) c->Close();
  clients_.clear();
  connected_ = dropped_ = pending_ = 0;
}

void ClientPool::OnSioConnected(SioClient* client) {
  ++connected_;
  --pending_;
  StartNext();
  if (sink_) sink_->OnSioConnected(client);
}

void ClientPool::OnSioEvent(SioClient* client, std::string_view args) {
  if (sink_) sink_->OnSioEvent(client, args);
}

void ClientPool::OnSioAck(SioClient* client, int64_t id, std::string_view args) {
  if (sink_) sink_->OnSioAck(client, id, args);
}

void ClientPool::OnSioClosed(SioClient* client, const std::string& why) {
  if (client->connected_ns() != 0) {
    --connected_;
    ++dropped_;
  } else {
    HandshakeFailed(why);
  }
  if (sink_) sink_->OnSioClosed(client, why);
}

}  // namespace agor::bench
