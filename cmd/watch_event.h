// WatchEvent: one service event as `agor watch` sees it, whether it came live from the socket
// (stock `42["sessions created",{record},"17"]`, or, on a connection that asked for log entries
// with `?agor_events=log`, `42["events created",{log entry},"17"]`) or from the durable event
// log (`GET /events` entries `{seq,ts,service,event,board_id,session_id,record}`), with the
// filter and the two output formats of the command. Pure functions: no I/O.
//
// Presence frames are seq-less (never logged): `presence created|patched|removed` with the
// entry, and Agor's `cursor-moved {userId, presenceId, boardId, x, y, timestamp}` and
// `cursor-left {userId, presenceId, boardId, timestamp}`, which become service "presence",
// event "cursor-moved" / "cursor-left" with board_id from boardId. The filter drops them all
// unless asked (`agor watch --presence`): cursors are noisy. The activity feed's `activity
// created|patched` (seq-less too) is a summary of events the stream already shows: dropped
// unless `--service activity` names it.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "base/status.h"

namespace agor {

struct WatchEvent {
  std::int64_t seq = -1;  // the event log's seq; -1 for an event without one
  std::string service;    // "sessions"
  std::string event;      // "created"
  Json board_id;          // string or null
  Json session_id;        // string or null
  Json record;
  std::string ts;  // the log entry's ts; "" for live events
  Json actor;      // the log entry's {user_id, agent}; null for stock frames
};

// "17" -> 17; -1 for "" or anything that is not a non-negative decimal integer.
std::int64_t ParseSeq(const std::string& text);

// From a socket event: name is "<service> <event>", or kLogEntryEvent (server/wire/socketio.h)
// with a log entry as its record. False for names of another shape and a malformed entry
// (the activity feed's frames parse; WatchFilter drops them unless asked).
bool EventFromFrame(const std::string& name, Json record, const std::string& offset,
                    WatchEvent* out);
// True for the presence frames above (service "presence").
bool IsPresenceEvent(const WatchEvent& event);

// From one element of GET /events' data. False when the entry lacks seq/service/event.
bool EventFromLog(Json entry, WatchEvent* out);

// Which events are printed. Empty sets do not filter; presence and activity frames pass only
// when asked (above). boards and sessions together form the
// scope: when either is set an event passes if its board_id is one of `boards` or its
// session_id one of `sessions` (repo events, which have neither, then never pass).
struct WatchFilter {
  std::set<std::string> boards;
  std::set<std::string> sessions;
  std::set<std::string> services;
  std::set<std::string> events;
  bool presence = false;  // presence frames pass (else dropped, whatever the other sets say)

  bool Passes(const WatchEvent& event) const;
};

// `{"seq":N,"ts":"...","service":"...","event":"...","board_id":"..."|null,
//   "session_id":"..."|null,"data":{record},"actor":{"user_id","agent"}}` and "\n": a line
// that stands alone. seq and ts are null for an event outside the log (streamed text); actor
// is there only when the event came as a log entry that has one.
std::string FormatEventJson(const WatchEvent& event);

// A readable line for terminals, "\n" included:
//   `HH:MM:SS  #17  sessions created  8f70d521  Fix the login bug [idle]`
// The time is the local time of the event (the log's ts); an event outside the log has none,
// so the record's updated_at, created_at, timestamp, last_active or ts stands in ("--:--:--"
// when none parses); then the record's short id and an excerpt of its name, title, prompt,
// slug, summary or content (messages get their role in front), cut to one line. Everything from the
// daemon is made terminal-safe (cmd/output.h). With `color`, ANSI colours mark the event kind and
// dim the seq and id. Presence lines show the presence id and the entry (`ana 🦊 viewing
// 5e6f7a8b, typing, idle`) or the cursor (`ana at 120,48`, `left`).
std::string FormatEventSummary(const WatchEvent& event, bool color);

// "2026-11-26T11:55:13.617Z" (UTC) -> "12:55:13" in local time; "" when it does not parse.
std::string LocalClock(const std::string& iso);

}  // namespace agor
