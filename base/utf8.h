// UTF-8: the one decoder of the code base. Every byte string from outside (a socket, a query,
// a JSON body, an agent's stdout) is checked here when it enters, and text echoed back (error
// messages, logs, agent output) is made valid here before it is serialized, so no JSON writer
// ever meets invalid UTF-8.
//
// Well-formed means RFC 3629 as nlohmann and browsers decode it: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing past U+10FFFF, no truncated sequence.
//
// Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agor {

// Length (1..4) of the well-formed sequence starting at s[i], or 0 when none starts there (a
// stray continuation byte, a truncated, overlong or surrogate sequence, past U+10FFFF).
// Requires i < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

// True when all of `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

// `s` with each byte that starts no well-formed sequence, and each NUL, replaced by U+FFFD,
// cut before the sequence that would pass `max_bytes` of input; for echoing or storing outside
// text (the store refuses text with a NUL, which PostgreSQL cannot hold).
std::string ToValidUtf8(std::string_view s, size_t max_bytes = std::string_view::npos);

// The longest prefix of `s` of at most `max_bytes` bytes that ends on a sequence boundary
// (`s` must be valid UTF-8).
std::string_view Utf8Prefix(std::string_view s, size_t max_bytes);

// Number of code points in valid UTF-8 `s` (continuation bytes are not counted).
size_t Utf8CodePoints(std::string_view s);

}  // namespace agor
