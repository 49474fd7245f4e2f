// Socket.IO v5 packet codec: the payload of an Engine.IO message (`4`) packet. Pure functions:
// no I/O. Text only; the binary variants are refused.
//
// Wire shape (socket.io-parser 4): `<type digit>[<nsp>,][<ack id>][<JSON>]`, the nsp only when
// it is not "/". Examples, with the Engine.IO `4` in front as they travel:
//   `40` CONNECT "/"            `40{"token":"x"}` CONNECT with auth
//   `420["find","boards",{}]`   EVENT with ack id 0     `42["boards created",{...}]` no ack
//   `430[null,{...}]`           ACK 0                   `41` DISCONNECT
//   `44{"message":"Invalid namespace"}` CONNECT_ERROR
//
// Decoding returns the namespace and lets the caller refuse others (agor serves only "/").
// What stock socket.io 4.8 does, for the server to copy:
//   - a CONNECT to an unknown namespace gets `44/<nsp>,{"message":"Invalid namespace"}`
//     (EncodeConnectError(msg, nullptr, nsp)); the connection stays open;
//   - any other packet for a namespace the client has not connected, or a second CONNECT of
//     the same namespace, closes the whole Engine.IO connection;
//   - any decode error closes the whole Engine.IO connection ("parse error").
// agor differs in one case: an EVENT with an ack id whose data is refused (JSON that breaks
// the entry rule, such as a lone surrogate `\ud800` that JSON.stringify and Python's json
// both write, or a payload of the wrong shape) is a call the client waits on: it is answered
// with a 400 error ack and the connection stays (DecodeSocketPacket tells the ack id).
//
// Connection state recovery (socket.io-client 4.8): the CONNECT reply carries
// `{"sid":...,"pid":...}`; event frames pushed to rooms carry their offset as the last array
// element (EncodeEventFrame); on reconnect the client sends CONNECT with
// `{"pid":...,"offset":...}` followed by its own auth keys (`offset` absent when it never got
// an offset-bearing event). The client treats the session as recovered iff the reply's pid
// equals the pid it sent. Missed events may be sent before or after the CONNECT reply: the
// client buffers events received before it and emits them when the reply arrives.
//
// All encoders return a complete Engine.IO text frame, `4` included, ready for a WebSocket text
// frame or a polling record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "server/wire/engineio.h"

namespace agor {

enum class SocketType : char {
  kConnect = '0',
  kDisconnect = '1',
  kEvent = '2',
  kAck = '3',
  kConnectError = '4',
  kBinaryEvent = '5',  // refused
  kBinaryAck = '6',    // refused
};

// One decoded packet.
//   nsp:    "/" unless the packet names another namespace. As in socket.io-parser, a
//           namespace runs from a leading `/` to the first `,` (or the end of the packet).
//   ack_id: 0 .. 2^53-1 when present (EVENTs that expect an answer, ACKs).
//   data:   CONNECT: the auth object ({} when absent); EVENT: a non-empty array whose first
//           element is the event name (a string); ACK: an array; CONNECT_ERROR: string or
//           object; DISCONNECT: null.
struct SocketPacket {
  SocketType type = SocketType::kEvent;
  std::string nsp = "/";
  std::optional<std::int64_t> ack_id;
  Json data;
};

// Largest ack id accepted: Number.MAX_SAFE_INTEGER, the largest id a JS client counts to.
inline constexpr std::int64_t kMaxAckId = (std::int64_t{1} << 53) - 1;

// Decodes the payload of one Engine.IO message packet (the text after `4`).
// PayloadTooLarge when payload.size() > max_bytes; BadRequest for everything else that is not a
// valid text packet: empty input, unknown type digit, binary types, ack ids that are too long
// (> 16 digits) or > kMaxAckId, JSON refused by the entry rule of base/json.h (ParseJson: bad
// syntax, text after the value, nesting deeper than kMaxJsonDepth, numbers out of range), data of
// the wrong shape for the type (see SocketPacket), an EVENT named like a reserved event (connect,
// disconnect, ...), an ACK without id. Never throws. On error out->ack_id is set only when
// the refusal came after the ack id was read (out->type and out->nsp are then the packet's,
// so an EVENT's call can be answered); the rest of *out is unspecified.
Status DecodeSocketPacket(std::string_view payload, SocketPacket* out,
                          std::size_t max_bytes = kDefaultMaxPayload);

// Agor's cursor events in the one shape its clients send, many times a second each:
// `2["cursor-move",{"boardId":"<id>","x":<number>,"y":<number>}]` (the keys in any order) and
// `2["cursor-leave",{"boardId":"<id>"}]`, namespace "/", no ack id, no whitespace, the id in
// printable ASCII without escapes, numbers as JSON writes them and a double holds them (an
// integer as int64 first, as the JSON parser does). A fast path that builds no JSON tree:
// false for anything else, which then goes through DecodeSocketPacket. What it accepts,
// DecodeSocketPacket decodes to the same event, id and numbers (tests/fuzz/socketio_fuzz.cpp
// checks it); the coordinates' bounds are presence's to check. board_id points into payload.
struct CursorEvent {
  bool leave = false;  // cursor-leave; else cursor-move with x and y
  std::string_view board_id;
  double x = 0;
  double y = 0;
};
bool DecodeCursorEvent(std::string_view payload, CursorEvent* out);

// `40{...}`: the CONNECT reply; payload is an object such as {"sid":...} or
// {"sid":...,"pid":...} when connection state recovery is on.
std::string EncodeConnect(const Json& payload);
// `44{"message":...}` (+ `"data":...` when data is not null); `44/<nsp>,{...}` for nsp != "/",
// the namespace echoed as received, as stock does.
std::string EncodeConnectError(std::string_view message, const Json& data = nullptr,
                               std::string_view nsp = "/");
// `41`: the server drops the client's "/" socket.
std::string EncodeDisconnect();
// `42<args>` with args an array such as ["presence",{...}].
std::string EncodeEvent(const Json& args);
// `43<ack_id><args>` with args an array, e.g. [null,{...}].
std::string EncodeAck(std::int64_t ack_id, const Json& args);

// JSON text already serialized, spliced into a frame as is.
struct RawJson {
  std::string_view text;
};

// The event frame pushed to every recipient of one change, serialized once:
// `42["boards created",{...},"17"]` when offset is not empty, `42["boards created",{...}]`
// otherwise. One allocation in the common case; the record is dumped once, straight into the
// frame, or spliced as the store already serialized it.
std::string EncodeEventFrame(std::string_view event_name, const Json& record,
                             std::string_view offset);
std::string EncodeEventFrame(std::string_view event_name, RawJson record, std::string_view offset);

// The event name under which a connection that asked for log entries at the handshake
// (`?agor_events=log`, server/realtime/hub.h) gets each logged event: its event log entry
// `{seq,ts,service,event,board_id,session_id,record}`, the offset still last.
inline constexpr const char* kLogEntryEvent = "events created";

// Appends the compact JSON text of value to *out without a temporary string: byte for byte what
// value.dump(-1, ' ', false, Json::error_handler_t::replace) writes (invalid UTF-8 becomes
// U+FFFD instead of throwing), about twice as fast. Shared by the frame encoders.
void AppendJson(std::string* out, const Json& value);
// Appends `"text"` with JSON escaping, as AppendJson writes a string.
void AppendJsonString(std::string* out, std::string_view text);

}  // namespace agor
