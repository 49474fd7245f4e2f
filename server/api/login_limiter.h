// LoginLimiter: brute-force bounds on the local strategy. Failed logins are counted per email
// (lowercased) and per client address in a sliding window; past `per_email` failures for one
// email, or `per_address` from one address, within `window_ms`, further attempts are refused
// with TooManyRequests (429) until old failures leave the window, before any hash is checked.
// A success does not reset the address count (a valid account must not launder a guesser).
//
// Memory: at most `max_keys` keys are tracked; past it the oldest key is dropped (an attacker
// cycling through addresses cannot grow it), and each key keeps at most its limit of stamps.
//
// Thread-safety: none; the event loop's.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <string>
#include <unordered_map>

#include "base/status.h"

namespace agor {

class LoginLimiter {
 public:
  struct Options {
    int per_email = 10;
    int per_address = 50;
    int64_t window_ms = 15 * 60 * 1000;
    size_t max_keys = 100000;
  };
  explicit LoginLimiter(Options options) : options_(options) {}

  // OK, or TooManyRequests when this email or address is over its bound at `now_ms`.
  Status Check(const std::string& email, const std::string& address, int64_t now_ms);
  void Failed(const std::string& email, const std::string& address, int64_t now_ms);

 private:
  Options options_;
};

}  // namespace agor
