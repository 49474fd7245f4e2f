// Mark: what the producer writes into each message's `content` so that every receiver can tell
// which message it got and when it was sent, without decoding the event's JSON:
//   content = "bench <run> <seq> <send time ns>"   (NowNs clock; no characters JSON escapes)
// ParseMarkedEvent scans a `["messages created",{...}]` event for it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace agor::bench {

struct Mark {
  int64_t run = 0;
  int64_t seq = 0;
  int64_t sent_ns = 0;
};

// The content string for mark.
std::string MarkContent(const Mark& mark);

// True when args (a Socket.IO event's JSON array) is a `messages created` event whose record's
// content is a mark; fills *mark.
bool ParseMarkedEvent(std::string_view args, Mark* mark);

}  // namespace agor::bench
