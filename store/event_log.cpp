#include "store/event_log.h"

#include "base/clock.h"
#include "store/log_covers.h"

namespace agor {
namespace {

// PgEventLog's key, 0x61676f720002: "agor" and 2 (store/pg_database.cpp lists agor's keys).
constexpr int64_t kAppendLock = 107096879267842;

const std::string kLock = "SELECT pg_advisory_xact_lock(?)";
// SQLite numbers the INTEGER PRIMARY KEY max + 1 itself and tells the rowid without a row;
// PostgreSQL computes it after the lock, in a statement of its own, so its snapshot sees the
// previous holder's commit.
const std::string kInsertSqlite =
    "INSERT INTO events (ts, service, event, board_id, session_id, record, user_id, actor_id, "
    "actor_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
const std::string kInsertPg =
    "INSERT INTO events (seq, ts, service, event, board_id, session_id, record, user_id, "
    "actor_id, actor_agent) SELECT COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ? "
    "FROM events RETURNING seq";

SqlValue Optional(const std::string& value) {
  return value.empty() ? SqlValue() : SqlValue(value);  // "" is stored as NULL
}

Event EventFromRow(const SqlRow& row) {
  Event ev;
  ev.seq = row[0].integer();
  ev.ts = row[1].text();
  ev.service = row[2].text();
  ev.event = row[3].text();
  ev.board_id = row[4].text();  // NULL reads as ""
  ev.session_id = row[5].text();
  ev.record = Json::parse(row[6].text(), nullptr, false);
  ev.user_id = row[7].text();
  ev.actor_id = row[8].text();
  ev.actor_agent = row[9].text();
  return ev;
}

}  // namespace

Status EventLog::Append(Event* ev) {
  bool pg = session_->dialect().engine() == SqlDialect::Engine::kPostgres;
  if (pg && !session_->in_transaction()) {
    return Status::GeneralError("an event is appended inside its write's transaction");
  }
  Status s = pg ? session_->Exec(kLock, {kAppendLock}) : Status::OK();
  if (!s.ok()) return s;
  ev->record_json = ev->record.dump();  // kept: the answer and the event frame reuse it
  SqlResult r;
  s = session_->Exec(
      pg ? kInsertPg : kInsertSqlite,
      {ev->ts, ev->service, ev->event, Optional(ev->board_id), Optional(ev->session_id),
       ev->record_json, Optional(ev->user_id), Optional(ev->actor_id), Optional(ev->actor_agent)},
      &r);
  if (s.ok()) ev->seq = pg ? r.rows.at(0).at(0).integer() : r.inserted_id;
  return s;
}

Status EventLog::ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out) {
  SqlResult r;
  Status s = session_->Query(
      "SELECT seq, ts, service, event, board_id, session_id, record, user_id, actor_id, "
      "actor_agent FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
      {after_seq, static_cast<int64_t>(max)}, &r);
  for (const SqlRow& row : r.rows) out->push_back(EventFromRow(row));
  return s;
}

int64_t EventLog::OneInteger(const std::string& sql) {
  SqlResult r;
  if (!session_->Query(sql, {}, &r).ok() || r.rows.empty()) return 0;
  return r.rows[0][0].integer();
}

int64_t EventLog::LastSeq() {
  return OneInteger("SELECT COALESCE(MAX(seq), 0) FROM events");
}

int64_t EventLog::FirstSeq() {
  return OneInteger("SELECT COALESCE(MIN(seq), 0) FROM events");
}

bool EventLog::Covers(int64_t offset, const Retention& retention, int64_t now_ms) {
  int64_t first = FirstSeq(), last = LastSeq();
  return LogCovers(offset, first, last, retention, now_ms, [&](std::string* ts) {
    std::vector<Event> next;
    if (!ReadSince(offset, 1, &next).ok() || next.empty()) return false;
    *ts = next[0].ts;
    return true;
  });
}

Status EventLog::Prune(int64_t keep_count, int64_t min_ts_millis, int64_t* removed) {
  int64_t last = LastSeq();
  int64_t below = last - keep_count + 1;  // keep seq >= below
  SqlResult by_count, by_age;
  Status s =
      session_->Exec("DELETE FROM events WHERE seq < ? AND seq < ?", {below, last}, &by_count);
  if (s.ok() && min_ts_millis > 0) {
    s = session_->Exec("DELETE FROM events WHERE ts < ? AND seq < ?",
                       {FormatIso8601(min_ts_millis), last}, &by_age);
  }
  if (s.ok() && removed) *removed = by_count.affected + by_age.affected;
  return s;
}

}  // namespace agor
