// RedisReply: one reply from Redis as a small owned value (nil, integer, string, array or
// error), so that no hiredis type leaves server/net. Status replies ("+OK") are strings.
//
// TranslateRedisReply copies a hiredis reply at the boundary and bounds it: nesting deeper
// than kMaxRedisReplyDepth levels (a scalar is 1, an array of scalars 2) or more than
// `max_bytes` in all (each value counted as its text plus kRedisReplyOverhead bytes, so a
// huge array of empty strings is bounded too) is refused with a GeneralError instead of
// being copied. agor itself sends nothing that nests deeper than 3 (EXEC of arrays).
//
// A value type: copy and move freely; no threading concerns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

struct redisReply;  // hiredis's type; only redis_reply.cpp sees inside it

namespace agor {

constexpr int kMaxRedisReplyDepth = 4;
constexpr size_t kMaxRedisReplyBytes = 16 * 1024 * 1024;
constexpr size_t kRedisReplyOverhead = 64;

struct RedisReply {
  enum class Type { kNil, kInteger, kString, kArray, kError };

  Type type = Type::kNil;
  int64_t integer = 0;               // kInteger
  std::string str;                   // kString (bulk or status); kError: the message
  std::vector<RedisReply> elements;  // kArray

  static RedisReply Integer(int64_t value);
  static RedisReply String(std::string value);
  static RedisReply Error(std::string message);
  static RedisReply Array(std::vector<RedisReply> values);

  bool is_nil() const { return type == Type::kNil; }
  bool is_string() const { return type == Type::kString; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_array() const { return type == Type::kArray; }
  bool is_error() const { return type == Type::kError; }
};

// Copies `reply` into `out` within the bounds above. A null reply becomes nil.
Status TranslateRedisReply(const redisReply* reply, RedisReply* out,
                           size_t max_bytes = kMaxRedisReplyBytes);

}  // namespace agor
