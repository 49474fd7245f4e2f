// The one entry rule for JSON text from outside (REST bodies, Socket.IO and Feathers payloads,
// agents' stdout lines): every transport parses with ParseJson, so the same text is accepted or
// refused everywhere, with the same message.
//
// ParseJson accepts one JSON value (RFC 8259) and refuses, before any tree deeper than the
// limit is built and without recursion:
//   - text over `max_bytes` (PayloadTooLarge);
//   - empty or whitespace-only text, a NUL byte anywhere, text that is not valid UTF-8
//     (base/utf8.h), anything after the value but whitespace;
//   - nesting deeper than `max_depth` arrays/objects (the outermost counts as 1): the copies and
//     writers of Json recurse, so depth is what keeps the stack bounded;
//   - an object with more than `max_object_keys` members: nlohmann::ordered_json looks keys up
//     linearly, so this keeps parsing linear in the input;
//   - numbers out of range: floats that overflow a double (1e400, -1e400) and integer literals
//     that fit neither int64 nor uint64 (18446744073709551616), which nlohmann would otherwise
//     silently turn into a rounded double.
// A UTF-8 byte order mark at the very start is skipped, as nlohmann and Express's body parser
// do. Every refusal is a BadRequest whose message starts with "Invalid JSON: " and names the
// problem and where (byte N: the N-th byte, counting from 1); no library text and no invalid UTF-8
// ever reaches the message. Never throws.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"

namespace agor {

// Nesting allowed in any JSON that enters (the outermost array or object is level 1).
inline constexpr int kMaxJsonDepth = 64;
// Members allowed in one object.
inline constexpr size_t kMaxJsonObjectKeys = 1000;
// The ceiling for one JSON text; the transports have their own smaller limits (--max-body,
// Engine.IO's maxPayload) that apply first.
inline constexpr size_t kMaxJsonBytes = 64 * 1024 * 1024;

struct JsonLimits {
  size_t max_bytes = kMaxJsonBytes;
  int max_depth = kMaxJsonDepth;
  size_t max_object_keys = kMaxJsonObjectKeys;
};

// Parses `text` into *out under `limits`. On error *out is left unchanged.
Status ParseJson(std::string_view text, Json* out, const JsonLimits& limits = JsonLimits());

// The compact JSON text of `value`, with invalid UTF-8 in strings replaced by U+FFFD instead of
// throwing: for writing anything that may hold outside text.
std::string DumpJson(const Json& value);

// `object[key]` when `object` is an object holding a string there, else "" (records read from
// a server or a body: any shape may come).
std::string StringField(const Json& object, const char* key);

}  // namespace agor
