// Logging: one line per record on stderr, "<ISO time> <level> <message>". stdout is kept for
// program output (the daemon's "listening" line, the CLI's JSON lines).
// Thread-safe: each line is one write(2).
#pragma once

#include <string>

namespace agor {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn", "error"; false for anything else.
bool ParseLogLevel(const std::string& text, LogLevel* level);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, const std::string& message);

}  // namespace agor
