// Store's activity feed (see store.h and store/activity_feed.h): each write's own event
// derived into the `activity` table in the write's transaction, and the read-only service
// over it, read as one user sees it (the privacy rule's SQL form on the entry's board).
#include <cctype>

#include "base/ids.h"
#include "store/activity_feed.h"
#include "store/database.h"
#include "store/store.h"

namespace agor {
namespace {

constexpr const char* kColumns =
    "activity_id, board_id, session_id, task_id, actor_id, actor_agent, actor_name, verb, "
    "subject, summary, count, first_seq, last_seq, ts";
constexpr int64_t kDefaultLimit = 50;
constexpr int64_t kMaxLimit = 500;

// Moves the row's texts out: each is read once.
ActivityEntry EntryFromRow(SqlRow& row) {
  ActivityEntry e;
  std::string* text[] = {&e.activity_id, &e.board_id,   &e.session_id, &e.task_id, &e.actor_id,
                         &e.actor_agent, &e.actor_name, &e.verb,       &e.subject, &e.summary};
  size_t i = 0;
  for (std::string* t : text) *t = row[i++].TakeText();  // NULL reads as ""
  e.count = row[i++].integer();
  e.first_seq = row[i++].integer();
  e.last_seq = row[i++].integer();
  e.ts = row[i].TakeText();
  return e;
}

SqlValue Optional(const std::string& value) {
  return value.empty() ? SqlValue() : SqlValue(value);  // "" is stored as NULL
}

// The names the feed's rules ask for, from the store's tables (one indexed lookup each). A
// lookup that fails reads as a missing name and is kept in `status` for the write to answer.
class TableNames : public ActivityNames {
 public:
  explicit TableNames(SqlSession* session) : session_(session) {}
  std::string UserName(const std::string& user_id) override {
    SqlResult r;
    Keep(session_->Query("SELECT name FROM users WHERE user_id = ?", {user_id}, &r));
    return r.rows.empty() ? "" : r.rows[0][0].TakeText();
  }
  bool Session(const std::string& session_id, std::string* title, std::string* tool) override {
    SqlResult r;
    Keep(session_->Query("SELECT title, agentic_tool FROM sessions WHERE session_id = ?",
                         {session_id}, &r));
    if (r.rows.empty()) return false;
    *title = r.rows[0][0].TakeText();
    *tool = r.rows[0][1].TakeText();
    return true;
  }
  Status status;

 private:
  void Keep(const Status& s) {
    if (status.ok()) status = s;
  }
  SqlSession* session_;
};

Event ActivityEvent(const ActivityEntry& e, const char* name) {
  Event ev;
  ev.ts = e.ts;
  ev.service = "activity";
  ev.event = name;
  ev.board_id = e.board_id;  // routed on the board channel, judged on the board
  ev.actor_id = e.actor_id;
  ev.actor_agent = e.actor_agent;
  ev.record = e.ToJson();
  return ev;
}

Status BadField(const std::string& field, const std::string& why) {
  return Status::BadRequest(field + ": " + why, Json{{"field", field}});
}

// A non-negative integer from a query value: a JSON integer, or decimal digits (REST).
bool QueryInteger(const Json& value, int64_t* out) {
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return *out >= 0;
  }
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (!isdigit(static_cast<unsigned char>(c))) return false;
  }
  *out = std::stoll(text);
  return true;
}

struct ActivityQuery {
  std::string board_id;  // "" every board
  int64_t limit = kDefaultLimit;
  int64_t before = 0;  // 0: no bound
};

Status ParseActivityQuery(const Json& query, ActivityQuery* q) {
  if (query.is_null()) return Status::OK();
  if (!query.is_object()) return Status::BadRequest("the query must be an object");
  for (const auto& [key, value] : query.items()) {
    if (key == "board_id") {
      if (!value.is_string()) return BadField(key, "must be a string");
      q->board_id = value.get<std::string>();
    } else if (key == "$limit") {
      if (!QueryInteger(value, &q->limit)) return BadField(key, "must be an integer >= 0");
      q->limit = std::min(q->limit, kMaxLimit);
    } else if (key == "$before") {
      if (!QueryInteger(value, &q->before) || q->before == 0)
        return BadField(key, "must be a seq (an integer >= 1)");
    } else {
      return BadField(key, "unknown query field (activity takes board_id, $limit, $before)");
    }
  }
  return Status::OK();
}

}  // namespace

namespace {

// The feed's entry the event may grow: its group's latest (one indexed lookup).
Status LatestEntry(SqlSession* session, const Event& ev, ActivityEntry* previous, bool* found) {
  ActivityGroup group = GroupOf(ev);
  *found = false;
  if (group == ActivityGroup::kNone) return Status::OK();
  static const char* const kLatest[] = {
      "",
      "task_id = ? AND verb = 'wrote' LIMIT 1",
      "session_id = ? ORDER BY first_seq DESC LIMIT 1",
      "board_id = ? ORDER BY first_seq DESC LIMIT 1",
  };
  const Json& task = ev.record.is_object() ? ev.record.value("task_id", Json()) : Json();
  SqlResult r;
  Status s =
      session->Query(std::string("SELECT ") + kColumns + " FROM activity WHERE " +
                         kLatest[static_cast<int>(group)],
                     {group == ActivityGroup::kTask && task.is_string() ? task.get<std::string>()
                      : group == ActivityGroup::kSession                ? ev.session_id
                                                                        : ev.board_id},
                     &r);
  *found = s.ok() && !r.rows.empty();
  if (*found) *previous = EntryFromRow(r.rows[0]);
  return s;
}

Status InsertEntry(SqlSession* session, const ActivityEntry& e) {
  return session->Exec(
      std::string("INSERT INTO activity (") + kColumns +
          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {e.activity_id, Optional(e.board_id), Optional(e.session_id), Optional(e.task_id),
       Optional(e.actor_id), Optional(e.actor_agent), Optional(e.actor_name), Optional(e.verb),
       Optional(e.subject), Optional(e.summary), e.count, e.first_seq, e.last_seq, e.ts});
}

}  // namespace

Status Store::AppendActivity(WriteContext& ctx) {
  const Event& ev = ctx.event;
  ActivityEntry previous, entry;
  bool found = false;
  Status s = LatestEntry(session_.get(), ev, &previous, &found);
  if (!s.ok()) return s;
  TableNames names(session_.get());
  ActivityChange change = DeriveActivity(ev, found ? &previous : nullptr, names, &entry);
  if (!names.status.ok() || change == ActivityChange::kNone) return names.status;
  if (change == ActivityChange::kGrown) {
    s = session_->Exec(
        "UPDATE activity SET count = ?, last_seq = ?, ts = ?, summary = ? WHERE activity_id = ?",
        {entry.count, entry.last_seq, entry.ts, entry.summary, entry.activity_id});
    if (s.ok()) ctx.activity.push_back(ActivityEvent(entry, "patched"));
    return s;
  }
  entry.activity_id = NewUuid();
  s = InsertEntry(session_.get(), entry);
  if (s.ok()) ctx.activity.push_back(ActivityEvent(entry, "created"));
  return s;
}

Status Store::FindActivity(const Json& query, Json* page, const std::string& viewer_id) {
  ActivityQuery q;
  Status s = ParseActivityQuery(query, &q);
  if (!s.ok()) return s;
  std::vector<std::string> params;
  std::string where = " WHERE TRUE";
  if (!q.board_id.empty()) {
    where += " AND board_id = ?";
    params.push_back(q.board_id);
  }
  if (q.before > 0) where += " AND first_seq < " + std::to_string(q.before);  // an integer
  std::string filter = access_.SqlFilter(viewer_id, "activity", &params);
  if (!filter.empty()) where += " AND (" + filter + ")";
  std::vector<SqlValue> values(params.begin(), params.end());
  SqlResult count, rows;
  s = session_->Query("SELECT COUNT(*) FROM activity" + where, values, &count);
  if (s.ok() && q.limit > 0) {
    s = session_->Query(std::string("SELECT ") + kColumns + " FROM activity" + where +
                            " ORDER BY first_seq DESC LIMIT " + std::to_string(q.limit),
                        values, &rows);
  }
  if (!s.ok()) return s;
  Json data = Json::array();
  for (SqlRow& row : rows.rows) data.push_back(EntryFromRow(row).ToJson());
  *page = Json{{"total", count.rows[0][0].integer()},
               {"limit", q.limit},
               {"skip", 0},
               {"data", std::move(data)}};
  return s;
}

Status Store::GetActivity(const std::string& id, Json* record, const std::string& viewer_id) {
  std::string lower = id;
  for (auto& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  bool prefix = IsIdPrefix(lower) && !IsUuid(lower);
  std::vector<std::string> params = {lower};
  if (prefix) params.push_back(lower + "~");  // ids are below '~': the prefix's range
  std::string where =
      prefix ? " WHERE activity_id >= ? AND activity_id < ?" : " WHERE activity_id = ?";
  std::string filter = access_.SqlFilter(viewer_id, "activity", &params);
  if (!filter.empty()) where += " AND (" + filter + ")";
  SqlResult r;
  Status s =
      session_->Query(std::string("SELECT ") + kColumns + " FROM activity" + where + " LIMIT 2",
                      std::vector<SqlValue>(params.begin(), params.end()), &r);
  if (!s.ok()) return s;
  if (r.rows.empty()) return Status::NotFound("No record found for id '" + id + "'");
  if (r.rows.size() > 1)
    return Status::Conflict("id prefix '" + id + "' is ambiguous: give more characters");
  *record = EntryFromRow(r.rows[0]).ToJson();
  return s;
}

Status Store::PruneActivity(int64_t* removed) {
  SqlResult r;
  Status s = session_->Exec(
      "DELETE FROM activity WHERE first_seq < (SELECT COALESCE(MIN(seq), 0) FROM events)", {}, &r);
  if (s.ok() && removed) *removed = r.affected;
  return s;
}

}  // namespace agor
