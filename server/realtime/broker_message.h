// BrokerMessage: the bytes of one committed Event on a broker between nodes (Redis pub/sub).
//
// Format: one JSON object (UTF-8, compact, keys in this order), readable in `redis-cli
// monitor` and versioned for rolling upgrades:
//   {"v":1,"seq":42,"ts":"2026-12-02T12:00:00.000Z","service":"messages","event":"created",
//    "board_id":"<id>"|null,"session_id":"<id>"|null,"user_id":"<id>"|null,
//    "actor_id":"<id>"|null,"actor_agent":"claude-code"|null,"record":{...}}
// The record is the one clients get (Event::record_json spliced in as is when the store made
// it); ids absent from the Event are null, as in the event log's entries.
// A live message (a seq-less event: streamed agent text, the activity feed's live events) has
// seq 0 and one more key after it, "node": the publishing node's id, so that node skips its
// own echo (nothing else can: no seq to deduplicate by); its ts may be "".
//
// Decode treats the bytes as hostile (another node, or whoever can reach Redis): at most
// kMaxBrokerMessageBytes, ParseJson's rules (valid UTF-8, no NUL, depth and key bounds), then
// exactly the keys above, v == 1, seq an integer >= 1 (or 0 with a node, a name as below), ts
// ISO-8601 as agor writes it (base/clock.h; "" allowed when live), service, event (and node)
// non-empty names of at most kMaxBrokerNameBytes, each id null or a non-empty string of at
// most kMaxBrokerIdBytes, record an object. Anything else is a BadRequest naming the field,
// and *out is untouched. A decoded Event has record_json set, so each receiving node
// serializes the record once, like the publishing node.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "store/event_log.h"

namespace agor {

// Above any record the store accepts (bodies are 1 MiB by default, --max-body raises it).
inline constexpr size_t kMaxBrokerMessageBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxBrokerNameBytes = 64;
inline constexpr size_t kMaxBrokerIdBytes = 128;

// The message of `ev`: a logged event's (seq > 0), or a live one's (seq 0) from `node`.
std::string EncodeBrokerMessage(const Event& ev, const std::string& node = "");
// The Event of a message, and its node when live ("" otherwise), or BadRequest (see above).
Status DecodeBrokerMessage(std::string_view bytes, Event* out, std::string* node = nullptr);

}  // namespace agor
