// WebSocket (RFC 6455) framing for both ends: pure functions, no I/O. The daemon's server and
// the benchmark's client share them.
//   - client frames are always masked (AppendClientFrame), server frames never
//     (AppendFrameHeader);
//   - frames are parsed whether masked or not (the server checks `masked`); fragmented messages
//     are left to the caller (ParseFrame reports fin and the opcode, 0 for a continuation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"  // IsValidUtf8: a text message must be well-formed UTF-8

namespace agor {

enum WsOpcode : uint8_t {
  kWsContinuation = 0x0,
  kWsText = 0x1,
  kWsBinary = 0x2,
  kWsClose = 0x8,
  kWsPing = 0x9,
  kWsPong = 0xA,
};

struct WsFrame {
  bool fin = true;
  bool masked = false;
  uint8_t opcode = kWsText;
  // Unmasked payload. Points into the parsed input, or into *scratch when the frame was masked.
  std::string_view payload;
};

// Parses one frame at the start of in. Returns the bytes it spans, 0 when in holds only part of
// it, or std::string_view::npos when the header is invalid (reserved bits, 64-bit length with
// the top bit set, control frame longer than 125 bytes or fragmented).
size_t ParseFrame(std::string_view in, WsFrame* frame, std::string* scratch);

// The payload length ParseFrame would find at the start of in, before the whole frame has
// arrived: lets a reader refuse an oversized message without buffering it. False while the
// header itself is incomplete.
bool PeekFrameLength(std::string_view in, uint64_t* length);

// Appends the header of one final, unmasked (server) frame; the payload follows it.
void AppendFrameHeader(std::string* out, uint8_t opcode, uint64_t payload_length);

// Appends one final frame with the given opcode and payload, masked with mask_key.
void AppendClientFrame(std::string* out, uint8_t opcode, std::string_view payload,
                       uint32_t mask_key);

// The Sec-WebSocket-Accept answer to a client's Sec-WebSocket-Key.
std::string WebSocketAccept(std::string_view key);

// A random Sec-WebSocket-Key (16 bytes, base64) from a cheap generator: not for security.
std::string MakeWebSocketKey(uint64_t seed);

}  // namespace agor
