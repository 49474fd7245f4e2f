#include "store/pg_event_log.h"

#include <string>

#include "base/clock.h"
#include "store/log_covers.h"

namespace agor {
namespace {

// 0x61676f720002: "agor" and 2 (store/pg_database.cpp lists agor's advisory lock keys).
const char kAppendLock[] = "107096879267842";

const char kColumns[] =
    "seq, ts, service, event, board_id, session_id, record, user_id, actor_id, actor_agent";

PgValue Optional(const std::string& value) {
  return value.empty() ? PgValue() : PgValue(value);  // "" is stored as NULL, as on SQLite
}

Event ReadEvent(const PgResult& r, size_t row) {
  Event ev;
  ev.seq = r.integer(row, 0);
  ev.ts = r.text(row, 1);
  ev.service = r.text(row, 2);
  ev.event = r.text(row, 3);
  ev.board_id = r.text(row, 4);  // NULL reads as ""
  ev.session_id = r.text(row, 5);
  ev.record = Json::parse(r.text(row, 6), nullptr, false);
  ev.user_id = r.text(row, 7);
  ev.actor_id = r.text(row, 8);
  ev.actor_agent = r.text(row, 9);
  return ev;
}

Status OneInteger(PgConnection* conn, const char* sql, int64_t* value) {
  PgResult r;
  Status s = conn->Exec(sql, {}, &r);
  if (s.ok()) *value = r.integer(0, 0);
  return s;
}

}  // namespace

Status PgEventLog::LockAppends(PgConnection* conn) {
  if (!conn->in_transaction()) {
    return Status::GeneralError("the append lock is taken inside a write's transaction");
  }
  return conn->Exec("SELECT pg_advisory_xact_lock($1)", {kAppendLock});
}

Status PgEventLog::Append(PgConnection* conn, Event* ev) {
  Status s = LockAppends(conn);
  if (!s.ok()) return s;
  // A statement of its own, after the lock: its snapshot sees the previous holder committed.
  ev->record_json = ev->record.dump();  // kept: the answer and the event frame reuse it
  PgResult r;
  s = conn->Exec(
      std::string("INSERT INTO events (") + kColumns +
          ") SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9 "
          "FROM events RETURNING seq",
      {ev->ts, ev->service, ev->event, Optional(ev->board_id), Optional(ev->session_id),
       ev->record_json, Optional(ev->user_id), Optional(ev->actor_id), Optional(ev->actor_agent)},
      &r);
  if (s.ok()) ev->seq = r.integer(0, 0);
  return s;
}

Status PgEventLog::ReadSince(PgConnection* conn, int64_t after_seq, size_t max,
                             std::vector<Event>* out) {
  PgResult r;
  Status s = conn->Exec(
      std::string("SELECT ") + kColumns + " FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
      {std::to_string(after_seq), std::to_string(max)}, &r);
  if (!s.ok()) return s;
  for (size_t row = 0; row < r.rows(); ++row) out->push_back(ReadEvent(r, row));
  return s;
}

Status PgEventLog::LastSeq(PgConnection* conn, int64_t* seq) {
  return OneInteger(conn, "SELECT COALESCE(MAX(seq), 0) FROM events", seq);
}

Status PgEventLog::FirstSeq(PgConnection* conn, int64_t* seq) {
  return OneInteger(conn, "SELECT COALESCE(MIN(seq), 0) FROM events", seq);
}

bool PgEventLog::Covers(PgConnection* conn, int64_t offset, const Retention& retention,
                        int64_t now_ms) {
  int64_t first = 0, last = 0;
  if (!FirstSeq(conn, &first).ok() || !LastSeq(conn, &last).ok()) return false;
  return LogCovers(offset, first, last, retention, now_ms, [&](std::string* ts) {
    std::vector<Event> next;
    if (!ReadSince(conn, offset, 1, &next).ok() || next.empty()) return false;
    *ts = next[0].ts;
    return true;
  });
}

Status PgEventLog::Prune(PgConnection* conn, int64_t keep_count, int64_t min_ts_millis,
                         int64_t* removed) {
  int64_t last = 0;
  Status s = LastSeq(conn, &last);
  if (!s.ok()) return s;
  std::string below = std::to_string(last - keep_count + 1);  // keep seq >= below
  PgResult by_count, by_age;
  s = conn->Exec("DELETE FROM events WHERE seq < $1 AND seq < $2", {below, std::to_string(last)},
                 &by_count);
  if (s.ok() && min_ts_millis > 0) {
    s = conn->Exec("DELETE FROM events WHERE ts < $1 AND seq < $2",
                   {FormatIso8601(min_ts_millis), std::to_string(last)}, &by_age);
  }
  if (s.ok() && removed) *removed = by_count.affected() + by_age.affected();
  return s;
}

}  // namespace agor
