// CursorTracker: both ends of the presence scenario's cursor traffic, on the benchmark's one
// thread (no locks). Client c of B x K is on board c / K and sends its k-th move as
//   42["cursor-move",{"boardId":"<its board>","x":k,"y":c}]
// so that a receiver of `cursor-moved {.., boardId, x, y, ..}` knows the sender (y) and the move
// (x) without any server-side id: agor relays only {userId, presenceId, boardId, x, y,
// timestamp} (with its own timestamp), the peer the same without presenceId. The send time of
// every move is kept (sender x move), so receive time - send time is the move->receive latency
// (one process, one monotonic clock).
//
// A delivery is classified by the receiver's board: same board (what a user sees; latency, the
// last position per sender), cross-board (the board's clients would filter it out, as Agor's
// clients do), self (the sender's own move echoed). Frames the scanner cannot read count as
// unreadable. Acks are counted for the scenario's calls (presence create, the end barrier).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/latency.h"
#include "bench/sio_client.h"

namespace agor::bench {

struct CursorCounts {
  int64_t sent = 0;
  int64_t skipped = 0;  // due but not sent: the sender's output was still backed up
  int64_t same_board = 0;
  int64_t cross_board = 0;
  int64_t self = 0;
  int64_t unreadable = 0;
  int64_t moves_relayed = 0;  // distinct moves that reached at least one client
  int64_t all_deliveries() const { return same_board + cross_board + self; }
  Json ToJson() const;
};

class CursorTracker : public SioClient::Listener {
 public:
  // Starts a run: clients 0..per_board*boards.size()-1, each sending at most max_moves moves.
  void Reset(std::vector<std::string> board_ids, int per_board, int max_moves);

  // The frame args of client c's move k (also records its send time as now).
  const std::string& Move(int client, int move, int64_t now_ns);
  void Skipped() { ++counts_.skipped; }

  const CursorCounts& counts() const { return counts_; }
  int64_t first_receive_ns() const { return first_receive_ns_; }
  int64_t last_receive_ns() const { return last_receive_ns_; }
  LatencySummary Latency() { return latency_.Summarize(); }
  // Same-board (receiver, sender) pairs whose last received move is not the sender's last sent.
  int64_t StaleFinalPositions() const;

  // Ack counting for the scenario's own calls; the first error answer is kept.
  void ResetAcks();
  int64_t acks_ok() const { return acks_ok_; }
  int64_t acks_failed() const { return acks_failed_; }
  const std::string& first_ack_error() const { return first_ack_error_; }

  const std::string& board_of(int client) const { return boards_[client / per_board_]; }
  int clients() const { return clients_; }

 private:
  void OnSioEvent(SioClient* client, std::string_view args) override;
  void OnSioAck(SioClient* client, int64_t id, std::string_view args) override;
  void Delivered(int receiver, int sender, int64_t move, int64_t now_ns);

  std::vector<std::string> boards_;
  int per_board_ = 1;
  int clients_ = 0;
  int max_moves_ = 0;
  std::vector<int64_t> sent_ns_;    // clients_ x max_moves_, 0: not sent
  std::vector<uint8_t> relayed_;    // clients_ x max_moves_: reached some client
  std::vector<int32_t> last_sent_;  // per sender, -1: none
  std::vector<int32_t> last_seen_;  // receiver x sender-in-board, -1: none
  CursorCounts counts_;
  int64_t first_receive_ns_ = 0;
  int64_t last_receive_ns_ = 0;
  LatencySamples latency_;
  std::string frame_;
  int64_t acks_ok_ = 0;
  int64_t acks_failed_ = 0;
  std::string first_ack_error_;
};

// The boardId, x and y of a `["cursor-moved",{...}]` event, scanned without a JSON parse (x, y
// read as integers). False for any other event or a frame without them.
bool ScanCursorMoved(std::string_view args, std::string_view* board_id, int64_t* x, int64_t* y);

}  // namespace agor::bench
