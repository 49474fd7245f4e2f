// ActivityRelay: the activity feed's live events on their way from the store's commit
// listener to the Hub (store.h: seq-less Events of service "activity").
//
// `activity created` goes on at once. `activity patched` reaches clients at most once per
// interval (1 s) per entry: a patch that comes sooner waits, a newer one replaces it (each
// record carries the entry's whole state, so the latest count wins), and the one waiting
// when the interval is over always goes then. A burst of 200 messages in a second costs the
// board's clients one `created` and a patch or two, not 200 frames each.
//
// Bounded: one slot per entry sent within the last interval (each with one timer, which drops
// it once the interval passes with nothing waiting); nothing grows with an entry's age.
// Privacy is the Hub's (judged when a frame goes, so a delayed patch is judged then).
//
// Threading: the daemon's event loop (the `after` timers run there too). Destroy it after
// whatever runs those timers, or stop their callbacks first.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "store/event_log.h"

namespace agor {

class ActivityRelay {
 public:
  using Send = std::function<void(const Event&)>;
  using After = std::function<void(int delay_ms, std::function<void()>)>;

  // `send` publishes (the Hub); `after` runs a function on the loop after a delay.
  ActivityRelay(Send send, After after, int interval_ms = 1000)
      : send_(std::move(send)), after_(std::move(after)), interval_ms_(interval_ms) {}

  // One `activity created|patched` event from the store (others are sent as they are).
  void Offer(const Event& ev);
  // Entries sent within the last interval (what the relay holds).
  size_t tracked() const { return slots_.size(); }

 private:
  struct Slot {
    bool waiting = false;  // `pending` holds a patch to send when the interval is over
    Event pending;
  };
  void SendNow(const std::string& id, const Event& ev);
  void Flush(const std::string& id);

  Send send_;
  After after_;
  int interval_ms_;
  std::unordered_map<std::string, Slot> slots_;  // by activity_id
};

}  // namespace agor
