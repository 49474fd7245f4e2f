#include "server/realtime/redis_broker.h"

#include <asio.hpp>
#include <chrono>
#include <utility>
#include <vector>

#include "base/ids.h"
#include "base/log.h"
#include "server/realtime/broker_message.h"

namespace agor {

struct RedisBroker::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

RedisBroker::RedisBroker(asio::io_context& io, std::unique_ptr<RedisConnection> redis, Clock& clock,
                         LogReader& log, Options options)
    : redis_(std::move(redis)),
      clock_(clock),
      log_(log),
      options_(std::move(options)),
      timer_(new Timer(io)) {
  if (options_.tick_ms < 1) options_.tick_ms = 1;
  if (options_.node_id.empty()) options_.node_id = NewUuid();
}

RedisBroker::~RedisBroker() {
  Close();
}

Status RedisBroker::Start() {
  if (orderer_ || closed_) return Status::Conflict("the Redis broker was already started");
  int64_t start = 0;
  Status s = log_.LastSeq(&start);
  if (!s.ok()) return s;
  orderer_ = std::make_unique<EventOrderer>(
      start, &log_, &clock_, [this](const Event& ev) { return channels_.count(ChannelOf(ev)) > 0; },
      [this](const Event& ev) {
        if (delivery_ && !closed_) delivery_(ev);  // a delivery may Close() the broker
      },
      options_.orderer);
  redis_->OnState([this](bool up) { OnState(up); });
  s = redis_->Start();
  if (!s.ok()) return s;
  ScheduleTick();
  return Status::OK();
}

void RedisBroker::Close() {
  if (closed_) return;
  closed_ = true;
  *alive_ = false;
  timer_->timer.cancel();
  redis_->Close();
}

void RedisBroker::Publish(const Event& ev) {
  if (!orderer_ || closed_ || ev.seq <= 0) {
    ++stats_.publish_dropped;  // not started, closed, or no logged event: nothing to carry
    return;
  }
  SendPublish(ev);
  if (delivering_) return queued_.push_back(ev);
  Run([&] { orderer_->Offer(ev); });
}

// Nothing waits for Redis's answer, and nothing queues while it is down: the log has it all.
void RedisBroker::SendPublish(const Event& ev) {
  if (!redis_->up()) {
    ++stats_.publish_dropped;
    return;
  }
  ++stats_.published;
  redis_->Command({"PUBLISH", RedisChannel(ChannelOf(ev)), EncodeBrokerMessage(ev)},
                  [this, alive = alive_](Status status, RedisReply) {
                    if (*alive && !status.ok()) ++stats_.publish_dropped;
                  });
}

void RedisBroker::PublishLive(const Event& ev) {
  if (!orderer_ || closed_ || ev.seq != 0 || !redis_->up()) {
    ++stats_.publish_dropped;
    return;
  }
  ++stats_.live_published;
  redis_->Command(
      {"PUBLISH", RedisChannel(ChannelOf(ev)), EncodeBrokerMessage(ev, options_.node_id)},
      [this, alive = alive_](Status status, RedisReply) {
        if (*alive && !status.ok()) ++stats_.publish_dropped;
      });
}

void RedisBroker::Run(const std::function<void()>& step) {
  delivering_ = true;
  step();
  while (!queued_.empty()) {
    Event next = std::move(queued_.front());
    queued_.pop_front();
    orderer_->Offer(std::move(next));
  }
  delivering_ = false;
}

void RedisBroker::Subscribe(const std::string& channel) {
  if (!channels_.insert(channel).second) return;
  redis_->Subscribe(RedisChannel(channel),
                    [this, channel](const std::string& payload) { OnMessage(channel, payload); });
}

void RedisBroker::Unsubscribe(const std::string& channel) {
  if (channels_.erase(channel) == 0) return;
  redis_->Unsubscribe(RedisChannel(channel));
}

// Another node's bytes: decoded strictly, and held to the channel they came on, so a node's
// subscriptions bound what it delivers even when a sender publishes to the wrong channel.
void RedisBroker::OnMessage(const std::string& channel, const std::string& payload) {
  if (closed_ || !orderer_) return;
  ++stats_.received;
  Event ev;
  std::string node;
  Status s = DecodeBrokerMessage(payload, &ev, &node);
  if (s.ok() && ChannelOf(ev) != channel) {
    s = Status::BadRequest("Invalid broker message: an event of another channel");
  }
  if (!s.ok()) {
    // Every message could be bad: the log gets the first, then one in a thousand.
    if (stats_.decode_errors++ % 1000 == 0) {
      Log(LogLevel::kWarn, "redis broker: dropped a message on " +
                               LogEscape(RedisChannel(channel)) + ": " + LogEscape(s.message()) +
                               " (" + std::to_string(stats_.decode_errors) + " so far)");
    }
    return;
  }
  if (ev.seq == 0) return OnLive(ev, node);
  if (delivering_) return queued_.push_back(std::move(ev));  // deliveries do not run the loop
  Run([&] { orderer_->Offer(std::move(ev)); });
}

void RedisBroker::OnLive(const Event& ev, const std::string& node) {
  if (node == options_.node_id || !live_delivery_) return;  // own echo: delivered at home
  ++stats_.live_received;
  live_delivery_(ev);
}

void RedisBroker::OnState(bool up) {
  if (!up || closed_) return;
  Run([&] { orderer_->Reconnected(); });
}

void RedisBroker::ScheduleTick() {
  timer_->timer.expires_after(std::chrono::milliseconds(options_.tick_ms));
  timer_->timer.async_wait([this, alive = alive_](const std::error_code& ec) {
    if (ec || !*alive) return;  // cancelled: `this` may be gone
    if (!delivering_) Run([&] { orderer_->Tick(); });
    ScheduleTick();
  });
}

int64_t RedisBroker::position() const {
  return orderer_ ? orderer_->position() : 0;
}

RedisBroker::Stats RedisBroker::stats() const {
  Stats out = stats_;
  if (!orderer_) return out;
  const EventOrderer::Stats& o = orderer_->stats();
  out.delivered = o.delivered;
  out.duplicates = o.duplicates;
  out.gap_fills = o.gap_fills;
  out.filled = o.filled;
  out.fill_errors = o.fill_errors;
  return out;
}

std::string RedisBroker::RedisChannel(const std::string& channel) const {
  return options_.prefix + "ch:" + channel;
}

}  // namespace agor
