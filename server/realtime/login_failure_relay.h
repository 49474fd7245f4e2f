// LoginFailureRelay: the login rate limits of several nodes, shared through Redis pub/sub
// (issue 14, `--broker`). Each node counts failed local logins in its own LoginLimiter
// (server/api/login_limiter.h); the relay PUBLISHes each failure on `<prefix>login-failed` and
// hands every other node's to a callback that counts it there too, so a guesser spreading
// attempts over the nodes meets the same bounds as on one node, within Redis's latency.
//
// Why pub/sub and not a counter in Redis: the login path checks its limit synchronously
// before any hash; a Redis round trip there would make each login wait on Redis, and fail
// open or closed while it is down. Here a Redis outage only narrows the sharing: each node
// still enforces its own bounds (at worst N nodes x the limit for one guesser).
//
// Message: {"v":1,"node":"...","email":"...","address":"...","at":<ms>} (compact JSON).
// Decode takes the bytes as hostile: at most kMaxLoginFailureBytes, ParseJson's rules,
// exactly those keys, v 1, node a string of at most 64 bytes, email at most LoginLimiter's
// 320, address at most 64, at an integer >= 0.
// A node's own message comes back from Redis too: it carries the node's random id and is
// skipped, never counted twice.
//
// Ownership: the relay owns its RedisConnection (handed in unstarted). Threading: the event
// loop only; the callback runs there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/net/redis_connection.h"

namespace agor {

inline constexpr size_t kMaxLoginFailureBytes = 1024;

struct LoginFailure {
  std::string node;  // the publishing node's random id (its own are skipped)
  std::string email;
  std::string address;
  int64_t at_ms = 0;
};

std::string EncodeLoginFailure(const LoginFailure& failure);
// BadRequest naming the field, *out untouched, for anything but the format above.
Status DecodeLoginFailure(std::string_view bytes, LoginFailure* out);

class LoginFailureRelay {
 public:
  using Counted = std::function<void(const LoginFailure&)>;
  struct Stats {
    int64_t published = 0;
    int64_t received = 0;  // other nodes' failures counted here
    int64_t invalid = 0;   // messages dropped as malformed
  };

  // `node_id`: this node's random id. `counted` gets each other node's failure.
  LoginFailureRelay(std::unique_ptr<RedisConnection> redis, std::string prefix, std::string node_id,
                    Counted counted);
  ~LoginFailureRelay();

  Status Start();
  void Close();
  // A failed login on this node: published (dropped while Redis is down).
  void Publish(const std::string& email, const std::string& address, int64_t at_ms);
  const Stats& stats() const { return stats_; }
  bool up() const { return redis_->up(); }

 private:
  void OnMessage(const std::string& payload);

  std::unique_ptr<RedisConnection> redis_;
  std::string channel_;
  std::string node_id_;
  Counted counted_;
  Stats stats_;
};

}  // namespace agor
