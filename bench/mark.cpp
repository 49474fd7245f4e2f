#include "bench/mark.h"

namespace agor::bench {
namespace {

constexpr std::string_view kEventPrefix = "[\"messages created\",";
constexpr std::string_view kContentKey = "\"content\":\"bench ";

// Parses a non-negative decimal at text[*pos] and skips one following space.
bool ReadNumber(std::string_view text, size_t* pos, int64_t* value) {
  size_t start = *pos;
  int64_t v = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    v = v * 10 + (text[(*pos)++] - '0');
  }
  if (*pos == start) return false;
  if (*pos < text.size() && text[*pos] == ' ') ++*pos;
  *value = v;
  return true;
}

}  // namespace

std::string MarkContent(const Mark& mark) {
  return "bench " + std::to_string(mark.run) + " " + std::to_string(mark.seq) + " " +
         std::to_string(mark.sent_ns);
}

bool ParseMarkedEvent(std::string_view args, Mark* mark) {
  if (args.substr(0, kEventPrefix.size()) != kEventPrefix) return false;
  size_t pos = args.find(kContentKey, kEventPrefix.size());
  if (pos == std::string_view::npos) return false;
  pos += kContentKey.size();
  return ReadNumber(args, &pos, &mark->run) && ReadNumber(args, &pos, &mark->seq) &&
         ReadNumber(args, &pos, &mark->sent_ns);
}

}  // namespace agor::bench
