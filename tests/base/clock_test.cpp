// Tests of base/clock: the monotonic clock the server's deadlines read, and its micro/milli
// agreement (both real clocks answer on one time line per clock).
#include "base/clock.h"

#include <catch2/catch.hpp>

namespace agor {

TEST_CASE("clock: the steady clock never goes back and agrees with its microseconds",
          "[base][clock]") {
  Clock* clock = SteadyClock();
  int64_t last = clock->NowMillis();
  for (int i = 0; i < 1000; ++i) {
    int64_t now = clock->NowMillis();
    CHECK(now >= last);
    last = now;
  }
  int64_t micros = clock->NowMicros();
  int64_t millis = clock->NowMillis();
  CHECK(millis >= micros / 1000);
  CHECK(millis - micros / 1000 < 1000);  // the same time line, not another epoch
}

TEST_CASE("clock: a clock without its own microseconds derives them", "[base][clock]") {
  struct Fixed : Clock {
    int64_t NowMillis() override { return 42; }
  } fixed;
  CHECK(fixed.NowMicros() == 42000);
  int64_t wall_ms = SystemClock()->NowMillis();
  CHECK(wall_ms > 1600000000000);  // wall time is Unix epoch milliseconds
  CHECK(SystemClock()->NowMicros() / 1000 - wall_ms < 1000);
}

}  // namespace agor
