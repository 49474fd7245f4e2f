// RedisBroker: the Broker between nodes (`--broker redis://...`, issue 14). Each node PUBLISHes
// what it committed on Redis pub/sub and SUBSCRIBEs only the channels its connections want, so a
// board's events reach the nodes serving that board and no other (not every node, as
// feathers-sync does). What arrives goes through an EventOrderer (event_orderer.h), which hands
// the delivery strictly ascending seqs, each once, and fills from the event log whatever Redis
// lost. The log is the truth; Redis only makes events arrive sooner.
//
// Contract (broker.h), and how it is kept here:
//   - Publish(ev) never blocks or fails the write. While Redis is down the message is dropped
//     and counted (publish_dropped); the other nodes get the event from the log (their
//     Reconnected() fill, or their tail check).
//   - The node's own events are offered to the orderer at once, not after a round trip through
//     Redis: the node's clients see its writes with no Redis latency, and during an outage too.
//     They still pass the orderer because other nodes' events interleave in the one global seq:
//     own seq 12 may be committed while remote 8..11 are still on their way, and delivering 12
//     first would break the order. The echo of an own event from Redis is dropped by the
//     orderer as a duplicate (its seq is already delivered or held). The message format carries
//     no node id to skip echoes earlier; the duplicate check costs one decode per own event.
//   - Channels on Redis are `<prefix>ch:<Broker::ChannelOf(ev)>` (the global channel is
//     `<prefix>ch:`), so clusters with different prefixes share one Redis. Subscribe and
//     Unsubscribe change the Redis subscriptions and, at once, the orderer's `wants` (the
//     subscribed set): events of a channel just subscribed that Redis did not bring yet are
//     filled from the log like any lost event.
//   - Live events (seq 0, broker.h) skip the orderer: PUBLISHed on their channel with this
//     node's id, handed to the live delivery on the other nodes as they arrive; a node drops
//     its own echo by that id.
//   - A received message is hostile bytes: one that does not decode (broker_message.h) or whose
//     event belongs to another channel than the one it came on is counted (decode_errors) and
//     dropped. Anyone who can PUBLISH on the Redis server can still forge well-formed events:
//     Redis must be private to the cluster.
//   - Every up edge of the connection (the first too: events committed between Start's read of
//     the log's end and the subscriptions are on no channel) calls the orderer's Reconnected(),
//     which fills from the log what Redis may have lost; the subscriptions are confirmed before
//     the edge, so nothing committed after the fill's read can be missed. A timer calls Tick()
//     every tick_ms for the gaps no later event reveals.
//
// Ownership: the broker owns its RedisConnection (handed in unstarted; Start() starts it). The
// broker needs every up/down edge, and OnState has one slot; the connection's lifetime and
// Close() belong with the broker's callbacks; and fan-out publishes do not queue behind other
// Redis users' commands. The cost is two more sockets per node; presence and rate limits may
// share one connection of their own. The clock and the log reader are borrowed and must outlive
// the broker.
//
// Threading: the io_context's thread only (construct it there or before the loop runs). The
// delivery is never re-entered: a Publish from inside a delivery is offered once it returns.
// Close() (or destruction) stops the timer and the connection, so the loop's run() can return.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "base/clock.h"
#include "server/net/redis_connection.h"
#include "server/realtime/broker.h"
#include "server/realtime/event_orderer.h"

namespace asio {
class io_context;
}

namespace agor {

class RedisBroker : public Broker {
 public:
  struct Options {
    std::string prefix = "agor:";   // of every channel name, one per cluster
    int64_t tick_ms = 50;           // the orderer's Tick period
    EventOrderer::Options orderer;  // fill_delay_ms above all
    std::string node_id;            // names live messages, to skip their echo ("": a random one)
  };
  // For /metrics. received: messages from Redis, bad ones included (own events are offered
  // without Redis); delivered, duplicates (own echoes included), gap_fills, filled (events
  // delivered from the log), fill_errors: the orderer's.
  struct Stats {
    int64_t published = 0;        // PUBLISH commands sent
    int64_t publish_dropped = 0;  // while Redis was down, or lost before Redis answered
    int64_t received = 0;
    int64_t decode_errors = 0;
    int64_t delivered = 0;
    int64_t duplicates = 0;
    int64_t gap_fills = 0;
    int64_t filled = 0;
    int64_t fill_errors = 0;
    int64_t live_published = 0;  // live (seq-less) events sent to the other nodes
    int64_t live_received = 0;   // the other nodes' live events delivered here
  };

  RedisBroker(asio::io_context& io, std::unique_ptr<RedisConnection> redis, Clock& clock,
              LogReader& log, Options options);
  ~RedisBroker() override;
  RedisBroker(const RedisBroker&) = delete;
  RedisBroker& operator=(const RedisBroker&) = delete;

  // Starts at the log's end (older events reach clients through recovery), connects, and
  // starts the tick timer. A failed read of the log or a bad Redis URL is returned; an
  // unreachable Redis is not (it is retried, and the log fills meanwhile). Once only.
  Status Start();
  // Stops the timer and closes the connection; nothing is delivered afterwards.
  void Close();

  void SetDelivery(Delivery delivery) override { delivery_ = std::move(delivery); }
  void Publish(const Event& ev) override;
  void Subscribe(const std::string& channel) override;
  void Unsubscribe(const std::string& channel) override;
  void SetLiveDelivery(Delivery delivery) override { live_delivery_ = std::move(delivery); }
  // Dropped (counted in publish_dropped) while Redis is down: live events are never queued.
  void PublishLive(const Event& ev) override;

  bool up() const { return redis_->up(); }
  const std::set<std::string>& channels() const { return channels_; }
  // The seq up to which every event is accounted for (0 before Start).
  int64_t position() const;
  Stats stats() const;
  // The Redis channel name of a broker channel.
  std::string RedisChannel(const std::string& channel) const;

 private:
  void OnMessage(const std::string& channel, const std::string& payload);
  void OnLive(const Event& ev, const std::string& node);
  void OnState(bool up);
  void ScheduleTick();
  void SendPublish(const Event& ev);
  // Runs `step` (a call into the orderer), then offers what was published from its deliveries.
  void Run(const std::function<void()>& step);

  std::unique_ptr<RedisConnection> redis_;
  Clock& clock_;
  LogReader& log_;
  Options options_;
  Delivery delivery_;
  Delivery live_delivery_;
  std::unique_ptr<EventOrderer> orderer_;  // from Start()
  std::set<std::string> channels_;
  Stats stats_;
  bool delivering_ = false;
  bool closed_ = false;
  std::deque<Event> queued_;  // offered while a delivery runs, offered after it
  struct Timer;
  std::unique_ptr<Timer> timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace agor
