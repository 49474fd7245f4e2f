#include "cmd/output.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/utf8.h"

namespace agor {
namespace {

constexpr const char* kBold = "\x1b[1m";
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kEllipsis = "\xe2\x80\xa6";  // "…"
constexpr size_t kDefaultWidth = 80;
constexpr size_t kMinTextWidth = 4;  // a fitted text column keeps at least "abc…"

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

// `text` cut to `width` code points, the last one an ellipsis when something was cut.
std::string Cut(const std::string& text, size_t width) {
  if (Width(text) <= width) return text;
  return width == 0 ? std::string() : Prefix(text, width - 1) + kEllipsis;
}

std::string Compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Text a server sent is shown, never trusted: made terminal-safe, so widths and cuts stay on
// character boundaries and the terminal gets no stray bytes or escape sequences.
std::string PlainText(const Json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return TerminalSafe(value.get_ref<const std::string&>());
  return TerminalSafe(Compact(value));  // JSON escaped C0 already; C1 and bidi remain
}

// The code point of the valid sequence of `length` bytes at s[i].
char32_t CodePoint(std::string_view s, size_t i, size_t length) {
  static constexpr unsigned char kLeadMask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
  char32_t cp = static_cast<unsigned char>(s[i]) & kLeadMask[length];
  for (size_t k = 1; k < length; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
  return cp;
}

bool IsBidiControl(char32_t cp) {
  return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// The visible escape of a C0 control or DEL.
std::string EscapeControl(unsigned char c) {
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  char out[8];
  snprintf(out, sizeof out, "\\x%02x", c);
  return out;
}

std::string EscapeCodePoint(char32_t cp) {
  char out[12];
  snprintf(out, sizeof out, "\\u%04x", static_cast<unsigned>(cp));
  return out;
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
    std::string cell = Cut(cells[i], widths[i]);
    line += last ? Emphasize(cell, color) : Pad(cell, widths[i] + 2, color);
  }
  return line + "\n";
}

const Json& FieldOf(const Json& row, const std::string& field) {
  static const Json kNull;
  auto it = row.is_object() ? row.find(field) : row.end();
  return it != row.end() ? *it : kNull;
}

// Narrows the widest text column, one code point at a time, until the table fits `limit`
// (or no text column can give more).
void FitWidths(const std::vector<Column>& columns, size_t limit, std::vector<size_t>* widths) {
  size_t total = 2 * (widths->size() - 1);
  for (size_t w : *widths) total += w;
  while (total > limit) {
    size_t widest = widths->size();
    for (size_t i = 0; i < widths->size(); ++i) {
      size_t floor = std::max(kMinTextWidth, Width(columns[i].header));
      bool shrinkable = columns[i].kind == Column::kText && (*widths)[i] > floor;
      if (shrinkable && (widest == widths->size() || (*widths)[i] > (*widths)[widest])) widest = i;
    }
    if (widest == widths->size()) return;
    --(*widths)[widest];
    --total;
  }
}

}  // namespace

OutputStyle ChooseStyle(bool force_json, bool stdout_is_tty, const char* no_color) {
  OutputStyle style;
  style.json = force_json || !stdout_is_tty;
  style.color = !style.json && !(no_color && *no_color);
  return style;
}

OutputStyle DetectStyle(bool force_json) {
  OutputStyle style = ChooseStyle(force_json, isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"));
  if (!style.json) style.width = TerminalWidth();
  return style;
}

size_t ChooseTerminalWidth(int tty_columns, const char* columns_env) {
  if (tty_columns > 0) return static_cast<size_t>(tty_columns);
  std::string env = columns_env ? columns_env : "";
  bool digits = !env.empty() && env.size() <= 5 && env.find_first_not_of("0123456789") == env.npos;
  long columns = digits ? std::strtol(env.c_str(), nullptr, 10) : 0;
  return columns >= 1 && columns <= 10000 ? static_cast<size_t>(columns) : kDefaultWidth;
}

size_t TerminalWidth() {
  struct winsize size = {};
  int columns = ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 ? size.ws_col : 0;
  return ChooseTerminalWidth(columns, std::getenv("COLUMNS"));
}

// Walks the raw bytes rather than ToValidUtf8's output: that turns NUL into U+FFFD, and a
// terminal reader should see "\x00" like any other control byte.
std::string TerminalSafe(std::string_view text, bool keep_line_breaks) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = Utf8SequenceLength(text, i);
    char32_t cp = length == 0 ? 0 : CodePoint(text, i, length);
    bool kept = keep_line_breaks && (c == '\n' || c == '\t');
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // not UTF-8: U+FFFD, as ToValidUtf8 shows it
    } else if ((c < 0x20 || c == 0x7f) && !kept) {
      out += EscapeControl(c);
    } else if ((cp >= 0x80 && cp <= 0x9f) || IsBidiControl(cp)) {
      out += EscapeCodePoint(cp);
    } else {
      out.append(text, i, length);
    }
    i += std::max<size_t>(1, length);
  }
  return out;
}

std::string CellText(const Json& value, const Column& column) {
  std::string text = PlainText(value);
  if (column.kind == Column::kShortId) return Prefix(text, kShortIdLength);
  if (column.max_width == 0) return text;
  return Cut(text, column.max_width);
}

std::string FormatTable(const std::vector<Column>& columns, const Json& rows, bool color,
                        size_t width) {
  std::vector<std::vector<std::string>> lines(1);
  std::vector<size_t> widths;
  for (const auto& column : columns) {
    lines[0].push_back(TerminalSafe(column.header));
    widths.push_back(Width(lines[0].back()));
  }
  for (const auto& row : rows) {
    lines.emplace_back();
    for (size_t i = 0; i < columns.size(); ++i) {
      lines.back().push_back(CellText(FieldOf(row, columns[i].field), columns[i]));
      widths[i] = std::max(widths[i], Width(lines.back().back()));
    }
  }
  if (width > 0 && !columns.empty()) FitWidths(columns, width, &widths);
  std::string out = TableLine(lines[0], widths, color);
  for (size_t i = 1; i < lines.size(); ++i) out += TableLine(lines[i], widths, false);
  return out;
}

std::string FormatRecord(const Json& record, bool color) {
  size_t width = 0;
  for (const auto& item : record.items()) {
    width = std::max(width, Width(TerminalSafe(item.key())) + 1);
  }
  std::string out;
  for (const auto& item : record.items()) {
    out += Pad(TerminalSafe(item.key()) + ":", width + 1, color) + PlainText(item.value()) + "\n";
  }
  return out;
}

std::string FormatJsonLines(const Json& rows) {
  std::string out;
  for (const auto& row : rows) out += Compact(row) + "\n";
  return out;
}

void PrintRecords(const OutputStyle& style, const std::vector<Column>& columns, const Json& rows) {
  std::string text =
      style.json ? FormatJsonLines(rows) : FormatTable(columns, rows, style.color, style.width);
  fwrite(text.data(), 1, text.size(), stdout);
}

void PrintRecord(const OutputStyle& style, const Json& record) {
  std::string text =
      style.json ? FormatJsonLines(Json::array({record})) : FormatRecord(record, style.color);
  fwrite(text.data(), 1, text.size(), stdout);
}

bool WriteStdout(std::string_view text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool StdoutReaderGone() {
  struct pollfd p = {STDOUT_FILENO, 0, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

}  // namespace agor
