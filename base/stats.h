// ServerStats: the daemon's counters, exported by GET /metrics. Written on the event loop only.
#pragma once

#include <cstdint>

namespace agor {

struct ServerStats {
  int64_t started_ms = 0;
  int64_t http_requests = 0;
  int64_t http_errors = 0;  // answers with status >= 400
  int64_t events = 0;       // committed writes' events
  int64_t commits = 0;      // group commits run by the loop (a batch holds several writes)
  int64_t sockets = 0;      // open Engine.IO sessions
  int64_t slow_drops = 0;   // sessions dropped because their send queue passed the bound
};

}  // namespace agor
