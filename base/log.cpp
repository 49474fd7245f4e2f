#include "base/log.h"

#include <unistd.h>

#include <atomic>

#include "base/clock.h"

namespace agor {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
const char* const kNames[] = {"debug", "info", "warn", "error"};

}  // namespace

bool ParseLogLevel(const std::string& text, LogLevel* level) {
  for (int i = 0; i < 4; ++i) {
    if (text == kNames[i]) {
      *level = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

void SetLogLevel(LogLevel level) {
  g_level = static_cast<int>(level);
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= g_level;
}

void Log(LogLevel level, const std::string& message) {
  if (!LogEnabled(level)) return;
  std::string line = FormatIso8601(SystemClock()->NowMillis()) + " " +
                     kNames[static_cast<int>(level)] + " " + message + "\n";
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace agor
