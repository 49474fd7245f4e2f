#include "store/event_log.h"

#include <SQLiteCpp/Statement.h>

#include "base/clock.h"
#include "store/database.h"
#include "store/log_covers.h"

namespace agor {
namespace {

void BindOptional(SQLite::Statement& st, int index, const std::string& value) {
  if (value.empty()) {
    st.bind(index);  // NULL
  } else {
    st.bind(index, value);
  }
}

Event ReadEvent(SQLite::Statement& st) {
  Event ev;
  ev.seq = st.getColumn(0).getInt64();
  ev.ts = st.getColumn(1).getString();
  ev.service = st.getColumn(2).getString();
  ev.event = st.getColumn(3).getString();
  ev.board_id = st.getColumn(4).getString();  // NULL reads as ""
  ev.session_id = st.getColumn(5).getString();
  ev.record = Json::parse(st.getColumn(6).getString(), nullptr, false);
  ev.user_id = st.getColumn(7).getString();
  ev.actor_id = st.getColumn(8).getString();
  ev.actor_agent = st.getColumn(9).getString();
  return ev;
}

}  // namespace

Status EventLog::Append(Event* ev) {
  try {
    auto st = statements_.Get(
        "INSERT INTO events (ts, service, event, board_id, session_id, record, user_id, "
        "actor_id, actor_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st->bind(1, ev->ts);
    st->bind(2, ev->service);
    st->bind(3, ev->event);
    BindOptional(*st, 4, ev->board_id);
    BindOptional(*st, 5, ev->session_id);
    ev->record_json = ev->record.dump();  // kept: the answer and the event frame reuse it
    st->bind(6, ev->record_json);
    BindOptional(*st, 7, ev->user_id);
    BindOptional(*st, 8, ev->actor_id);
    BindOptional(*st, 9, ev->actor_agent);
    st->exec();
    ev->seq = db_->getLastInsertRowid();
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

Status EventLog::ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out) {
  try {
    auto st = statements_.Get(
        "SELECT seq, ts, service, event, board_id, session_id, record, user_id, actor_id, "
        "actor_agent FROM events "
        "WHERE seq > ? ORDER BY seq LIMIT ?");
    st->bind(1, static_cast<int64_t>(after_seq));
    st->bind(2, static_cast<int64_t>(max));
    while (st->executeStep()) out->push_back(ReadEvent(*st));
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

int64_t EventLog::LastSeq() {
  return db_->execAndGet("SELECT COALESCE(MAX(seq), 0) FROM events").getInt64();
}

int64_t EventLog::FirstSeq() {
  return db_->execAndGet("SELECT COALESCE(MIN(seq), 0) FROM events").getInt64();
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
  try {
    int64_t last = LastSeq();
    int64_t below = last - keep_count + 1;  // keep seq >= below
    SQLite::Statement by_count(*db_, "DELETE FROM events WHERE seq < ? AND seq < ?");
    by_count.bind(1, below);
    by_count.bind(2, last);
    int n = by_count.exec();
    if (min_ts_millis > 0) {
      SQLite::Statement by_age(*db_, "DELETE FROM events WHERE ts < ? AND seq < ?");
      by_age.bind(1, FormatIso8601(min_ts_millis));
      by_age.bind(2, last);
      n += by_age.exec();
    }
    if (removed) *removed = n;
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

}  // namespace agor
