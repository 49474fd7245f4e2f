// Event and Retention: one change in the event log and how much of the log recovery may replay,
// shared by both engines' logs (store/event_log.h on SQLite, store/pg_event_log.h on PostgreSQL)
// and by every reader of events. Plain values: copy and move freely.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace agor {

struct Event {
  int64_t seq = 0;
  std::string ts;          // ISO-8601, when the change was committed
  std::string service;     // "messages"
  std::string event;       // created | updated | patched | removed (or a custom event name)
  std::string board_id;    // the board the record belongs to; "" for none (repos)
  std::string session_id;  // the session a session/task/message belongs to; "" for none
  // The user the record is about: a users record's own id, an api key's or a membership's
  // user_id, a board's owner_id; "" for none. Privacy routes on it (store/access_policy.h).
  std::string user_id;
  // Who caused it: the authenticated user ("" for none: the daemon's own writes) and, for
  // what a task's agent did, the agent ("claude-code"; "" otherwise). An agent's events name
  // the user who prompted it too. Set by the store from its ActorScope.
  std::string actor_id;
  std::string actor_agent;
  Json record;              // the record as sent on the wire
  std::string record_json;  // record.dump() when already made (by Append), else ""
};

// How much of the log recovery may replay: at most `count` events, none older than `age_ms`
// (0: no age bound). Pruning enforces it in the background; Covers() enforces it at once.
struct Retention {
  int64_t count = 100000;
  int64_t age_ms = 7 * 86400000LL;
};

}  // namespace agor
