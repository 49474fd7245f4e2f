#include "bench/sio_client.h"

#include "base/status.h"
#include "bench/event_loop.h"
#include "server/wire/engineio.h"

namespace agor::bench {

bool SioClient::Start(uint16_t port, std::string_view extra_query) {
  sio_connected_ = false;
  started_ns_ = NowNs();
  connected_ns_ = 0;
  std::string target = "/socket.io/?EIO=4&transport=websocket";
  if (!extra_query.empty()) target.append("&").append(extra_query);
  return Open(port, target);
}

int64_t SioClient::Emit(std::string_view args) {
  int64_t id = next_ack_++;
  emit_buf_.assign("42").append(std::to_string(id)).append(args);
  SendText(emit_buf_);
  return id;
}

void SioClient::EmitNoAck(std::string_view args) {
  emit_buf_.assign("42").append(args);
  SendText(emit_buf_);
}

void SioClient::OnText(std::string_view text) {
  EnginePacket packet;
  if (!DecodeEnginePacket(text, &packet).ok()) {
    Abort("bad Engine.IO packet");
    return;
  }
  switch (packet.type) {
    case EngineType::kOpen:
      SendText(token_.empty() ? std::string("40") : "40" + Json{{"token", token_}}.dump());
      return;
    case EngineType::kPing:
      SendText(EncodeEnginePacket(EngineType::kPong, packet.data));
      return;
    case EngineType::kMessage:
      OnSocketPacket(packet.data);
      return;
    case EngineType::kClose:
      Abort("Engine.IO close from server");
      return;
    default:
      return;
  }
}

void SioClient::OnSocketPacket(std::string_view payload) {
  char type = payload.empty() ? '?' : payload[0];
  if (type == '2') {
    size_t args = payload.find('[');
    if (args != std::string_view::npos) listener_->OnSioEvent(this, payload.substr(args));
  } else if (type == '3') {
    size_t args = payload.find('[');
    int64_t id = 0;
    for (size_t i = 1; i < payload.size() && i < args; ++i) id = id * 10 + (payload[i] - '0');
    if (args != std::string_view::npos) listener_->OnSioAck(this, id, payload.substr(args));
  } else if (type == '0') {
    sio_connected_ = true;
    connected_ns_ = NowNs();
    listener_->OnSioConnected(this);
  } else if (type == '4') {
    Abort("Socket.IO CONNECT_ERROR " + std::string(payload.substr(1)));
  } else if (type == '1') {
    Abort("Socket.IO DISCONNECT from server");
  }
}

void SioClient::OnClosed(const std::string& why) {
  sio_connected_ = false;
  listener_->OnSioClosed(this, why);
}

}  // namespace agor::bench
