// libFuzzer target for the presence relay's decoder (server/realtime/presence_relay_message.h):
// the input is one message or snapshot as Redis would hand it to a node.
//
// Checked: nothing throws or crashes (a refusal is a Status); a message that decodes encodes
// into valid UTF-8 that decodes again and encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "server/realtime/presence_relay_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  agor::PresenceRelayMessage first;
  if (!agor::DecodePresenceRelayMessage(bytes, &first).ok()) return 0;
  const std::string encoded = agor::EncodePresenceRelayMessage(first);
  if (!agor::IsValidUtf8(encoded)) __builtin_trap();
  agor::PresenceRelayMessage second;
  if (!agor::DecodePresenceRelayMessage(encoded, &second).ok()) __builtin_trap();
  if (second.op != first.op || second.node != first.node ||
      second.entries.size() != first.entries.size()) {
    __builtin_trap();
  }
  if (agor::EncodePresenceRelayMessage(second) != encoded) __builtin_trap();
  return 0;
}
