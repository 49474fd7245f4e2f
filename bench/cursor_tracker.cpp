#include "bench/cursor_tracker.h"

#include <utility>

#include "bench/event_loop.h"

namespace agor::bench {
namespace {

constexpr std::string_view kCursorMoved = "[\"cursor-moved\",";

// The integer at the start of text (a leading '-' allowed, a fraction ignored); false when
// there is no digit.
bool LeadingInt(std::string_view text, int64_t* value) {
  size_t i = 0;
  bool negative = i < text.size() && text[i] == '-';
  if (negative) ++i;
  int64_t v = 0;
  size_t first = i;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && i - first < 15; ++i) {
    v = v * 10 + (text[i] - '0');
  }
  if (i == first) return false;
  *value = negative ? -v : v;
  return true;
}

// The value text after `"key":` (spaces skipped), or empty when the key is absent.
std::string_view After(std::string_view args, std::string_view quoted_key) {
  size_t at = args.find(quoted_key);
  if (at == std::string_view::npos) return {};
  size_t i = at + quoted_key.size();
  while (i < args.size() && (args[i] == ' ' || args[i] == ':')) ++i;
  return args.substr(i);
}

}  // namespace

bool ScanCursorMoved(std::string_view args, std::string_view* board_id, int64_t* x, int64_t* y) {
  if (args.substr(0, kCursorMoved.size()) != kCursorMoved) return false;
  std::string_view board = After(args, "\"boardId\"");
  if (board.empty() || board[0] != '"') return false;
  size_t end = board.find('"', 1);
  if (end == std::string_view::npos) return false;
  *board_id = board.substr(1, end - 1);
  return LeadingInt(After(args, "\"x\""), x) && LeadingInt(After(args, "\"y\""), y);
}

Json CursorCounts::ToJson() const {
  return Json{{"sent", sent},
              {"skipped", skipped},
              {"same_board", same_board},
              {"cross_board", cross_board},
              {"self", self},
              {"unreadable", unreadable},
              {"moves_relayed", moves_relayed}};
}

void CursorTracker::Reset(std::vector<std::string> board_ids, int per_board, int max_moves) {
  boards_ = std::move(board_ids);
  per_board_ = per_board;
  clients_ = per_board * static_cast<int>(boards_.size());
  max_moves_ = max_moves;
  size_t moves = static_cast<size_t>(clients_) * static_cast<size_t>(max_moves);
  sent_ns_.assign(moves, 0);
  relayed_.assign(moves, 0);
  last_sent_.assign(clients_, -1);
  last_seen_.assign(static_cast<size_t>(clients_) * per_board, -1);
  counts_ = CursorCounts{};
  first_receive_ns_ = last_receive_ns_ = 0;
  latency_.Clear();
}

const std::string& CursorTracker::Move(int client, int move, int64_t now_ns) {
  sent_ns_[static_cast<size_t>(client) * max_moves_ + move] = now_ns;
  last_sent_[client] = move;
  ++counts_.sent;
  frame_.assign("[\"cursor-move\",{\"boardId\":\"")
      .append(board_of(client))
      .append("\",\"x\":")
      .append(std::to_string(move))
      .append(",\"y\":")
      .append(std::to_string(client))
      .append("}]");
  return frame_;
}

void CursorTracker::OnSioEvent(SioClient* client, std::string_view args) {
  std::string_view board;
  int64_t x = 0, y = 0;
  if (args.substr(0, kCursorMoved.size()) != kCursorMoved) return;
  int receiver = client->index();
  if (!ScanCursorMoved(args, &board, &x, &y) || y < 0 || y >= clients_ || x < 0 ||
      x >= max_moves_ || receiver < 0 || receiver >= clients_) {
    ++counts_.unreadable;
    return;
  }
  int64_t now = NowNs();
  if (first_receive_ns_ == 0) first_receive_ns_ = now;
  last_receive_ns_ = now;
  uint8_t& relayed = relayed_[static_cast<size_t>(y) * max_moves_ + x];
  counts_.moves_relayed += relayed == 0;
  relayed = 1;
  if (receiver == y) {
    ++counts_.self;
  } else if (board != board_of(receiver)) {
    ++counts_.cross_board;  // what Agor's clients filter out
  } else {
    Delivered(receiver, static_cast<int>(y), x, now);
  }
}

void CursorTracker::Delivered(int receiver, int sender, int64_t move, int64_t now_ns) {
  ++counts_.same_board;
  int64_t sent = sent_ns_[static_cast<size_t>(sender) * max_moves_ + move];
  if (sent > 0) latency_.Add(now_ns - sent);
  int32_t& last = last_seen_[static_cast<size_t>(receiver) * per_board_ + sender % per_board_];
  if (move > last) last = static_cast<int32_t>(move);
}

int64_t CursorTracker::StaleFinalPositions() const {
  int64_t stale = 0;
  for (int r = 0; r < clients_; ++r) {
    int first = r / per_board_ * per_board_;
    for (int j = 0; j < per_board_; ++j) {
      int sender = first + j;
      if (sender == r || last_sent_[sender] < 0) continue;
      stale += last_seen_[static_cast<size_t>(r) * per_board_ + j] != last_sent_[sender];
    }
  }
  return stale;
}

void CursorTracker::ResetAcks() {
  acks_ok_ = acks_failed_ = 0;
  first_ack_error_.clear();
}

void CursorTracker::OnSioAck(SioClient* /*client*/, int64_t /*id*/, std::string_view args) {
  if (args.substr(0, 5) == "[null") {
    ++acks_ok_;
    return;
  }
  ++acks_failed_;
  if (first_ack_error_.empty()) first_ack_error_ = std::string(args.substr(0, 300));
}

}  // namespace agor::bench
