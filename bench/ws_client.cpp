#include "bench/ws_client.h"

#include "server/wire/ws_frame.h"

namespace agor::bench {
namespace {

uint64_t g_key_seed = 1;

}  // namespace

bool WsClient::Open(uint16_t port, std::string_view target) {
  port_ = port;
  upgraded_ = false;
  in_fragmented_ = false;
  fragments_.clear();
  request_.assign("GET ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1:");
  request_.append(std::to_string(port)).append("\r\nUpgrade: websocket\r\n");
  request_.append("Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ");
  request_.append(MakeWebSocketKey(g_key_seed++)).append("\r\n\r\n");
  return Connect(port);
}

void WsClient::OnConnected() {
  Send(request_);
}

void WsClient::SendText(std::string_view text) {
  SendFrame(kWsText, text);
}

void WsClient::SendFrame(uint8_t opcode, std::string_view payload) {
  mask_state_ = mask_state_ * 1664525u + 1013904223u;
  frame_out_.clear();
  AppendClientFrame(&frame_out_, opcode, payload, mask_state_);
  Send(frame_out_);
}

void WsClient::Abort(const std::string& why) {
  Close();
  OnClosed(why);
}

size_t WsClient::OnData(std::string_view data) {
  size_t used = 0;
  if (!upgraded_) {
    used = ParseUpgradeReply(data);
    if (!upgraded_) return used;
  }
  return used + ParseFrames(data.substr(used));
}

size_t WsClient::ParseUpgradeReply(std::string_view data) {
  size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (data.size() > 16384) Abort("upgrade reply too long");
    return 0;
  }
  if (end < 12 || data.substr(9, 3) != "101") {
    Abort("upgrade refused: " + std::string(data.substr(0, data.find("\r\n"))));
    return 0;
  }
  upgraded_ = true;
  OnUpgraded();
  return end + 4;
}

size_t WsClient::ParseFrames(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && is_open()) {
    WsFrame frame;
    size_t n = ParseFrame(data.substr(used), &frame, &scratch_);
    if (n == 0) break;
    if (n == std::string_view::npos) {
      Abort("bad WebSocket frame");
      break;
    }
    used += n;
    if (!HandleFrame(frame.opcode, frame.fin, frame.payload)) break;
  }
  return used;
}

bool WsClient::HandleFrame(uint8_t opcode, bool fin, std::string_view payload) {
  switch (opcode) {
    case kWsPing:
      SendFrame(kWsPong, payload);
      return true;
    case kWsPong:
      return true;
    case kWsText:
      if (fin) {
        OnText(payload);
        return is_open();
      }
      in_fragmented_ = true;
      fragments_.assign(payload);
      return true;
    case kWsContinuation:
      if (!in_fragmented_) break;
      fragments_.append(payload);
      if (fin) {
        in_fragmented_ = false;
        OnText(fragments_);
      }
      return is_open();
    case kWsClose:
      Abort("WebSocket closed by server");
      return false;
    default:
      break;
  }
  Abort("unexpected WebSocket opcode " + std::to_string(opcode));
  return false;
}

}  // namespace agor::bench
