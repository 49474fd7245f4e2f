#include "base/utf8.h"

namespace agor {
namespace {

bool InRange(std::string_view s, size_t k, unsigned lo, unsigned hi) {
  if (k >= s.size()) return false;
  const auto c = static_cast<unsigned char>(s[k]);
  return c >= lo && c <= hi;
}

bool Continuations(std::string_view s, size_t from, size_t count) {
  for (size_t k = from; k < from + count; ++k) {
    if (!InRange(s, k, 0x80, 0xBF)) return false;
  }
  return true;
}

}  // namespace

// The second byte's range is what rules out overlongs (E0, F0), surrogates (ED) and code
// points past U+10FFFF (F4); the table is RFC 3629's.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return Continuations(s, i + 1, 1) ? 2 : 0;
  unsigned lo = 0x80, hi = 0xBF;
  size_t length = 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (!InRange(s, i + 1, lo, hi) || !Continuations(s, i + 2, length - 2)) return 0;
  return length;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidUtf8(std::string_view s, size_t max_bytes) {
  std::string out;
  out.reserve(s.size() < max_bytes ? s.size() : max_bytes);
  for (size_t i = 0; i < s.size();) {
    const size_t n = s[i] == '\0' ? 0 : Utf8SequenceLength(s, i);  // NUL: replaced too
    const size_t used = n == 0 ? 1 : n;
    if (i + used > max_bytes) break;
    out.append(n == 0 ? std::string_view("\xEF\xBF\xBD") : s.substr(i, n));
    i += used;
  }
  return out;
}

std::string_view Utf8Prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

size_t Utf8CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace agor
