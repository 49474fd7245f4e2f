// WebServer: the one listening port, on standalone Asio: HTTP/1.1 requests (keep-alive,
// answered now or later) and WebSocket connections (web_connection.h speaks both protocols).
// This header keeps Asio out of every other translation unit of the server (io_context() hands
// out the loop by a forward-declared reference).
//
// Who may connect: at most `max_connections` at once (derived from the file limit unless
// given); past it a new connection gets a 503 Feathers answer and is closed at once. Running
// out of descriptors anyway (agents, the store) refuses the pending connection through a
// reserve descriptor instead of retrying in a loop. Refusals are logged at most every 10 s.
//
// Threading: Run() drives everything on the calling thread (the daemon's event loop); every
// handler is called on that thread, and the objects handed to handlers may only be used
// there. Post() and Stop() may be called from any thread. Other network components of the node
// (the Redis connection) run on the same loop through io_context(); Run() returns only once
// they have closed too, so they close from an OnStop callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/wire/http_types.h"

namespace asio {
class io_context;
}

namespace agor {

struct WebServerOptions {
  std::string host = "127.0.0.1";
  int port = 3030;                      // 0 picks a free port; port() tells which
  size_t max_body_bytes = 1024 * 1024;  // larger HTTP bodies are refused with 413
  size_t max_message_bytes = 1000000;   // larger WebSocket messages close the connection
  // A request's headers must arrive within header_timeout_ms of its first byte, its body
  // within body_timeout_ms (plus its size at 16 KiB/s) of the headers' end: else 408, close.
  int64_t header_timeout_ms = 10000;
  int64_t body_timeout_ms = 10000;
  size_t max_connections = 0;  // open at once; 0: MaxConnectionsForFileLimit
};

// The default connection limit for a soft RLIMIT_NOFILE of `file_limit`: what is left after a
// reserve for the database and its WAL, the checkpointer, agents' pipes and the loop itself.
size_t MaxConnectionsForFileLimit(uint64_t file_limit);

// Raises the soft RLIMIT_NOFILE to the hard one (where allowed) and returns the soft limit.
// Listen calls it: the process's limit is the daemon's to set.
uint64_t RaiseFileLimit();

struct OutChunk;  // the prepared bytes of a frame (web_connection.h)

// A text frame prepared once (WebSocket header included) and queued on many connections
// without a copy per connection. Cheap to copy; immutable.
class SharedFrame {
 public:
  SharedFrame() = default;
  explicit SharedFrame(std::shared_ptr<const OutChunk> chunk);
  // The payload (without the WebSocket header); requires !empty().
  const std::string& text() const { return *text_; }
  bool empty() const { return !handle_; }
  // The prepared bytes; only web_server.cpp and web_connection.cpp see inside them.
  const std::shared_ptr<const OutChunk>& handle() const { return handle_; }

 private:
  std::shared_ptr<const OutChunk> handle_;
  const std::string* text_ = nullptr;  // handle_->payload, kept here: OutChunk is opaque
};

// An HTTP request's answer, possibly sent later (long-polling holds it). Send at most once.
class HttpReply {
 public:
  virtual ~HttpReply() = default;
  virtual void Send(const HttpResponse& response) = 0;
};

// The state the layer above keeps for one WebSocket connection (an Engine.IO session), which
// it finds again from the connection in its message and close handlers. Not owned by the
// connection: the layer above clears WsConnection::owner before destroying it.
class WsConnectionOwner {
 public:
  virtual ~WsConnectionOwner() = default;
};

// One open WebSocket connection, owned by the WebServer: valid from the open handler until
// the close handler returns.
class WsConnection {
 public:
  virtual ~WsConnection() = default;
  virtual void Send(std::string_view text) = 0;
  virtual void Send(const SharedFrame& frame) = 0;
  // Bytes queued in user space and not yet written to the socket.
  virtual size_t buffered_bytes() const = 0;
  // Close handshake with a code and reason; queued frames go first.
  virtual void Close(uint16_t code, const std::string& reason) = 0;
  // Drops the TCP connection now, discarding queued frames (for a client that stopped
  // reading: its queue will not drain, so a polite close would never be sent).
  virtual void Abort() = 0;

  WsConnectionOwner* owner = nullptr;  // the layer above's state, for its own use
};

struct WsHandlers {
  // Decides on an upgrade request; a refusal answers its HTTP status (403 for a foreign origin).
  std::function<Status(const HttpRequest&)> accept;
  std::function<void(WsConnection*, const HttpRequest&)> open;
  std::function<void(WsConnection*, std::string_view)> message;  // text frames only
  std::function<void(WsConnection*)> close;
};

class WebServer {
 public:
  using HttpHandler = std::function<void(const HttpRequest&, std::shared_ptr<HttpReply>)>;

  WebServer();
  ~WebServer();

  void SetHttpHandler(HttpHandler handler);
  void SetWsHandlers(WsHandlers handlers);
  // Binds and listens. A port in use or a bad host is a Status, not an exception.
  Status Listen(const WebServerOptions& options);
  int port() const;

  // Serves until Stop() or SIGINT/SIGTERM; returns once every connection is closed.
  void Run();
  // Stops accepting and closes every WebSocket with 1001 and `reason`; Run() then returns
  // once in-flight requests are answered. Thread-safe.
  void Stop(const std::string& reason = "server shutting down");
  // Called on the loop when Stop() begins (before sockets close), e.g. to answer held polls.
  void OnStop(std::function<void()> fn);
  // Runs `fn` on the event loop thread. Thread-safe.
  void Post(std::function<void()> fn);
  // Calls `fn` once on the event loop after `delay_ms` (not after Stop()).
  void After(int delay_ms, std::function<void()> fn);
  // Calls `fn` on the event loop every `interval_ms` until Stop().
  void Every(int interval_ms, std::function<void()> fn);
  // The event loop, for components that do their own I/O on it (server/net/redis_connection.h);
  // use it on the loop's thread only, like everything handed out here.
  asio::io_context& io_context();

  static SharedFrame PrepareFrame(std::string text);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agor
