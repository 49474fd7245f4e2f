// Logging: one line per record on stderr, "<ISO time> <level> <message>". stdout is kept for
// program output (the daemon's "listening" line, the CLI's JSON lines).
// Thread-safe: each line is one write(2).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agor {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn", "error"; false for anything else.
bool ParseLogLevel(const std::string& text, LogLevel* level);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, const std::string& message);

// Outside text (a request path, a service name) made safe to put in a log line: printable
// ASCII stays, a backslash doubles, every other byte (control characters, DEL, non-ASCII)
// becomes \xNN, so nothing from a client can move a terminal's cursor or forge a line.
// Cut after `max_bytes` of input, marked with "...".
std::string LogEscape(std::string_view text, size_t max_bytes = 256);

}  // namespace agor
