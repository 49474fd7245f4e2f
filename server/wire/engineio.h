// Engine.IO v4 packet codec (EIO=4), text only. Pure functions: no I/O, no sockets, no clocks.
//
// One packet is `<type digit><data>`: a WebSocket text frame holds one packet, an HTTP
// long-polling body holds several joined by the record separator 0x1E. Base64 binary packets
// (`b<base64>`) exist in the protocol; agor does not support binary and refuses them.
//
// What the server sends when (engine.io 6.6, observed in WIRE.md section 10):
//   - `0{open json}` first, right after the 101 or as the body of the first polling GET;
//     `upgrades` is ["websocket"] on polling and [] on a websocket connection.
//   - `2` ping every pingInterval; the client answers `3`.
//   - upgrade: the client sends `2probe` on the new websocket, the server answers `3probe`
//     there, then every 100 ms while a polling GET is pending answers it with `6` (noop) so the
//     client can pause polling; the client then sends `5` on the websocket. If a GET is still
//     pending when `5` arrives, it is answered with `1` (close). Afterwards everything goes over
//     the websocket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace agor {

// The digit that starts every Engine.IO packet.
enum class EngineType : char {
  kOpen = '0',
  kClose = '1',
  kPing = '2',
  kPong = '3',
  kMessage = '4',
  kUpgrade = '5',
  kNoop = '6',
};

// One decoded packet. `data` is the text after the type digit ("probe" in `2probe`, the
// Socket.IO payload of a message) and is a view into the decoded input: it is valid only as
// long as that input is.
struct EnginePacket {
  EngineType type = EngineType::kNoop;
  std::string_view data;
};

// Engine.IO's maxPayload / maxHttpBufferSize default, announced in the open packet.
inline constexpr std::int64_t kDefaultMaxPayload = 1000000;
inline constexpr std::int64_t kDefaultPingIntervalMs = 25000;
inline constexpr std::int64_t kDefaultPingTimeoutMs = 20000;

// Decodes one packet (one WebSocket text frame, or one record of a polling body).
// BadRequest for an empty text, an unknown type digit or a binary `b...` packet; stock
// engine.io closes the connection ("parse error") on any of them.
Status DecodeEnginePacket(std::string_view text, EnginePacket* out);

// Decodes a polling POST body: packets joined by 0x1E. An empty body or an empty record (a
// trailing separator) is refused. On error, *out keeps the packets decoded before the bad
// record: stock engine.io processes those, then closes the connection.
Status DecodePollingPayload(std::string_view body, std::vector<EnginePacket>* out);

// `<type digit><data>`, e.g. EncodeEnginePacket(EngineType::kPong, "probe") == "3probe".
std::string EncodeEnginePacket(EngineType type, std::string_view data = {});
void AppendEnginePacket(std::string* out, EngineType type, std::string_view data = {});

// Joins packets into one polling GET body with 0x1E between them.
std::string EncodePollingPayload(const std::vector<EnginePacket>& packets);
// Appends an already encoded packet (e.g. a frame from the socketio.h encoders) to a polling
// body under construction, with the separator when the body is not empty. JSON text made by
// nlohmann never contains a raw 0x1E, so encoded frames are safe to join.
void AppendPollingFrame(std::string* body, std::string_view frame);

// The open packet, exactly as engine.io writes it:
// 0{"sid":"...","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,
// "maxPayload":1000000}
std::string EncodeOpen(std::string_view sid, const std::vector<std::string>& upgrades,
                       std::int64_t ping_interval_ms = kDefaultPingIntervalMs,
                       std::int64_t ping_timeout_ms = kDefaultPingTimeoutMs,
                       std::int64_t max_payload = kDefaultMaxPayload);

}  // namespace agor
