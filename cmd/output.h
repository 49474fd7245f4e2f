// Output: how the CLI's client commands print records.
//
// Contract:
// - JSON mode (stdout is not a terminal, or --json): one compact JSON object per line, one line
//   per record, nothing else on stdout, so output pipes into jq and friends.
// - Terminal mode: a list is an aligned table (two spaces between columns, no trailing blanks);
//   a single record is a "key: value" block in the record's field order.
// - Color (bold headers and keys) only in terminal mode and only when NO_COLOR is unset or
//   empty (https://no-color.org).
// - Cells: strings as they are, null as "-", numbers/booleans/objects/arrays as compact JSON;
//   short-id columns show the first 8 characters; text columns are cut at their width with "…".
//   Widths count UTF-8 code points, not bytes.
//
// The Format* functions are pure (tested directly); Print* write to stdout.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"

namespace agor {

struct OutputStyle {
  bool json = false;   // JSON lines instead of tables / blocks
  bool color = false;  // ANSI bold on headers and keys
};

// The style for `force_json`, whether stdout is a terminal, and $NO_COLOR (may be null).
OutputStyle ChooseStyle(bool force_json, bool stdout_is_tty, const char* no_color);
// ChooseStyle with isatty(1) and getenv("NO_COLOR").
OutputStyle DetectStyle(bool force_json);

struct Column {
  enum Kind { kText, kShortId };
  std::string header;  // "NAME"
  std::string field;   // "name"
  Kind kind = kText;
  size_t max_width = 40;  // kText only
};

// The short id shown in tables and accepted back as a prefix.
inline constexpr size_t kShortIdLength = 8;

// One cell's text for `value` under `column`'s rules.
std::string CellText(const Json& value, const Column& column);
// An aligned table of `rows` (a JSON array of objects), header first, each line ending in \n.
std::string FormatTable(const std::vector<Column>& columns, const Json& rows, bool color);
// A "key: value" block for one record (an object), keys aligned.
std::string FormatRecord(const Json& record, bool color);
// One compact JSON line (with \n) per element of `rows`.
std::string FormatJsonLines(const Json& rows);

// Writes `rows` (an array) as JSON lines or a table, per `style`.
void PrintRecords(const OutputStyle& style, const std::vector<Column>& columns, const Json& rows);
// Writes one record as a JSON line or a key: value block, per `style`.
void PrintRecord(const OutputStyle& style, const Json& record);

}  // namespace agor
