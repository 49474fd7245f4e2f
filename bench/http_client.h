// HttpClient: one HTTP/1.1 client connection to 127.0.0.1 with keep-alive, one request at a time.
//
// The connection is opened on the first request and reused while the server keeps it: a reply
// with `Connection: close` (agor's HTTP server closes after every reply) closes it, and the next
// request opens a new one (connects() counts them). A request that finds its reused connection
// closed before any byte of the answer is sent again once on a new connection. Replies must
// carry Content-Length (both servers do for JSON); anything else fails the request.
// With a token, every request carries `Authorization: Bearer <token>` (agor's API key or JWT).
// The peer has no authentication: its clients get no token.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "bench/tcp_conn.h"

namespace agor::bench {

class HttpClient : public TcpConn {
 public:
  // status: the HTTP status, or 0 when the request failed (reason in last_error()). body is
  // valid only during the call. The callback may start the next request.
  using Callback = std::function<void(int status, std::string_view body)>;

  HttpClient(EventLoop* loop, uint16_t port, std::string token = "")
      : TcpConn(loop), port_(port), token_(std::move(token)) {}

  // Sends `method target` with a JSON body (none when empty). False when a request is in flight
  // or no socket could be made.
  bool Request(std::string_view method, std::string_view target, std::string_view json_body,
               Callback callback);
  bool busy() const { return busy_; }
  int connects() const { return connects_; }

 private:
  size_t OnData(std::string_view data) override;
  void OnClosed(const std::string& why) override;
  bool OpenIfClosed();
  void Finish(int status, std::string_view body, bool close_after);

  uint16_t port_;
  std::string token_;
  std::string request_;
  Callback callback_;
  bool busy_ = false;
  bool answer_started_ = false;
  bool reused_ = false;
  int connects_ = 0;
  std::string body_;  // copy of a body that outlives its connection
};

}  // namespace agor::bench
