// RawWebSocket: a minimal blocking WebSocket client over a plain TCP socket, for end-to-end
// tests that need control a real client library hides: a client that never reads, one that
// never answers pings, upgrades with chosen headers, hand-made (bad) frames. Its framing code
// is its own, independent of server/ws_frame.h, so the server's codec is not tested against
// itself. Frames it sends are masked as RFC 6455 requires unless asked otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace agor::test {

class RawWebSocket {
 public:
  RawWebSocket() = default;
  ~RawWebSocket();
  RawWebSocket(const RawWebSocket&) = delete;
  RawWebSocket& operator=(const RawWebSocket&) = delete;

  // Opens a TCP connection to 127.0.0.1:port and sends the upgrade request for `target`
  // ("/socket.io/?EIO=4&transport=websocket") with extra header lines ("Origin: x").
  // Returns the HTTP status of the answer (101 when upgraded), -1 on a socket error.
  int Connect(int port, const std::string& target, const std::vector<std::string>& headers = {});
  bool SendText(const std::string& text);
  // Sends one frame: first_byte is the FIN bit (0x80) | RSV bits | opcode; the length is
  // encoded in 7, 16 or 64 bits as needed; masked with a fixed key unless masked is false.
  bool SendFrame(uint8_t first_byte, const std::string& payload, bool masked = true);
  // Sends bytes as they are (hand-made frame headers).
  bool SendRaw(const std::string& bytes);
  // The next text frame's payload; false on close, EOF or after `timeout_ms`.
  bool ReadText(std::string* text, int timeout_ms);
  // The next frame of any kind (close and pong included): its opcode and unmasked payload;
  // false on EOF or after `timeout_ms`. last_fin() and last_masked() describe it.
  bool ReadFrame(int* opcode, std::string* payload, int timeout_ms);
  bool last_fin() const { return last_fin_; }
  bool last_masked() const { return last_masked_; }
  // Reads (and discards) until the server closes the connection, a close frame counting as
  // closed; false on timeout.
  bool WaitClosed(int timeout_ms);
  // Reads (and discards) until the TCP connection ends (EOF or reset); false on timeout.
  bool WaitTcpClosed(int timeout_ms);
  // The receive buffer size, set before Connect to make a slow reader's window small.
  void SetReceiveBuffer(int bytes) { rcvbuf_ = bytes; }

 private:
  bool ReadExact(size_t n, std::string* out, int timeout_ms);

  int fd_ = -1;
  int rcvbuf_ = 0;
  std::string buffered_;  // bytes read past the last frame
  bool last_fin_ = true;
  bool last_masked_ = false;
};

}  // namespace agor::test
