// Broker: how the committed events of a node reach the nodes that serve their subscribers
// (issue 14). The Node is the facade, the Hub routes to this node's connections, the Broker
// carries events between nodes: in process for one node (in_process_broker.h), Redis for many.
//
// Contract, for every implementation:
//   - Publish(ev): an event this node committed, called in commit order (seq ascending) on the
//     node's event loop, after the commit. It never fails the write: the event log is the truth,
//     and a message the broker loses reaches the other nodes later from the log
//     (event_orderer.h), so Publish reports nothing.
//   - Delivery: the callback set once (before the first Publish) receives events in strictly
//     ascending seq and each seq at most once, on the event loop, never from inside another
//     delivery. A remote broker gets there by passing what it receives through an EventOrderer.
//   - Subscribe(channel) / Unsubscribe(channel): the node's interest, a set (not counted): the
//     node subscribes a board's channel when its first connection joins the board (or a
//     session of it) and unsubscribes when its last leaves. The channel "" (kGlobalChannel)
//     carries the events every connection may be routed (ChannelOf below); a node with any
//     connection subscribes it. Subscriptions are a traffic filter, never a correctness one: a
//     broker may deliver more than asked (the Hub routes what arrives) but must deliver every
//     event of a subscribed channel.
//
// Threading: the daemon's event loop only.
#pragma once

#include <functional>
#include <string>

#include "store/event_log.h"

namespace agor {

// The channel of the events without a board, or that every client may be routed.
inline constexpr const char* kGlobalChannel = "";

class Broker {
 public:
  using Delivery = std::function<void(const Event&)>;

  virtual ~Broker() = default;
  // Once, before the first Publish.
  virtual void SetDelivery(Delivery delivery) = 0;
  virtual void Publish(const Event& ev) = 0;
  virtual void Subscribe(const std::string& channel) = 0;
  virtual void Unsubscribe(const std::string& channel) = 0;
  virtual void SetLiveDelivery(Delivery delivery) { (void)delivery; }
  virtual void PublishLive(const Event& ev) { (void)ev; }

  // The channel `ev` travels on: kGlobalChannel for what the Hub sends to every client (no
  // board; boards, board-members and repos events), for tasks events (a stop made on any
  // node must reach the node running the task, whatever boards its clients watch) and for
  // sessions events (a session moved to another board must reach every node that follows it
  // by its session channel, which then follows its new board: broker_interest.h); a few
  // events per prompt each. Else its board.
  static std::string ChannelOf(const Event& ev);
};

}  // namespace agor
