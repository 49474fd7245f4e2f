// BrokerInterest: turns the Hub's channel edges (hub.h, SetInterestHook) into the Broker's
// subscriptions (broker.h), so that a node subscribes a board's channel between nodes exactly
// while one of its connections wants the board's events.
//
// Broker channels are boards (and the global channel, which a node keeps subscribed for its
// whole life: users, boards and board-members events travel there, and the node's access
// policy must take in every other node's changes even with no connection). A Hub session
// channel wants its session's board channel: the board is looked up once, when the session's
// first member joins, and kept for the leave, so each join is matched by one leave of the
// same board. A board channel is subscribed while its count (the board channel itself, plus
// each wanted session on it) is above zero.
//
// A session moved to another board (a `sessions patched|updated` event whose board_id is not
// the one kept) moves its want to the new board: OnEvent, which the node calls with every
// delivered event before the hub routes it. Sessions events travel on the global channel
// (Broker::ChannelOf), so every node hears the move, whatever board it follows; the new
// board's events committed before the subscription took hold come from the log (the orderer
// fills a channel just subscribed like any gap).
//
// Threading: the daemon's event loop only. The broker and the lookup are borrowed.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "server/realtime/broker.h"
#include "server/realtime/hub.h"

namespace agor {

class BrokerInterest {
 public:
  // The board of a session; "" when the session does not exist (then nothing is subscribed).
  using BoardOfSession = std::function<std::string(const std::string& session_id)>;

  // Subscribes the global channel at once.
  BrokerInterest(Broker* broker, BoardOfSession board_of);

  // The Hub's hook: a channel's first member joined (wanted) or its last left.
  void OnChannel(Hub::ChannelKind kind, const std::string& id, bool wanted);
  // A delivered event: a wanted session that moved to another board follows it.
  void OnEvent(const Event& ev);

  // Broker channels subscribed by this interest (the global one included).
  size_t subscribed() const { return counts_.size() + 1; }

 private:
  void Want(const std::string& board_id);
  void Drop(const std::string& board_id);

  Broker* broker_;
  BoardOfSession board_of_;
  std::unordered_map<std::string, int64_t> counts_;             // board -> wants
  std::unordered_map<std::string, std::string> session_board_;  // wanted session -> its board
};

}  // namespace agor
