// LogCovers: the recovery test both event logs' Covers() share (store/event_log.h on SQLite,
// store/pg_event_log.h on PostgreSQL): may a client that saw every event up to `offset` be
// brought up to date from the log, within the retention the log promises?
// A pure function; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "store/event.h"

namespace agor {

// Whether a log holding seqs first..last (0 and 0 when empty) still holds, within `retention`,
// every event after `offset` at `now_ms`. `next_ts` reads the ts of the event after `offset`
// (false when it cannot), asked only when the age bound decides.
bool LogCovers(int64_t offset, int64_t first, int64_t last, const Retention& retention,
               int64_t now_ms, const std::function<bool(std::string*)>& next_ts);

}  // namespace agor
