// EventOrderer: turns what a remote broker hands a node (events possibly out of order,
// repeated, or lost, e.g. while Redis restarts) into the Broker contract's delivery: strictly
// ascending seq, each seq once, nothing committed for this node's subscriptions left out.
// The event log is the truth; the broker only makes events arrive sooner.
//
// How "seq N+1 is missing" is decided. A node gets only its subscribed channels' events, so a
// jump from seq 7 to 12 is usually no loss: 8..11 were other boards'. Counting cannot tell,
// the log can: the orderer keeps `position`, the seq up to which every event is accounted for
// (delivered, or known from the log not to be this node's), and an arrival is released at once
// only when it is position + 1. Otherwise it is held, and once the gap has lasted fill_delay_ms
// the log is read after `position` and every event there that the node wants (the `wants`
// predicate, its subscriptions) is delivered in order, held copies dropped as duplicates.
// This is correct because a broker only carries committed events and the store commits in seq
// order (issue 14's one global sequence): when seq 12 arrives, 8..11 are in the log.
// Rejected: a per-channel "previous seq" in each message makes a lost event of one channel
// visible but needs a channel head kept under the store's append lock, and still cannot order
// two channels against each other (every client is on the global channel and a board, and its
// recovery offset assumes one order); a notice of every seq to every node is the fan-out to
// all nodes issue 14 rules out. The cost of this choice: an event that follows other boards'
// events waits up to fill_delay_ms, and the log is read at most once per delay while gaps
// appear (not once per event); a PostgreSQL reader may filter by channel in SQL.
//
// Fills also run when the broker reconnected (Reconnected(): it may have lost messages), when
// more than max_held events are held (they are dropped, memory stays bounded, and the log
// gives them again), and on the tail check: Tick() asks the log's LastSeq, and when it stays
// past `position` for fill_delay_ms (the last event of a burst was lost, so no later one
// shows the gap) the log is read up to it. A fill reads at most fill_page events per call; a
// longer catch-up continues on the next Tick, so one call never blocks the loop for long. A
// failed read is counted and retried on the next Tick.
//
// Threading: the event loop only; the clock and the reader are borrowed and must outlive it.
// The delivery callback must not call back into the orderer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/event_log.h"

namespace agor {

// The event log as the orderer reads it (store/event_log.h in production, a vector in tests).
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Events with seq > after_seq, ascending, at most `max`, appended to *out.
  virtual Status ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out) = 0;
  // The newest committed seq (0 for an empty log).
  virtual Status LastSeq(int64_t* out) = 0;
};

class EventOrderer {
 public:
  struct Options {
    int64_t fill_delay_ms = 100;  // how long a gap may wait for the broker before the log
    size_t max_held = 10000;      // out-of-order events held; past it they go and the log fills
    size_t fill_page = 1000;      // events read from the log per fill call
  };
  struct Stats {
    int64_t received = 0;    // events offered by the broker
    int64_t delivered = 0;   // events handed to delivery, from the broker or the log
    int64_t duplicates = 0;  // offered events already delivered, held, or given by the log
    int64_t gap_fills = 0;   // log reads that succeeded
    int64_t filled = 0;      // events delivered from the log rather than the broker
    int64_t unwanted = 0;    // offered events outside the subscriptions
    int64_t overflows = 0;   // times max_held was passed and the held events dropped
    int64_t fill_errors = 0;
  };
  using Delivery = std::function<void(const Event&)>;
  using Wants = std::function<bool(const Event&)>;

  // Every event up to `start_seq` counts as accounted for (a node starts at the log's end;
  // older events reach clients through recovery).
  EventOrderer(int64_t start_seq, LogReader* log, Clock* clock, Wants wants, Delivery delivery,
               Options options);

  // An event from the broker.
  void Offer(Event ev);
  // The broker reconnected and may have lost messages: fills from the log now.
  void Reconnected();
  // Call periodically (every fill_delay_ms or so): overdue gap fills and the tail check.
  void Tick();

  int64_t position() const { return position_; }
  size_t held() const { return held_.size(); }
  const Stats& stats() const { return stats_; }
  const Status& last_error() const { return last_error_; }

 private:
  void Deliver(const Event& ev);
  void Advance(int64_t seq);  // `seq` is accounted for: held copies at or below it are dropped
  void Release();             // held events that are next in line
  void Fill(int64_t target);  // one page from the log, up to at least `target` if due
  bool GapOverdue(int64_t now) const;
  void TailCheck(int64_t now);

  int64_t position_;
  LogReader* log_;
  Clock* clock_;
  Wants wants_;
  Delivery delivery_;
  Options options_;
  Stats stats_;
  Status last_error_;
  std::map<int64_t, Event> held_;  // arrived ahead of position_ + 1, by seq
  int64_t gap_since_ = -1;         // when the oldest open gap appeared; -1 for none
  int64_t fill_target_ = 0;        // a due fill reads at least up to here; 0 when none is due
  int64_t tail_seq_ = 0;           // the log's LastSeq seen past position_, 0 for none
  int64_t tail_since_ = 0;         // when tail_seq_ was first seen
};

}  // namespace agor
