// RedisConnection: the daemon's client of one Redis server (`--broker redis://HOST:PORT[/DB]`),
// driven by the daemon's own Asio event loop through hiredis's async API: no thread of its
// own. It holds two connections (redis_link.h): one for commands, one for pub/sub, since a
// subscribed Redis connection takes no other commands.
//
// Commands: Command(argv, done) answers `done(status, reply)` exactly once: OK with the reply;
// a Redis error reply as GeneralError (the reply then holds the error text); Unavailable at
// once (on the next turn of the loop) while the command connection is down or
// max_in_flight commands await their replies, and for those in flight when it drops. Nothing
// queues while disconnected, so a Redis outage costs no memory.
//
// Pub/sub: Subscribe(channel, on_message, on_subscribed) keeps a wanted set; the
// subscriptions are issued whenever the pub/sub connection is up, again after each reconnect,
// and `on_subscribed` is called each time Redis confirms one (from then on publishes reach
// it). Messages arrive in the order Redis sent them. Unsubscribe stops delivery at once.
//
// State: on_state(true) once commands can flow (after SELECT when a DB is given) and every
// subscription wanted when the pub/sub connection came up is confirmed; on_state(false) when
// either connection drops. Both reconnect by themselves with backoff (50 ms doubling to 2 s),
// so a broker uses the edge to fill from the event log what it may have missed.
//
// Threading: every call and every callback on the io_context's thread (construct it there, or
// before the loop runs). Callbacks may issue commands, (un)subscribe or Close(); destroy the
// connection from a posted task, not from inside one of its callbacks. After Close() (or
// destruction) no callback is called. Nothing throws out of it; a callback that throws is
// logged. The open connections keep the loop's run() busy: close it before expecting run()
// to return (the daemon: from WebServer::OnStop).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/net/redis_reply.h"

namespace asio {
class io_context;
}

namespace agor {

struct RedisConnectionOptions {
  std::string url;  // redis://HOST[:PORT][/DB] (server/wire/redis_url.h)
  int connect_timeout_ms = 2000;
  int backoff_min_ms = 50;
  int backoff_max_ms = 2000;
  size_t max_in_flight = 100000;                 // commands sent and not yet answered
  size_t max_reply_bytes = kMaxRedisReplyBytes;  // larger replies fail their command
};

// Counters for /metrics, since Start().
struct RedisStats {
  uint64_t commands = 0;         // sent to Redis
  uint64_t failed_commands = 0;  // answered with a non-OK Status (refused ones included)
  uint64_t messages = 0;         // pub/sub messages delivered to a subscriber
  uint64_t reconnects = 0;       // times the state went up again after a down
};

class RedisConnection {
 public:
  using Callback = std::function<void(Status, RedisReply)>;
  using MessageFn = std::function<void(const std::string& payload)>;

  RedisConnection(asio::io_context& io, RedisConnectionOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Checks the URL (BadRequest naming the problem) and starts connecting; once only.
  Status Start();
  // Closes both connections; commands in flight are dropped without their callbacks.
  void Close();

  void OnState(std::function<void(bool up)> fn);
  bool up() const;
  // Why the last connect failed or a connection dropped ("" if none did).
  std::string last_error() const;
  RedisStats stats() const;

  void Command(std::vector<std::string> argv, Callback done);
  // Replaces the handlers of a channel already subscribed.
  void Subscribe(const std::string& channel, MessageFn on_message,
                 std::function<void()> on_subscribed = nullptr);
  void Unsubscribe(const std::string& channel);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agor
