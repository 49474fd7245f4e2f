// libFuzzer target for WebSocket framing (server/wire/ws_frame.h) and the UTF-8 module that
// checks text messages (base/utf8.h): the input is a stream of frames as a client would send
// them, parsed frame by frame the way the server reads its socket.
//
// Checked: a parsed frame spans at least its payload and no more than the input; the length
// PeekFrameLength announces is the payload's; a payload re-framed by AppendClientFrame (masked)
// or AppendFrameHeader parses back to itself; ToValidUtf8 always gives valid UTF-8 without NUL
// and leaves valid text without NUL unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "server/wire/ws_frame.h"

namespace {

void CheckUtf8(std::string_view text) {
  const std::string clean = agor::ToValidUtf8(text);
  if (!agor::IsValidUtf8(clean) || clean.find('\0') != clean.npos) __builtin_trap();
  if (agor::IsValidUtf8(text)) {
    if (text.find('\0') == text.npos && clean != text) __builtin_trap();
    if (agor::Utf8CodePoints(text) > text.size()) __builtin_trap();
    const std::string_view prefix = agor::Utf8Prefix(text, text.size() / 2);
    if (prefix.size() > text.size() / 2 || !agor::IsValidUtf8(prefix)) __builtin_trap();
  }
}

// The payload framed again, by the client's and the server's encoder, parses back to itself.
void CheckRoundTrip(const agor::WsFrame& frame) {
  if (frame.opcode & 0x08) return;  // control frames: fin and the 125-byte rule apply
  std::string masked;
  agor::AppendClientFrame(&masked, frame.opcode, frame.payload, 0x5a3c0f96u);
  std::string plain;
  agor::AppendFrameHeader(&plain, frame.opcode, frame.payload.size());
  plain.append(frame.payload);
  for (const std::string* bytes : {&masked, &plain}) {
    agor::WsFrame again;
    std::string scratch;
    if (agor::ParseFrame(*bytes, &again, &scratch) != bytes->size()) __builtin_trap();
    if (again.payload != frame.payload || again.opcode != frame.opcode) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckUtf8(in);
  while (!in.empty()) {
    agor::WsFrame frame;
    std::string scratch;
    const size_t n = agor::ParseFrame(in, &frame, &scratch);
    if (n == 0 || n == std::string_view::npos) return 0;
    uint64_t announced = 0;
    if (n > in.size() || n < frame.payload.size()) __builtin_trap();
    if (!agor::PeekFrameLength(in, &announced) || announced != frame.payload.size()) {
      __builtin_trap();
    }
    CheckRoundTrip(frame);
    if (frame.opcode == agor::kWsText) CheckUtf8(frame.payload);
    in.remove_prefix(n);
  }
  return 0;
}
