// RawWebSocket: a minimal blocking WebSocket client over a plain TCP socket, for end-to-end
// tests that need control a real client library hides: a client that never reads, one that
// never answers pings, upgrades with chosen headers. Text frames only; frames it sends are
// masked as RFC 6455 requires.
#pragma once

#include <string>
#include <vector>

namespace agor::test {

class RawWebSocket {
 public:
  RawWebSocket() = default;
  ~RawWebSocket();

  // Opens a TCP connection to 127.0.0.1:port and sends the upgrade request for `target`
  // ("/socket.io/?EIO=4&transport=websocket") with extra header lines ("Origin: x").
  // Returns the HTTP status of the answer (101 when upgraded), -1 on a socket error.
  int Connect(int port, const std::string& target, const std::vector<std::string>& headers = {});
  bool SendText(const std::string& text);
  // The next text frame's payload; false on close, EOF or after `timeout_ms`.
  bool ReadText(std::string* text, int timeout_ms);
  // Reads (and discards) until the server closes the connection; false on timeout.
  bool WaitClosed(int timeout_ms);
  // The receive buffer size, set before Connect to make a slow reader's window small.
  void SetReceiveBuffer(int bytes) { rcvbuf_ = bytes; }

 private:
  bool ReadExact(size_t n, std::string* out, int timeout_ms);

  int fd_ = -1;
  int rcvbuf_ = 0;
  std::string buffered_;  // bytes read past the last frame
};

}  // namespace agor::test
