// libFuzzer target for the wire decoders: Engine.IO packets and polling payloads, Socket.IO
// packets and the Feathers calls inside EVENTs, plus the encoders on whatever decoded; the
// cursor fast path (DecodeCursorEvent) against the general decoder. Built
// with the others by tests/fuzz/CMakeLists.txt (`make fuzz`).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "server/wire/engineio.h"
#include "server/wire/feathers_call.h"
#include "server/wire/socketio.h"

namespace {

// agor's JSON writer must match nlohmann's dump (error_handler_t::replace) byte for byte.
void CheckSameJson(const agor::Json& value) {
  std::string mine;
  agor::AppendJson(&mine, value);
  if (mine != value.dump(-1, ' ', false, agor::Json::error_handler_t::replace)) __builtin_trap();
}

// The cursor fast path against the general one: what it accepts must decode there to the
// same event, board id and numbers (bit for bit), and what it reads stays inside the input.
void FuzzCursor(std::string_view payload) {
  agor::CursorEvent fast;
  if (!agor::DecodeCursorEvent(payload, &fast)) return;
  const char* begin = payload.data();
  const char* end = payload.data() + payload.size();
  if (fast.board_id.data() < begin || fast.board_id.data() + fast.board_id.size() > end)
    __builtin_trap();
  agor::SocketPacket packet;
  if (!agor::DecodeSocketPacket(payload, &packet, 1 << 16).ok()) __builtin_trap();
  if (packet.type != agor::SocketType::kEvent || packet.nsp != "/" || packet.ack_id)
    __builtin_trap();
  const agor::Json& args = packet.data;
  if (args.size() != 2 || !args[1].is_object()) __builtin_trap();
  if (args[0] != (fast.leave ? "cursor-leave" : "cursor-move")) __builtin_trap();
  const agor::Json& d = args[1];
  if (d.size() != (fast.leave ? 1u : 3u)) __builtin_trap();
  if (!d.contains("boardId") || !d["boardId"].is_string()) __builtin_trap();
  if (d["boardId"].get_ref<const std::string&>() != fast.board_id) __builtin_trap();
  if (fast.leave) return;
  for (const auto& [key, mine] : {std::pair<const char*, double>{"x", fast.x}, {"y", fast.y}}) {
    if (!d.contains(key) || !d[key].is_number()) __builtin_trap();
    const double theirs = d[key].get<double>();
    if (std::memcmp(&theirs, &mine, sizeof mine) != 0) __builtin_trap();
  }
}

// Socket.IO, then Feathers, then the encoders on what decoded.
void FuzzSocketPayload(std::string_view payload) {
  FuzzCursor(payload);
  agor::SocketPacket packet;
  if (!agor::DecodeSocketPacket(payload, &packet, 1 << 16).ok()) return;
  CheckSameJson(packet.data);
  const std::int64_t ack_id = packet.ack_id.value_or(0);
  if (packet.type == agor::SocketType::kConnect) {
    (void)agor::EncodeConnect(packet.data);
    (void)agor::EncodeConnectError("Invalid namespace", nullptr, packet.nsp);
    return;
  }
  if (packet.type != agor::SocketType::kEvent) {
    (void)agor::EncodeAck(ack_id, packet.data);
    return;
  }
  const std::string name = packet.data[0].get<std::string>();
  (void)agor::EncodeEventFrame(name, packet.data, name);
  agor::FeathersCall call;
  const agor::Status status = agor::DecodeFeathersCall(std::move(packet.data), &call);
  if (status.ok()) {
    (void)agor::EncodeResultAck(ack_id, call.query);
    (void)agor::EncodeResultAck(ack_id, call.data);
  } else {
    (void)agor::EncodeErrorAck(ack_id, status);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // As a polling body: every record, down through the socket.io and Feathers decoders.
  std::vector<agor::EnginePacket> packets;
  (void)agor::DecodePollingPayload(input, &packets);
  for (const agor::EnginePacket& packet : packets) {
    if (packet.type == agor::EngineType::kMessage) FuzzSocketPayload(packet.data);
  }
  (void)agor::EncodePollingPayload(packets);

  // As one WebSocket text frame.
  agor::EnginePacket frame;
  if (agor::DecodeEnginePacket(input, &frame).ok()) {
    (void)agor::EncodeEnginePacket(frame.type, frame.data);
  }

  // As a string value: escaping, including invalid UTF-8.
  CheckSameJson(agor::Json(std::string(input)));

  // As a bare socket.io payload, so the fuzzer need not find the `4` first.
  FuzzSocketPayload(input);
  return 0;
}
