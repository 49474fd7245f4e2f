// libFuzzer target for the broker's message decoder (server/realtime/broker_message.h): the
// input is the bytes of one message as Redis would hand them to a node.
//
// Checked: nothing throws or crashes (a refusal is a Status); a message that decodes encodes
// into one that decodes to the same event and encodes to the same bytes (a round trip loses
// nothing and the encoding is canonical after one pass), and that holds only valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "server/realtime/broker_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  agor::Event first;
  if (!agor::DecodeBrokerMessage(bytes, &first).ok()) return 0;
  const std::string encoded = agor::EncodeBrokerMessage(first);
  if (!agor::IsValidUtf8(encoded)) __builtin_trap();
  agor::Event second;
  if (!agor::DecodeBrokerMessage(encoded, &second).ok()) __builtin_trap();
  if (second.seq != first.seq || second.ts != first.ts || second.service != first.service ||
      second.event != first.event || second.board_id != first.board_id ||
      second.session_id != first.session_id || second.user_id != first.user_id ||
      second.actor_id != first.actor_id || second.actor_agent != first.actor_agent ||
      second.record != first.record) {
    __builtin_trap();
  }
  if (agor::EncodeBrokerMessage(second) != encoded) __builtin_trap();
  return 0;
}
