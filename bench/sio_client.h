// SioClient: a Socket.IO v5 client (Engine.IO v4, websocket transport only) on a WsClient, as
// socket.io-client with transports:['websocket'] behaves on the wire (WIRE.md sections 1, 7):
//   101 -> server `0{open}` -> client `40` -> server `40{"sid":...}` = connected;
// with a token (agor's API key) the CONNECT carries it as `io(url, {auth: {token}})` does:
// `40{"token":"..."}`. The peer has no authentication: its clients get no token.
//   server `2` ping -> client `3` pong.
// Events (`42[...]`) reach the Listener as the raw JSON array text, unparsed: the load generator
// scans them instead of decoding each one. Acks (`43<id>[...]`) arrive the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "bench/ws_client.h"

namespace agor::bench {

class SioClient : public WsClient {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void OnSioConnected(SioClient* /*client*/) {}
    // args: the event's JSON array, e.g. `["messages created",{...}]`.
    virtual void OnSioEvent(SioClient* /*client*/, std::string_view /*args*/) {}
    virtual void OnSioAck(SioClient* /*client*/, int64_t /*id*/, std::string_view /*args*/) {}
    // The connection ended (refused, dropped, CONNECT_ERROR, server DISCONNECT); not for Close().
    virtual void OnSioClosed(SioClient* /*client*/, const std::string& /*why*/) {}
  };

  // index: the caller's number for this client (e.g. its slot in a pool).
  SioClient(EventLoop* loop, Listener* listener, int index)
      : WsClient(loop), listener_(listener), index_(index) {}

  // Connects to /socket.io/?EIO=4&transport=websocket, plus "&" + extra_query when not empty.
  bool Start(uint16_t port, std::string_view extra_query);
  // The credential the next CONNECT presents ("" for none).
  void set_token(std::string token) { token_ = std::move(token); }
  // Sends `42<id><args>` (args a JSON array text) and returns the ack id.
  int64_t Emit(std::string_view args);
  // Sends `42<args>` without an ack id, as socket.emit does for fire-and-forget events.
  void EmitNoAck(std::string_view args);

  int index() const { return index_; }
  bool sio_connected() const { return sio_connected_; }
  int64_t started_ns() const { return started_ns_; }
  int64_t connected_ns() const { return connected_ns_; }

 private:
  void OnText(std::string_view text) override;
  void OnClosed(const std::string& why) override;
  void OnSocketPacket(std::string_view payload);

  Listener* listener_;
  int index_;
  bool sio_connected_ = false;
  int64_t next_ack_ = 0;
  int64_t started_ns_ = 0;
  int64_t connected_ns_ = 0;
  std::string emit_buf_;
  std::string token_;
};

}  // namespace agor::bench
