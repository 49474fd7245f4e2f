// Output: how the CLI's client commands print records, and what they may write to a terminal.
//
// Contract:
// - JSON mode (stdout is not a terminal, or --json): one compact JSON object per line, one line
//   per record, nothing else on stdout, so output pipes into jq and friends. JSON escapes
//   control characters itself: nothing below applies to it.
// - Terminal mode: a list is an aligned table (two spaces between columns, no trailing blanks)
//   that fits the terminal's width; a single record is a "key: value" block in the record's
//   field order.
// - Terminal safety: text from the daemon (names, contents, errors) reaches a terminal only
//   through TerminalSafe, so a board named "evil\e[31mRED" shows as `evil\x1b[31mRED` and
//   colours nothing (with or without NO_COLOR), and a newline cannot break a table row.
// - Color (bold headers and keys) only in terminal mode and only when NO_COLOR is unset or
//   empty (https://no-color.org).
// - Cells: strings as they are (made terminal-safe), null as "-", numbers/booleans/objects/
//   arrays as compact JSON; short-id columns show the first 8 characters; text columns are cut
//   at their width with "…". Widths count UTF-8 code points, not bytes.
// - Fitting: when a table is wider than the terminal, the widest text column loses a column at
//   a time (never below its header or 4), short-id columns never shrink.
//
// The Format* functions are pure (tested directly); Print*/Write* write to stdout. No threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace agor {

struct OutputStyle {
  bool json = false;   // JSON lines instead of tables / blocks
  bool color = false;  // ANSI bold on headers and keys
  size_t width = 0;    // terminal columns a table must fit; 0: no limit
};

// The style for `force_json`, whether stdout is a terminal, and $NO_COLOR (may be null).
OutputStyle ChooseStyle(bool force_json, bool stdout_is_tty, const char* no_color);
// ChooseStyle with isatty(1) and getenv("NO_COLOR"), and TerminalWidth() on a terminal.
OutputStyle DetectStyle(bool force_json);

// The width tables fit: the terminal's columns (`tty_columns`, from TIOCGWINSZ; <= 0 when
// unknown), else $COLUMNS (`columns_env`, may be null) when it is a number in 1..10000, else 80.
size_t ChooseTerminalWidth(int tty_columns, const char* columns_env);
// ChooseTerminalWidth for stdout.
size_t TerminalWidth();

// `text` made safe to print on a terminal: invalid UTF-8 becomes U+FFFD; C0 controls and DEL
// become `\xHH` (`\n`, `\r`, `\t` for those three), C1 controls and the bidi overrides and
// isolates (U+202A..U+202E, U+2066..U+2069) `\uHHHH`. With keep_line_breaks, "\n" and "\t"
// pass as they are (agent text streamed to a terminal); "\r" never does (it could overwrite
// what the line showed).
std::string TerminalSafe(std::string_view text, bool keep_line_breaks = false);

struct Column {
  enum Kind { kText, kShortId };
  std::string header;  // "NAME"
  std::string field;   // "name"
  Kind kind = kText;
  size_t max_width = 40;  // kText only
};

// The short id shown in tables and accepted back as a prefix.
inline constexpr size_t kShortIdLength = 8;

// One cell's text for `value` under `column`'s rules (terminal-safe).
std::string CellText(const Json& value, const Column& column);
// An aligned table of `rows` (a JSON array of objects), header first, each line ending in \n,
// fitted to `width` columns when width > 0.
std::string FormatTable(const std::vector<Column>& columns, const Json& rows, bool color,
                        size_t width = 0);
// A "key: value" block for one record (an object), keys aligned.
std::string FormatRecord(const Json& record, bool color);
// One compact JSON line (with \n) per element of `rows`.
std::string FormatJsonLines(const Json& rows);

// Writes `rows` (an array) as JSON lines or a table, per `style`.
void PrintRecords(const OutputStyle& style, const std::vector<Column>& columns, const Json& rows);
// Writes one record as a JSON line or a key: value block, per `style`.
void PrintRecord(const OutputStyle& style, const Json& record);

// Writes all of `text` to stdout (file descriptor 1, unbuffered; retried on EINTR). False when
// it could not, e.g. EPIPE once the reader of a pipe is gone (callers ignore SIGPIPE).
bool WriteStdout(std::string_view text);
// True when stdout is a pipe or socket whose reader is gone (`| head` exited), without writing.
bool StdoutReaderGone();

}  // namespace agor
