// libFuzzer target for the broker's message decoder (server/realtime/broker_message.h): the
// input is the bytes of one message as Redis would hand them to a node.
//
// Checked: nothing throws or crashes (a refusal is a Status); a message that decodes encodes
// into one that decodes to the same event and encodes to the same bytes (a round trip loses
// nothing and the encoding is canonical after one pass), and that holds only valid UTF-8; a
// live message (seq 0) keeps its node.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "server/realtime/broker_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  agor::Event first;
  std::string node;
  if (!agor::DecodeBrokerMessage(bytes, &first, &node).ok()) return 0;
  if ((first.seq == 0) != !node.empty()) __builtin_trap();
  const std::string encoded = agor::EncodeBrokerMessage(first, node);
  if (!agor::IsValidUtf8(encoded)) __builtin_trap();
  agor::Event second;
  std::string node_again;
  if (!agor::DecodeBrokerMessage(encoded, &second, &node_again).ok()) __builtin_trap();
  if (node_again != node) __builtin_trap();
  if (second.seq != first.seq || second.ts != first.ts || second.service != first.service ||
      second.event != first.event || second.board_id != first.board_id ||
      second.session_id != first.session_id || second.user_id != first.user_id ||
      second.actor_id != first.actor_id || second.actor_agent != first.actor_agent ||
      second.record != first.record) {
    __builtin_trap();
  }
  if (agor::EncodeBrokerMessage(second, node) != encoded) __builtin_trap();
  return 0;
}
