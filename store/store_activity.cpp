// Store's activity feed (see store.h and store/activity_feed.h): each write's own event
// derived into the `activity` table in the write's transaction, and the read-only service
// over it, read as one user sees it (the privacy rule's SQL form on the entry's board).
#include <SQLiteCpp/Statement.h>

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

ActivityEntry ReadEntry(SQLite::Statement& st) {
  ActivityEntry e;
  std::string* text[] = {&e.activity_id, &e.board_id,   &e.session_id, &e.task_id, &e.actor_id,
                         &e.actor_agent, &e.actor_name, &e.verb,       &e.subject, &e.summary};
  int i = 0;
  for (std::string* t : text) *t = st.getColumn(i++).getString();  // NULL reads as ""
  e.count = st.getColumn(i++).getInt64();
  e.first_seq = st.getColumn(i++).getInt64();
  e.last_seq = st.getColumn(i++).getInt64();
  e.ts = st.getColumn(i).getString();
  return e;
}

void BindOptional(SQLite::Statement& st, int index, const std::string& value) {
  if (value.empty()) {
    st.bind(index);
  } else {
    st.bind(index, value);
  }
}

// The names the feed's rules ask for, from the store's tables (one indexed lookup each).
class TableNames : public ActivityNames {
 public:
  explicit TableNames(StatementCache* statements) : statements_(statements) {}
  std::string UserName(const std::string& user_id) override {
    auto st = statements_->Get("SELECT name FROM users WHERE user_id = ?");
    st->bind(1, user_id);
    return st->executeStep() ? st->getColumn(0).getString() : "";
  }
  bool Session(const std::string& session_id, std::string* title, std::string* tool) override {
    auto st = statements_->Get("SELECT title, agentic_tool FROM sessions WHERE session_id = ?");
    st->bind(1, session_id);
    if (!st->executeStep()) return false;
    *title = st->getColumn(0).getString();
    *tool = st->getColumn(1).getString();
    return true;
  }

 private:
  StatementCache* statements_;
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

void Store::AppendActivity(WriteContext& ctx) {
  const Event& ev = ctx.event;
  ActivityEntry previous, entry;
  bool found = false;
  ActivityGroup group = GroupOf(ev);
  if (group != ActivityGroup::kNone) {
    static const char* const kLatest[] = {
        "",
        "task_id = ? AND verb = 'wrote' LIMIT 1",
        "session_id = ? ORDER BY first_seq DESC LIMIT 1",
        "board_id = ? ORDER BY first_seq DESC LIMIT 1",
    };
    auto st = statements_.Get(std::string("SELECT ") + kColumns + " FROM activity WHERE " +
                              kLatest[static_cast<int>(group)]);
    const Json& task = ev.record.is_object() ? ev.record.value("task_id", Json()) : Json();
    st->bind(1, group == ActivityGroup::kTask && task.is_string() ? task.get<std::string>()
                : group == ActivityGroup::kSession                ? ev.session_id
                                                                  : ev.board_id);
    found = st->executeStep();
    if (found) previous = ReadEntry(*st);
  }
  TableNames names(&statements_);
  ActivityChange change = DeriveActivity(ev, found ? &previous : nullptr, names, &entry);
  if (change == ActivityChange::kNone) return;
  if (change == ActivityChange::kGrown) {
    auto st = statements_.Get(
        "UPDATE activity SET count = ?, last_seq = ?, ts = ?, summary = ? WHERE activity_id = ?");
    st->bind(1, entry.count);
    st->bind(2, entry.last_seq);
    st->bind(3, entry.ts);
    st->bind(4, entry.summary);
    st->bind(5, entry.activity_id);
    st->exec();
    ctx.activity.push_back(ActivityEvent(entry, "patched"));
    return;
  }
  entry.activity_id = NewUuid();
  auto st = statements_.Get(std::string("INSERT INTO activity (") + kColumns +
                            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const std::string* text[] = {
      &entry.activity_id, &entry.board_id,   &entry.session_id, &entry.task_id, &entry.actor_id,
      &entry.actor_agent, &entry.actor_name, &entry.verb,       &entry.subject, &entry.summary};
  int i = 1;
  for (const std::string* t : text) BindOptional(*st, i++, *t);
  st->bind(i++, entry.count);
  st->bind(i++, entry.first_seq);
  st->bind(i++, entry.last_seq);
  st->bind(i, entry.ts);
  st->exec();
  ctx.activity.push_back(ActivityEvent(entry, "created"));
}

Status Store::FindActivity(const Json& query, Json* page, const std::string& viewer_id) {
  ActivityQuery q;
  Status s = ParseActivityQuery(query, &q);
  if (!s.ok()) return s;
  std::vector<std::string> params;
  std::string where = " WHERE 1";
  if (!q.board_id.empty()) {
    where += " AND board_id = ?";
    params.push_back(q.board_id);
  }
  if (q.before > 0) where += " AND first_seq < " + std::to_string(q.before);  // an integer
  std::string filter = access_.SqlFilter(viewer_id, "activity", &params);
  if (!filter.empty()) where += " AND (" + filter + ")";
  try {
    SQLite::Statement count(*db_, "SELECT COUNT(*) FROM activity" + where);
    SQLite::Statement rows(*db_, std::string("SELECT ") + kColumns + " FROM activity" + where +
                                     " ORDER BY first_seq DESC LIMIT " + std::to_string(q.limit));
    for (size_t i = 0; i < params.size(); ++i) {
      count.bind(static_cast<int>(i + 1), params[i]);
      rows.bind(static_cast<int>(i + 1), params[i]);
    }
    count.executeStep();
    Json data = Json::array();
    while (q.limit > 0 && rows.executeStep()) data.push_back(ReadEntry(rows).ToJson());
    *page = Json{{"total", count.getColumn(0).getInt64()},
                 {"limit", q.limit},
                 {"skip", 0},
                 {"data", std::move(data)}};
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
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
  try {
    SQLite::Statement st(*db_,
                         std::string("SELECT ") + kColumns + " FROM activity" + where + " LIMIT 2");
    for (size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
    if (!st.executeStep()) return Status::NotFound("No record found for id '" + id + "'");
    *record = ReadEntry(st).ToJson();
    if (st.executeStep())
      return Status::Conflict("id prefix '" + id + "' is ambiguous: give more characters");
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

Status Store::PruneActivity(int64_t* removed) {
  try {
    int n = db_->exec(
        "DELETE FROM activity WHERE first_seq < (SELECT COALESCE(MIN(seq), 0) FROM events)");
    if (removed) *removed = n;
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

}  // namespace agor
