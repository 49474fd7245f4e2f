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
#include "store/event.h"
#include "store/statement_cache.h"

namespace agor {

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
