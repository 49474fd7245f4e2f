// PresenceRelayMessage: what nodes tell each other of their presence entries through Redis
// (presence_relay.h, issue 14), as compact JSON, and the strict decoder of hostile bytes.
//
// Every message: {"v":1,"node":N,"op":OP, ...} and exactly the keys of its op:
//   upsert   {"entry":E}                       an entry created or patched
//   remove   {"id":ID}                         an entry left
//   cursor   {"id":ID,"x":X,"y":Y,"at":MS}     a cursor sent on the origin's flush tick
//   left     {"id":ID,"at":MS}                 a cursor ended
//   beat     {"n":COUNT}                       the node lives, showing COUNT entries
//   snapshot {"entries":[E,...]}               every entry of the node (the Redis key's value)
// E = {"presence_id","user_id","board_id","name","emoji","cursor","selected_session_id",
//      "typing_session_id","idle","last_active"}, exactly: ids strings of 1..64 bytes; name and
// emoji null or at most kMaxPresenceNameBytes (the encoder cuts longer ones at a character);
// cursor null or {"x","y"} as presence.h validates it (finite, |v| <= 1e7); session ids null or
// an id; idle a bool; last_active an integer ms >= 0. MS and COUNT integers >= 0.
// Bounds: kMaxPresenceMessageBytes for one message, kMaxPresenceSnapshotBytes and
// kMaxPresenceSnapshotEntries for a snapshot; depth 4, 16 keys per object. The recovery pid
// is never in a message: PresenceEntry's pid, sub and node are not encoded.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/realtime/presence_registry.h"

namespace agor {

inline constexpr size_t kMaxPresenceMessageBytes = 16 * 1024;
inline constexpr size_t kMaxPresenceSnapshotEntries = 10000;
inline constexpr size_t kMaxPresenceSnapshotBytes = 8 * 1024 * 1024;
inline constexpr size_t kMaxPresenceNameBytes = 1024;

enum class PresenceOp { kUpsert, kRemove, kCursor, kLeft, kBeat, kSnapshot };

struct PresenceRelayMessage {
  std::string node;  // the publishing node's random id
  PresenceOp op = PresenceOp::kBeat;
  std::vector<PresenceEntry> entries;  // upsert: one; snapshot: all (their node unset)
  std::string presence_id;             // remove, cursor, left
  double x = 0, y = 0;                 // cursor
  int64_t at_ms = 0;                   // cursor, left
  int64_t count = 0;                   // beat
};

std::string EncodePresenceRelayMessage(const PresenceRelayMessage& m);
// BadRequest saying what is wrong, *out untouched, for anything but the format above.
Status DecodePresenceRelayMessage(std::string_view bytes, PresenceRelayMessage* out);

}  // namespace agor
