// libFuzzer target for the login-failure relay's decoder (server/realtime/
// login_failure_relay.h): the input is one message as Redis would hand it to a node.
//
// Checked: nothing throws or crashes (a refusal is a Status); a message that decodes encodes
// into valid UTF-8 that decodes to the same failure and encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "server/realtime/login_failure_relay.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  agor::LoginFailure first;
  if (!agor::DecodeLoginFailure(bytes, &first).ok()) return 0;
  const std::string encoded = agor::EncodeLoginFailure(first);
  if (!agor::IsValidUtf8(encoded)) __builtin_trap();
  agor::LoginFailure second;
  if (!agor::DecodeLoginFailure(encoded, &second).ok()) __builtin_trap();
  if (second.node != first.node || second.email != first.email ||
      second.address != first.address || second.at_ms != first.at_ms) {
    __builtin_trap();
  }
  if (agor::EncodeLoginFailure(second) != encoded) __builtin_trap();
  return 0;
}
