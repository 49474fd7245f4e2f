// RedisLink: one connection to Redis through hiredis's async API, driven by an Asio
// io_context (no thread of its own), that reconnects by itself. RedisConnection (its only
// user) runs two: one for commands, one for pub/sub.
//
// Connecting: a DNS name is resolved with Asio's resolver first (hiredis would block the loop
// in getaddrinfo); the connect must complete within connect_timeout_ms. After a failure or a
// lost connection the link waits backoff_min_ms, doubling up to backoff_max_ms (reset by a
// successful connect), and tries again, forever, until Close().
//
// The adapter: hiredis owns the socket and its redisAsyncContext and asks for read/write
// readiness through ev.addRead/delRead/addWrite/delWrite; the link waits on the descriptor
// with an asio::posix::stream_descriptor that never owns it and is released in hiredis's
// cleanup hook, before hiredis closes the descriptor and frees the context. Every wait
// captures a weak pointer to the link and the context's generation, so a wait completing
// after its context was freed (or its link destroyed) touches neither.
//
// Bounds: hiredis buffers a reply until it is complete; a link whose unparsed input exceeds
// max_buffer_bytes is dropped (and reconnects) rather than buffering without end.
//
// Threading: the io_context's thread only, including construction and destruction. The hooks
// are called on it, possibly from inside hiredis: they may send commands but must not destroy
// the link. After Close() no hook is called.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/net/redis_reply.h"
#include "server/wire/redis_url.h"

struct redisAsyncContext;
struct redisReply;

namespace agor {

// Calls `fn`, logging instead of propagating what it throws: callbacks run inside hiredis
// (C) and on the event loop, and nothing may unwind through either.
void RunGuarded(const char* what, const std::function<void()>& fn);

struct RedisLinkOptions {
  int connect_timeout_ms = 2000;
  int backoff_min_ms = 50;
  int backoff_max_ms = 2000;
  size_t max_buffer_bytes = kMaxRedisReplyBytes + 1024;
};

class RedisLink : public std::enable_shared_from_this<RedisLink> {
 public:
  struct Hooks {
    std::function<void()> up;                      // connected: Send works from now on
    std::function<void(const std::string&)> down;  // a connection was lost (not a failed try)
    std::function<void(const redisReply&)> push;   // a pub/sub reply (see SendPubSub)
  };
  // A command's reply; null when the connection was lost before it came.
  using ReplyFn = std::function<void(const redisReply*)>;

  RedisLink(asio::io_context& io, RedisUrl url, RedisLinkOptions options, Hooks hooks);
  ~RedisLink();
  RedisLink(const RedisLink&) = delete;
  RedisLink& operator=(const RedisLink&) = delete;

  void Start();
  // Frees the context (hiredis answers its pending callbacks with a null reply) and stops
  // reconnecting. No hook is called from here on. Idempotent.
  void Close();

  bool up() const { return up_; }
  // Queues `argv` (hiredis formats it); `on_reply` is called exactly once unless the link is
  // closed first. False (and `on_reply` dropped) when the link is not up or hiredis refused.
  bool Send(const std::vector<std::string>& argv, ReplyFn on_reply);
  // Queues a (P)SUBSCRIBE or (P)UNSUBSCRIBE: its replies and the messages that follow go to
  // Hooks::push (hiredis keeps the callback per channel).
  bool SendPubSub(const std::vector<std::string>& argv);
  // Connections established after the first one.
  uint64_t reconnects() const { return reconnects_; }
  // Why the last connect failed or the connection was lost ("" if never).
  const std::string& last_error() const { return last_error_; }

 private:
  static void AddRead(void* link);
  static void DelRead(void* link);
  static void AddWrite(void* link);
  static void DelWrite(void* link);
  static void Cleanup(void* link);
  static void OnConnect(const redisAsyncContext* ac, int status);
  static void OnDisconnect(const redisAsyncContext* ac, int status);
  static void OnReply(redisAsyncContext* ac, void* reply, void* privdata);
  static void OnPush(redisAsyncContext* ac, void* reply, void* privdata);

  void Connect();
  void Resolve();
  void ConnectTo(const std::string& address);
  bool Attach(redisAsyncContext* ac);
  void Detach();
  void ArmRead();
  void ArmWrite();
  void Readable();
  void Writable();
  bool Queue(const std::vector<std::string>& argv, void (*fn)(redisAsyncContext*, void*, void*),
             void* privdata);
  void Drop(const std::string& why);
  void Failed(const std::string& why);
  void Lost(const std::string& why);
  void RetryLater();
  // Runs a hook later on the loop, never from inside hiredis, and only if still open.
  void PostHook(std::function<void(RedisLink*)> fn);

  asio::io_context& io_;
  RedisUrl url_;
  RedisLinkOptions options_;
  Hooks hooks_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  asio::steady_timer retry_timer_;
  redisAsyncContext* ac_ = nullptr;                        // null between contexts
  std::unique_ptr<asio::posix::stream_descriptor> watch_;  // ac_'s descriptor, not owned
  uint64_t generation_ = 0;                                // bumped whenever a context goes away
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool up_ = false;
  bool closed_ = false;
  bool ever_up_ = false;
  int backoff_ms_ = 0;
  uint64_t reconnects_ = 0;
  std::string drop_reason_;  // set before we free a live context ourselves
  std::string last_error_;
};

}  // namespace agor
