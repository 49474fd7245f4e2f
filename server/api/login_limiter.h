// LoginLimiter: brute-force bounds on the local strategy. Failed logins are counted per email
// (lowercased) and per client address in a sliding window; past `per_email` failures for one
// email, or `per_address` from one address, within `window_ms`, further attempts are refused
// with TooManyRequests (429) until old failures leave the window, before any hash is checked.
// A success does not reset the address count (a valid account must not launder a guesser).
//
// An empty address (unknown) is counted per email only.
//
// Memory: at most `max_keys` keys are tracked; past it the key failed least recently is dropped
// (an attacker cycling through addresses cannot grow it), each key keeps at most its limit of
// stamps, and a key is cut to kMaxKeyBytes (an email longer than that is no real one).
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

  size_t tracked_keys() const { return keys_.size(); }

  static constexpr size_t kMaxKeyBytes = 320;

 private:
  struct Entry {
    std::deque<int64_t> stamps;  // failures, oldest first, within the window when last pruned
    std::list<std::string>::iterator order;
  };
  // Over the bound for `key` (pruning its old stamps, and the key when none is left)?
  bool Over(const std::string& key, size_t limit, int64_t now_ms);
  void Add(const std::string& key, size_t limit, int64_t now_ms);

  Options options_;
  std::unordered_map<std::string, Entry> keys_;
  std::list<std::string> order_;  // keys by last failure, least recent first
};

}  // namespace agor
