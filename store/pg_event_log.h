// PgEventLog: the event log on PostgreSQL, shared by every node, in one global, gapless order.
//
// The same record as EventLog on SQLite (store/event_log.h), in the `events` table of
// store/pg_database.cpp. Each write appends its Event inside its own transaction, so a
// rolled-back write leaves no event and a committed one always has one.
//
// The order: Append first takes a transaction-scoped advisory lock (one constant key for the
// whole database), then, in a new statement, inserts seq = max(seq) + 1. The lock is held
// until the transaction commits or rolls back, so appends from every node and connection
// serialize: a transaction may take seq N+1 only once the one holding N has ended. Hence seqs
// commit in order and no reader ever sees N+1 while N is still uncommitted; an aborted
// transaction's seq is taken again by the next one, so no hole is left either (a sequence
// object would leave both). This needs READ COMMITTED, which PgConnection::Begin sets: the
// insert's fresh snapshot sees the transaction that released the lock. Pruning always keeps the
// newest event, so max + 1 never reuses a seq.
//
// The cost: every write transaction holds the lock from its append to its commit, so that tail
// (the insert, the COMMIT and its round trips) runs one at a time across all nodes. Writers
// should append last, just before committing.
//
// Stateless: every call runs on the connection it is given, and so on that connection's thread
// (store/pg_connection.h); one PgEventLog serves any number of connections.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "store/event.h"
#include "store/pg_connection.h"

namespace agor {

class PgEventLog {
 public:
  // Appends `ev` (seq ignored) inside the caller's open transaction and sets ev->seq and
  // ev->record_json. Outside a transaction it refuses: the lock would end with the statement.
  static Status Append(PgConnection* conn, Event* ev);
  // Takes the append lock now, inside the caller's open transaction (Append takes it anyway;
  // taking it again is free): for a write whose own reads must see every other node's
  // committed writes before it decides, as a message's next index does. Taken before any row
  // lock of the transaction, it adds no lock-order cycle.
  static Status LockAppends(PgConnection* conn);
  // Events with seq > after_seq, oldest first, at most `max`: always a gapless run.
  static Status ReadSince(PgConnection* conn, int64_t after_seq, size_t max,
                          std::vector<Event>* out);
  // The newest seq, 0 for an empty log; FirstSeq: the oldest still kept (0 when empty).
  static Status LastSeq(PgConnection* conn, int64_t* seq);
  static Status FirstSeq(PgConnection* conn, int64_t* seq);
  // Whether the log still holds, within `retention`, every event after `offset` (as
  // EventLog::Covers); false too when the database cannot tell: the client then resyncs.
  static bool Covers(PgConnection* conn, int64_t offset, const Retention& retention,
                     int64_t now_ms);
  // Deletes the oldest events so that at most `keep_count` remain and none is older than
  // `min_ts_millis` (0 = no age bound). The newest event is always kept so seq never restarts.
  static Status Prune(PgConnection* conn, int64_t keep_count, int64_t min_ts_millis,
                      int64_t* removed);
};

}  // namespace agor
