#include "server/realtime/event_orderer.h"

#include <algorithm>
#include <limits>

namespace agor {

EventOrderer::EventOrderer(int64_t start_seq, LogReader* log, Clock* clock, Wants wants,
                           Delivery delivery, Options options)
    : position_(start_seq),
      log_(log),
      clock_(clock),
      wants_(std::move(wants)),
      delivery_(std::move(delivery)),
      options_(options) {
  options_.max_held = std::max<size_t>(options_.max_held, 1);
  options_.fill_page = std::max<size_t>(options_.fill_page, 1);
}

void EventOrderer::Offer(Event ev) {
  ++stats_.received;
  if (ev.seq <= position_ || held_.count(ev.seq)) {
    ++stats_.duplicates;
    return;
  }
  const bool next = ev.seq == position_ + 1;
  if (!wants_(ev)) {
    ++stats_.unwanted;  // subscriptions just changed: not ours, but it closes a gap all the same
    if (next) Advance(ev.seq);
  } else if (next) {
    Deliver(ev);
    Advance(ev.seq);
  } else if (held_.size() >= options_.max_held) {
    // The log has all of them: memory stays bounded whatever the broker sends.
    ++stats_.overflows;
    const int64_t target = std::max(ev.seq, held_.rbegin()->first);
    held_.clear();
    gap_since_ = -1;
    return Fill(target);
  } else {
    if (held_.empty()) gap_since_ = clock_->NowMillis();
    held_.emplace(ev.seq, std::move(ev));
    if (GapOverdue(clock_->NowMillis())) return Fill(held_.rbegin()->first);
    return;
  }
  Release();
}

void EventOrderer::Reconnected() {
  Fill(std::numeric_limits<int64_t>::max());
}

void EventOrderer::Tick() {
  const int64_t now = clock_->NowMillis();
  if (fill_target_ > position_) return Fill(fill_target_);  // a catch-up under way, or retried
  if (GapOverdue(now)) return Fill(held_.rbegin()->first);
  TailCheck(now);
}

void EventOrderer::Deliver(const Event& ev) {
  ++stats_.delivered;
  delivery_(ev);
}

void EventOrderer::Advance(int64_t seq) {
  position_ = seq;
  while (!held_.empty() && held_.begin()->first <= seq) {
    held_.erase(held_.begin());
    ++stats_.duplicates;  // the log's copy went out instead
  }
}

void EventOrderer::Release() {
  while (!held_.empty() && held_.begin()->first == position_ + 1) {
    auto first = held_.begin();
    Deliver(first->second);
    position_ = first->first;
    held_.erase(first);
  }
  if (held_.empty()) gap_since_ = -1;
}

// The log after `position_`, one page: what the node wants is delivered, the rest only counted
// as accounted for. Short of `target` with more in the log, the fill stays due for Tick.
void EventOrderer::Fill(int64_t target) {
  fill_target_ = std::max(fill_target_, target);
  std::vector<Event> page;
  Status s = log_->ReadSince(position_, options_.fill_page, &page);
  if (!s.ok()) {
    ++stats_.fill_errors;
    last_error_ = s;
    return;
  }
  ++stats_.gap_fills;
  for (const Event& ev : page) {
    if (ev.seq <= position_) continue;  // a reader must not, but order is this class's promise
    if (wants_(ev)) {
      ++stats_.filled;
      Deliver(ev);
    }
    Advance(ev.seq);
  }
  if (page.size() < options_.fill_page || position_ >= fill_target_) fill_target_ = 0;
  Release();
  if (!held_.empty()) gap_since_ = clock_->NowMillis();  // a gap the log did not close yet
}

bool EventOrderer::GapOverdue(int64_t now) const {
  return !held_.empty() && gap_since_ >= 0 && now - gap_since_ >= options_.fill_delay_ms;
}

// The loss no later arrival reveals: the last events of a burst. The log's end must stay ahead
// of `position_` for fill_delay_ms (an event in flight gets that long) before the log fills.
void EventOrderer::TailCheck(int64_t now) {
  int64_t last = 0;
  Status s = log_->LastSeq(&last);
  if (!s.ok()) {
    ++stats_.fill_errors;
    last_error_ = s;
    return;
  }
  if (last <= position_) {
    tail_seq_ = 0;
    return;
  }
  if (tail_seq_ <= position_) {
    tail_seq_ = last;
    tail_since_ = now;
    return;
  }
  if (now - tail_since_ < options_.fill_delay_ms) return;
  const int64_t target = tail_seq_;
  tail_seq_ = 0;
  Fill(target);
}

}  // namespace agor
