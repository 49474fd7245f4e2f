// WsClient: a WebSocket client connection (HTTP/1.1 upgrade, then frames) on a TcpConn.
//
// Open() connects and sends the upgrade request; OnUpgraded() runs on the 101, then OnText() for
// every complete text message (fragments are joined). Pings are answered with pongs; a close
// frame, a binary message, a non-101 answer or a bad frame end the connection with OnClosed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/tcp_conn.h"

namespace agor::bench {

class WsClient : public TcpConn {
 public:
  explicit WsClient(EventLoop* loop) : TcpConn(loop) {}

  // Connects to 127.0.0.1:port and requests the upgrade of target (e.g. "/socket.io/?EIO=4").
  bool Open(uint16_t port, std::string_view target);
  // Sends one masked text frame. Before the 101 the frame waits in the output buffer, which is
  // fine for servers that read the handshake first; callers normally wait for OnUpgraded.
  void SendText(std::string_view text);
  bool is_upgraded() const { return upgraded_; }

 protected:
  virtual void OnUpgraded() {}
  virtual void OnText(std::string_view text) = 0;
  // Ends the connection and reports why through OnClosed.
  void Abort(const std::string& why);

 private:
  void OnConnected() override;
  size_t OnData(std::string_view data) override;
  void SendFrame(uint8_t opcode, std::string_view payload);
  size_t ParseUpgradeReply(std::string_view data);
  size_t ParseFrames(std::string_view data);
  // False when the frame ended the connection.
  bool HandleFrame(uint8_t opcode, bool fin, std::string_view payload);

  uint16_t port_ = 0;
  std::string request_;
  bool upgraded_ = false;
  uint32_t mask_state_ = 0x12345678;
  std::string scratch_;    // unmasked copy of a masked server frame
  std::string fragments_;  // text message being reassembled
  bool in_fragmented_ = false;
  std::string frame_out_;
};

}  // namespace agor::bench
