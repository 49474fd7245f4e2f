// EventLog: the durable, gapless record of every change, in the `events` table.
//
// Each write of every service appends one Event in the same SQLite transaction as the change
// (so a rolled-back write leaves no event and a committed one always has one); `seq` is the
// table's INTEGER PRIMARY KEY, max + 1 on each append: strictly increasing and never reused,
// because pruning always keeps the newest event. Readers
// replay from a seq to recover what a client missed, across daemon restarts.
//
// Not thread-safe: used by the thread that owns the Store's connection.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/statement_cache.h"

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

class EventLog {
 public:
  // `db` is borrowed and must outlive the log; its schema must be migrated.
  explicit EventLog(SQLite::Database* db) : db_(db), statements_(db) {}

  // Appends `ev` (seq ignored) inside the caller's open transaction and sets ev->seq.
  Status Append(Event* ev);
  // Events with seq > after_seq, oldest first, at most `max`.
  Status ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out);
  // The newest seq, 0 for an empty log; FirstSeq: the oldest still kept (0 when empty).
  int64_t LastSeq();
  int64_t FirstSeq();
  // Whether the log still holds, within `retention`, every event after `offset`: the test a
  // reconnecting client's offset must pass to be recovered.
  bool Covers(int64_t offset, const Retention& retention, int64_t now_ms);
  // Deletes the oldest events so that at most `keep_count` remain and none is older than
  // `min_ts_millis` (0 = no age bound). The newest event is always kept so seq never restarts.
  Status Prune(int64_t keep_count, int64_t min_ts_millis, int64_t* removed);

 private:
  SQLite::Database* db_;
  StatementCache statements_;
};

}  // namespace agor
