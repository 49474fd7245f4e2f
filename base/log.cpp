#include "base/log.h"

#include <unistd.h>

#include <algorithm>
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

std::string LogEscape(std::string_view text, size_t max_bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  size_t n = std::min(text.size(), max_bytes);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (n < text.size()) out += "...";
  return out;
}

}  // namespace agor
