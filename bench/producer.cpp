#include "bench/producer.h"

#include <algorithm>
#include <cmath>

#include "bench/mark.h"
#include "server/wire/socketio.h"

namespace agor::bench {

double ProducerResult::creates_per_s() const {
  return end_ns > start_ns ? created * 1e9 / static_cast<double>(end_ns - start_ns) : 0;
}

Json ProducerResult::ToJson() const {
  return Json{{"created", created},
              {"failed", failed},
              {"connects", connects},
              {"elapsed_s", static_cast<double>(end_ns - start_ns) / 1e9},
              {"creates_per_s", creates_per_s()},
              {"create_latency", create.ToJson()},
              {"first_error", first_error}};
}

Producer::Producer(EventLoop* loop, const std::vector<uint16_t>& ports, ProducerConfig config)
    : loop_(loop), config_(std::move(config)) {
  for (int i = 0; i < std::max(1, config_.concurrency); ++i) {
    uint16_t port = ports[static_cast<size_t>(i) % ports.size()];
    clients_.push_back(std::make_unique<HttpClient>(loop, port, config_.token));
    port_index_[clients_.back().get()] = static_cast<size_t>(i) % ports.size();
    idle_.push_back(clients_.back().get());
  }
}

void Producer::Start() {
  result_.start_ns = NowNs();
  if (config_.rate_per_s > 0) {
    Release();
  } else {
    released_ = config_.messages;
    Dispatch();
  }
}

void Producer::Stop() {
  config_.messages = next_;
  released_ = next_;
}

void Producer::Release() {
  if (released_ >= config_.messages) return;  // done or stopped
  double elapsed_s = static_cast<double>(NowNs() - result_.start_ns) / 1e9;
  int due = static_cast<int>(std::floor(elapsed_s * config_.rate_per_s)) + 1;
  released_ = std::min(config_.messages, std::max(released_, due));
  Dispatch();
  if (released_ >= config_.messages) return;
  int64_t next_due = result_.start_ns + static_cast<int64_t>(released_ * 1e9 / config_.rate_per_s);
  std::weak_ptr<bool> alive = alive_;
  loop_->At(next_due, [this, alive] {
    if (!alive.expired()) Release();
  });
}

void Producer::Dispatch() {
  while (next_ < released_ && !idle_.empty()) {
    HttpClient* client = idle_.back();
    idle_.pop_back();
    Send(client, next_++);
  }
}

void Producer::Send(HttpClient* client, int seq) {
  int64_t sent_ns = config_.rate_per_s > 0
                        ? result_.start_ns + static_cast<int64_t>(seq * 1e9 / config_.rate_per_s)
                        : NowNs();
  body_.assign("{\"session_id\":");
  size_t which = config_.session_per_port ? port_index_[client] : static_cast<size_t>(seq);
  AppendJsonString(&body_, config_.sessions[which % config_.sessions.size()]);
  body_.append(",\"role\":\"user\",\"content\":\"");
  body_.append(MarkContent(Mark{config_.run, seq, sent_ns})).append("\"}");
  bool sent = client->Request("POST", "/messages", body_, [=](int status, std::string_view text) {
    OnAnswer(client, sent_ns, status, text);
  });
  if (!sent) OnAnswer(client, sent_ns, 0, client->last_error());
}

void Producer::OnAnswer(HttpClient* client, int64_t sent_ns, int status, std::string_view body) {
  int64_t now = NowNs();
  ++answered_;
  result_.end_ns = now;
  if (status == 201) {
    ++result_.created;
    latency_.Add(now - sent_ns);
  } else {
    ++result_.failed;
    if (result_.first_error.empty()) {
      result_.first_error = std::to_string(status) + " " + std::string(body.substr(0, 300));
    }
  }
  idle_.push_back(client);
  Dispatch();
}

ProducerResult Producer::Result() {
  result_.create = latency_.Summarize();
  result_.connects = 0;
  for (const auto& c : clients_) result_.connects += c->connects();
  return result_;
}

}  // namespace agor::bench
