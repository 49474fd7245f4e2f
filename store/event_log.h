// EventLog: the durable, gapless record of every change, in the `events` table, on either
// engine through the store's SqlSession (store/sql_session.h).
//
// Each write of every service appends one Event in the same transaction as the change (so a
// rolled-back write leaves no event and a committed one always has one); `seq` is max + 1 on
// each append: strictly increasing and never reused, because pruning always keeps the newest
// event. On SQLite it is the table's INTEGER PRIMARY KEY (the one writer's lock orders the
// appends); on PostgreSQL, where many nodes write one database, each append first takes the
// transaction-scoped advisory lock of PgEventLog (store/pg_event_log.h), so seqs commit in order
// with no hole. Readers replay from a seq to recover what a client missed, across daemon
// restarts.
//
// Not thread-safe: used by the thread that owns the Store's connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/event.h"
#include "store/sql_session.h"

namespace agor {

class EventLog {
 public:
  // `session` is borrowed and must outlive the log; its schema must be migrated.
  explicit EventLog(SqlSession* session) : session_(session) {}

  // Appends `ev` (seq ignored) inside the caller's open transaction and sets ev->seq.
  Status Append(Event* ev);
  // Events with seq > after_seq, oldest first, at most `max`.
  Status ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out);
  // The newest seq, 0 for an empty log (or one that cannot be read); FirstSeq: the oldest
  // still kept (0 when empty).
  int64_t LastSeq();
  int64_t FirstSeq();
  // Whether the log still holds, within `retention`, every event after `offset`: the test a
  // reconnecting client's offset must pass to be recovered.
  bool Covers(int64_t offset, const Retention& retention, int64_t now_ms);
  // Deletes the oldest events so that at most `keep_count` remain and none is older than
  // `min_ts_millis` (0 = no age bound). The newest event is always kept so seq never restarts.
  Status Prune(int64_t keep_count, int64_t min_ts_millis, int64_t* removed);

 private:
  int64_t OneInteger(const std::string& sql);

  SqlSession* session_;
};

}  // namespace agor
