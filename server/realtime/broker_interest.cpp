#include "server/realtime/broker_interest.h"

#include <utility>

namespace agor {

BrokerInterest::BrokerInterest(Broker* broker, BoardOfSession board_of)
    : broker_(broker), board_of_(std::move(board_of)) {
  broker_->Subscribe(kGlobalChannel);
}

void BrokerInterest::OnChannel(Hub::ChannelKind kind, const std::string& id, bool wanted) {
  if (kind == Hub::kBoardChannel) return wanted ? Want(id) : Drop(id);
  if (wanted) {
    std::string board = board_of_(id);
    if (board.empty()) return;
    session_board_[id] = board;
    return Want(board);
  }
  auto it = session_board_.find(id);
  if (it == session_board_.end()) return;
  std::string board = std::move(it->second);
  session_board_.erase(it);
  Drop(board);
}

void BrokerInterest::OnEvent(const Event& ev) {
  if (ev.service != "sessions" || (ev.event != "patched" && ev.event != "updated")) return;
  auto it = session_board_.find(ev.session_id);
  if (it == session_board_.end() || ev.board_id.empty() || ev.board_id == it->second) return;
  std::string old_board = std::move(it->second);
  it->second = ev.board_id;
  Want(ev.board_id);  // first: a board both old and new is never dropped in between
  Drop(old_board);
}

void BrokerInterest::Want(const std::string& board_id) {
  if (board_id.empty()) return;  // the global channel: always subscribed
  if (counts_[board_id]++ == 0) broker_->Subscribe(board_id);
}

void BrokerInterest::Drop(const std::string& board_id) {
  auto it = counts_.find(board_id);
  if (it == counts_.end()) return;
  if (--it->second > 0) return;
  counts_.erase(it);
  broker_->Unsubscribe(board_id);
}

}  // namespace agor
