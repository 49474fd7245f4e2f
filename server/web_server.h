// WebServer: the one listening port, served by websocketpp on standalone Asio. Plain HTTP
// requests go to the HttpHandler. This header keeps websocketpp out of every other
// translation unit (it costs ~20 s and ~650 MB to compile): only web_server.cpp includes it.
//
// Threading: Run() drives everything on the calling thread (the daemon's event loop); the
// handler is called on that thread. Post() and Stop() may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/http_types.h"
#include "store/status.h"

namespace agor {

struct WebServerOptions {
  std::string host = "127.0.0.1";
  int port = 3030;                      // 0 picks a free port; port() tells which
  size_t max_body_bytes = 1024 * 1024;  // larger bodies are refused with 413
};

class WebServer {
 public:
  using HttpHandler = std::function<void(const HttpRequest&, HttpResponse*)>;

  WebServer();
  ~WebServer();

  void SetHttpHandler(HttpHandler handler);
  // Binds and listens. A port in use or a bad host is a Status, not an exception.
  Status Listen(const WebServerOptions& options);
  int port() const;

  // Serves until Stop() or SIGINT/SIGTERM; returns once every connection is closed.
  void Run();
  // Stops accepting, closes open connections with `reason`, lets Run() return. Thread-safe.
  void Stop(const std::string& reason = "server shutting down");
  // Runs `fn` on the event loop thread. Thread-safe.
  void Post(std::function<void()> fn);
  // Calls `fn` on the event loop every `interval_ms` until Stop().
  void Every(int interval_ms, std::function<void()> fn);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agor
