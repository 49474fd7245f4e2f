#include "cmd/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "base/utf8.h"

namespace agor {
namespace {

constexpr const char* kBold = "\x1b[1m";
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kEllipsis = "\xe2\x80\xa6";  // "…"

// Display width in code points of valid UTF-8 `text` (every cell is made valid first).
size_t Width(const std::string& text) {
  return Utf8CodePoints(text);
}

// The first `points` code points of valid UTF-8 `text`.
std::string Prefix(const std::string& text, size_t points) {
  size_t end = 0;
  for (size_t seen = 0; end < text.size() && seen < points; ++seen) {
    end += std::max<size_t>(1, Utf8SequenceLength(text, end));
  }
  return text.substr(0, end);
}

std::string Compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Text a server sent is shown, never trusted: invalid UTF-8 becomes U+FFFD, so widths and cuts
// stay on character boundaries and the terminal gets no stray bytes.
std::string PlainText(const Json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return ToValidUtf8(value.get_ref<const std::string&>());
  return Compact(value);
}

std::string Emphasize(const std::string& text, bool color) {
  return color ? kBold + text + kReset : text;
}

// `text` padded to `width` code points, emphasized after padding so escapes don't count.
std::string Pad(const std::string& text, size_t width, bool color) {
  return Emphasize(text, color) + std::string(width - std::min(width, Width(text)), ' ');
}

std::string TableLine(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                      bool color) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    bool last = i + 1 == cells.size();
    line += last ? Emphasize(cells[i], color) : Pad(cells[i], widths[i] + 2, color);
  }
  return line + "\n";
}

const Json& FieldOf(const Json& row, const std::string& field) {
  static const Json kNull;
  auto it = row.is_object() ? row.find(field) : row.end();
  return it != row.end() ? *it : kNull;
}

}  // namespace

OutputStyle ChooseStyle(bool force_json, bool stdout_is_tty, const char* no_color) {
  OutputStyle style;
  style.json = force_json || !stdout_is_tty;
  style.color = !style.json && !(no_color && *no_color);
  return style;
}

OutputStyle DetectStyle(bool force_json) {
  return ChooseStyle(force_json, isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"));
}

std::string CellText(const Json& value, const Column& column) {
  std::string text = PlainText(value);
  if (column.kind == Column::kShortId) return Prefix(text, kShortIdLength);
  if (column.max_width == 0 || Width(text) <= column.max_width) return text;
  return Prefix(text, column.max_width - 1) + kEllipsis;
}

std::string FormatTable(const std::vector<Column>& columns, const Json& rows, bool color) {
  std::vector<std::vector<std::string>> lines(1);
  std::vector<size_t> widths;
  for (const auto& column : columns) {
    lines[0].push_back(column.header);
    widths.push_back(Width(column.header));
  }
  for (const auto& row : rows) {
    lines.emplace_back();
    for (size_t i = 0; i < columns.size(); ++i) {
      lines.back().push_back(CellText(FieldOf(row, columns[i].field), columns[i]));
      widths[i] = std::max(widths[i], Width(lines.back().back()));
    }
  }
  std::string out = TableLine(lines[0], widths, color);
  for (size_t i = 1; i < lines.size(); ++i) out += TableLine(lines[i], widths, false);
  return out;
}

std::string FormatRecord(const Json& record, bool color) {
  size_t width = 0;
  for (const auto& item : record.items()) {
    width = std::max(width, Width(ToValidUtf8(item.key())) + 1);
  }
  std::string out;
  for (const auto& item : record.items()) {
    out += Pad(ToValidUtf8(item.key()) + ":", width + 1, color) + PlainText(item.value()) + "\n";
  }
  return out;
}

std::string FormatJsonLines(const Json& rows) {
  std::string out;
  for (const auto& row : rows) out += Compact(row) + "\n";
  return out;
}

void PrintRecords(const OutputStyle& style, const std::vector<Column>& columns, const Json& rows) {
  std::string text = style.json ? FormatJsonLines(rows) : FormatTable(columns, rows, style.color);
  fwrite(text.data(), 1, text.size(), stdout);
}

void PrintRecord(const OutputStyle& style, const Json& record) {
  std::string text =
      style.json ? FormatJsonLines(Json::array({record})) : FormatRecord(record, style.color);
  fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace agor
