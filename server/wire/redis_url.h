// RedisUrl: the address of a Redis server as given to `--broker`: redis://HOST[:PORT][/DB].
// HOST is an IPv4 address, a bracketed IPv6 address ([::1]) or a DNS name; PORT defaults to
// 6379 and DB (SELECTed after connecting) to 0. Anything else (credentials, a query, a
// fragment, another scheme) is refused with a BadRequest that says what was wrong: a mistyped
// flag must fail at start, not as endless reconnects.
//
// A pure decoder of operator input (the CLI may check the flag with it before starting
// anything); bounded to kMaxRedisUrlBytes. Thread-safe: no state.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace agor {

constexpr size_t kMaxRedisUrlBytes = 1024;
constexpr int kDefaultRedisPort = 6379;
constexpr int kMaxRedisDb = 1 << 20;  // Redis takes `databases` up to INT_MAX; this is plenty

struct RedisUrl {
  std::string host;  // as written, without the brackets of an IPv6 address
  int port = kDefaultRedisPort;
  int db = 0;

  // "redis://HOST:PORT/DB", the canonical spelling: parsing it gives this value back.
  std::string ToString() const;
  bool operator==(const RedisUrl& o) const {
    return host == o.host && port == o.port && db == o.db;
  }
};

// Parses `text`; on failure `out` is untouched and the Status names the problem.
Status ParseRedisUrl(std::string_view text, RedisUrl* out);

}  // namespace agor
