// WebConnection's WebSocket side (RFC 6455, no extensions): frames in, their checks and close
// codes, the close handshake, and frames out. The HTTP side and the writing are in
// web_connection.cpp; the contract is in web_connection.h.
#include "base/utf8.h"
#include "server/net/web_connection.h"

namespace agor {
namespace {

constexpr int kCloseHandshakeMs = 2000;  // a peer that never answers our close frame

OutChunkPtr FrameChunk(uint8_t opcode, std::string payload) {
  auto c = std::make_shared<OutChunk>();
  AppendFrameHeader(&c->header, opcode, payload.size());
  c->payload = std::move(payload);
  return c;
}

// Codes a peer may send (RFC 6455 7.4): the defined ones but 1004-1006 and 1015, and the
// ranges for libraries (3000-3999) and applications (4000-4999).
bool IsValidCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

}  // namespace

size_t WebConnection::StepWebSocket(std::string_view in) {
  uint64_t length = 0;
  if (PeekFrameLength(in, &length) && length + message_.size() > context_->max_message_bytes) {
    Fail(1009, "message over " + std::to_string(context_->max_message_bytes) + " bytes");
    return in.size();
  }
  WsFrame frame;
  size_t n = ParseFrame(in, &frame, &context_->scratch);
  if (n == 0) return 0;
  if (n == std::string_view::npos || !frame.masked) {
    Fail(1002, n == std::string_view::npos ? "malformed frame" : "client frames must be masked");
    return in.size();
  }
  OnFrame(frame);
  return n;
}

void WebConnection::OnFrame(const WsFrame& frame) {
  if (frame.opcode & 0x8) return OnControlFrame(frame);
  if (state_ != State::kWebSocket) return;  // data after our close frame is ignored (5.5.1)
  bool continuation = frame.opcode == kWsContinuation;
  if (!continuation && frame.opcode != kWsText && frame.opcode != kWsBinary) {
    return Fail(1002, "unknown opcode");
  }
  if (continuation != (message_opcode_ != 0)) {
    return Fail(1002, continuation ? "continuation outside a fragmented message"
                                   : "new message inside a fragmented one");
  }
  if (frame.fin && !continuation) return OnMessage(frame.opcode, frame.payload);
  if (!continuation) message_opcode_ = frame.opcode;
  message_.append(frame.payload);
  if (!frame.fin) return;
  uint8_t opcode = message_opcode_;
  message_opcode_ = 0;
  std::string whole;
  whole.swap(message_);
  OnMessage(opcode, whole);
}

// A pong is queued like any frame, so it counts against max_unsent_bytes: a client pinging
// without reading is no longer read once its pongs pile up.
void WebConnection::OnControlFrame(const WsFrame& frame) {
  switch (frame.opcode) {
    case kWsPing:
      if (state_ == State::kWebSocket) Queue(FrameChunk(kWsPong, std::string(frame.payload)));
      return;
    case kWsPong:
      return;
    case kWsClose:
      return OnClose(frame.payload);
    default:
      return Fail(1002, "unknown control opcode");
  }
}

// The client's close: answered with its code (when valid), then the connection ends.
void WebConnection::OnClose(std::string_view payload) {
  if (state_ == State::kWsClosing) return CloseAfterWrite();  // the answer to ours
  if (payload.size() == 1) return Fail(1002, "close frame with a 1-byte body");
  if (payload.empty()) {
    Queue(FrameChunk(kWsClose, ""));
    return CloseAfterWrite();
  }
  uint16_t code = static_cast<uint16_t>(static_cast<uint8_t>(payload[0]) << 8 |
                                        static_cast<uint8_t>(payload[1]));
  if (!IsValidCloseCode(code)) return Fail(1002, "invalid close code " + std::to_string(code));
  if (!IsValidUtf8(payload.substr(2))) return Fail(1007, "close reason is not valid UTF-8");
  SendClose(code, "");
  CloseAfterWrite();
}

void WebConnection::OnMessage(uint8_t opcode, std::string_view payload) {
  if (opcode == kWsBinary) return Close(1003, "binary frames not supported");
  if (!IsValidUtf8(payload)) return Fail(1007, "text message is not valid UTF-8");
  if (!context_->ws.message) return;
  if (!Guarded("WebSocket message handler", [&] { context_->ws.message(this, payload); })) {
    Fail(1011, "internal error");
  }
}

void WebConnection::SendClose(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, 123));  // control frames carry at most 125 bytes
  Queue(FrameChunk(kWsClose, std::move(payload)));
  state_ = State::kWsClosing;
}

// A protocol error: close frame with the reason, then the connection, without waiting.
void WebConnection::Fail(uint16_t code, const std::string& reason) {
  if (state_ != State::kWebSocket && state_ != State::kWsClosing) return;  // already ending
  if (state_ == State::kWebSocket) SendClose(code, reason);
  CloseAfterWrite();
}

void WebConnection::Close(uint16_t code, const std::string& reason) {
  if (state_ != State::kWebSocket) return;
  SendClose(code, reason);
  StartTimer(kCloseHandshakeMs);  // then wait for the client's close frame
}

void WebConnection::Send(std::string_view text) {
  if (state_ != State::kWebSocket) return;
  Queue(FrameChunk(kWsText, std::string(text)));
}

void WebConnection::Send(const SharedFrame& frame) {
  if (state_ != State::kWebSocket) return;
  Queue(std::static_pointer_cast<const OutChunk>(frame.handle()));
}

}  // namespace agor
