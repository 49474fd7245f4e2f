// WebSocket (RFC 6455) framing for a client: pure functions, no I/O.
//   - client frames are always masked (AppendClientFrame);
//   - server frames are parsed whether masked or not; fragmented messages are left to the caller
//     (ParseFrame reports fin and the opcode, 0 for a continuation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace agor::bench {

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
  uint8_t opcode = kWsText;
  // Unmasked payload. Points into the parsed input, or into *scratch when the frame was masked.
  std::string_view payload;
};

// Parses one frame at the start of in. Returns the bytes it spans, 0 when in holds only part of
// it, or std::string_view::npos when the header is invalid (reserved bits, 64-bit length with
// the top bit set, control frame longer than 125 bytes or fragmented).
size_t ParseFrame(std::string_view in, WsFrame* frame, std::string* scratch);

// Appends one final frame with the given opcode and payload, masked with mask_key.
void AppendClientFrame(std::string* out, uint8_t opcode, std::string_view payload,
                       uint32_t mask_key);

// A random Sec-WebSocket-Key (16 bytes, base64) from a cheap generator: not for security.
std::string MakeWebSocketKey(uint64_t seed);

}  // namespace agor::bench
