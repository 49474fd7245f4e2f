#include "base/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace agor {
namespace {

template <typename Chrono>
class RealClock : public Clock {
 public:
  int64_t NowMillis() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(Chrono::now().time_since_epoch()).count();
  }
  int64_t NowMicros() override {
    using namespace std::chrono;
    return duration_cast<microseconds>(Chrono::now().time_since_epoch()).count();
  }
};

}  // namespace

Clock* SystemClock() {
  static RealClock<std::chrono::system_clock> clock;
  return &clock;
}

Clock* SteadyClock() {
  static RealClock<std::chrono::steady_clock> clock;
  return &clock;
}

std::string FormatIso8601(int64_t millis) {
  time_t secs = static_cast<time_t>(millis / 1000);
  int ms = static_cast<int>(millis % 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

bool ParseIso8601(const std::string& text, int64_t* millis) {
  struct tm tm = {};
  int ms = 0;
  char z = 0;
  int n = sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                 &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z);
  if (n != 8 || z != 'Z') return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *millis = static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
  return true;
}

}  // namespace agor
