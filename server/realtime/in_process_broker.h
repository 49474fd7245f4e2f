// InProcessBroker: the Broker of a single node (the default, without --broker). A publish is
// delivered at once, on the caller's stack, to the delivery callback: the same path, the same
// order and the same timing as when the node handed committed events straight to the Hub.
//
// It delivers every event whatever the subscriptions: nothing leaves the process, so there is
// no traffic to save, and the one node is where every subscriber is (the Broker contract lets
// a broker deliver more than asked). Subscriptions are kept only to be observed (tests, metrics).
//
// Order and uniqueness: the store commits in seq order, so publishes arrive ascending; one that
// does not (a seq at or below the last delivered) is dropped and counted rather than delivered
// twice or out of order. Events outside the log (seq 0) never come here.
//
// Threading: the event loop only. A delivery that publishes again (none does today: a write
// commits on a later loop turn) has its event queued and delivered once the current delivery
// returns, so the callback is never re-entered and nothing is lost.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>

#include "server/realtime/broker.h"

namespace agor {

class InProcessBroker : public Broker {
 public:
  struct Stats {
    int64_t published = 0;
    int64_t delivered = 0;
    int64_t dropped = 0;  // out of order, repeated, or before SetDelivery
  };

  void SetDelivery(Delivery delivery) override { delivery_ = std::move(delivery); }
  void Publish(const Event& ev) override;
  void Subscribe(const std::string& channel) override { channels_.insert(channel); }
  void Unsubscribe(const std::string& channel) override { channels_.erase(channel); }

  const std::set<std::string>& channels() const { return channels_; }
  const Stats& stats() const { return stats_; }
  int64_t last_delivered() const { return last_; }

 private:
  void Deliver(const Event& ev);

  Delivery delivery_;
  std::set<std::string> channels_;
  Stats stats_;
  int64_t last_ = 0;  // the seq last delivered
  bool delivering_ = false;
  std::deque<Event> queued_;  // published from inside a delivery
};

}  // namespace agor
