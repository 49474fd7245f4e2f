// Clock: the only source of time of the store and the server, so tests can freeze or advance
// it. Two real clocks: wall time (SystemClock) for what is stored and shown, and a monotonic
// one (SteadyClock) for deadlines and durations, which must not jump with the wall clock.
#pragma once

#include <cstdint>
#include <string>

namespace agor {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMillis() = 0;
  // Microseconds on the same time line; clocks that do not know better derive it.
  virtual int64_t NowMicros() { return NowMillis() * 1000; }
};

// The real clock (std::chrono::system_clock). Thread-safe.
Clock* SystemClock();
// A monotonic clock (std::chrono::steady_clock), for deadlines and idle times that a change
// of the wall clock must not move; its epoch is arbitrary. Thread-safe.
Clock* SteadyClock();

// "2026-11-26T11:45:14.545Z": the wire format of every time in agor.
std::string FormatIso8601(int64_t millis);
// Inverse of FormatIso8601 for the same shape; false when `text` is not one.
bool ParseIso8601(const std::string& text, int64_t* millis);

}  // namespace agor
