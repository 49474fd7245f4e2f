#include "store/store.h"

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include <cstring>
#include <unordered_map>

#include "base/ids.h"
#include "base/json.h"
#include "base/utf8.h"
#include "store/database.h"
#include "store/pg_database.h"
#include "store/pg_event_log.h"
#include "store/pg_session.h"
#include "store/record_codec.h"
#include "store/sqlite_session.h"
#include "store/validator.h"

namespace agor {

namespace {

Status UnknownService(const std::string& service) {
  return Status::NotFound("Service '" + service + "' not found");
}

Status NoRecord(const std::string& id) {
  return Status::NotFound("No record found for id '" + id + "'");
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

// "INSERT INTO "x" (all columns) VALUES (?, ...)", built once per schema and store.
const std::string& InsertSql(const ServiceSchema& schema,
                             std::unordered_map<const ServiceSchema*, std::string>* cache) {
  std::string& sql = (*cache)[&schema];
  if (sql.empty()) {
    auto columns = AllColumns(schema);
    sql = std::string("INSERT INTO \"") + schema.table_name() + "\" (" + ColumnList(columns) +
          ") VALUES (" + Placeholders(columns.size()) + ")";
  }
  return sql;
}

// "UNIQUE constraint failed: messages.session_id, messages.index" -> ["session_id", "index"].
Json UniqueFields(const std::string& sqlite_message) {
  Json fields = Json::array();
  auto colon = sqlite_message.find(": ");
  if (colon == std::string::npos) return fields;
  std::string rest = sqlite_message.substr(colon + 2);
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t comma = rest.find(", ", pos);
    std::string item =
        rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    fields.push_back(item.substr(item.find('.') + 1));
    if (comma == std::string::npos) break;
    pos = comma + 2;
  }
  return fields;
}

// `slug "web" is already taken`; for a unique pair, the last field is the value and the
// others its scope: `index 3 is already taken for session_id "…"`. A value is echoed up to
// kMaxEchoBytes (a client's slug may be as long as a body).
constexpr size_t kMaxEchoBytes = 200;

Status Taken(const ServiceSchema& schema, const Status& conflict, const Json& record) {
  Json fields = UniqueFields(conflict.message());
  if (fields.empty()) return conflict;
  auto named = [&](const Json& field) {
    const std::string& name = field.get_ref<const std::string&>();
    return name + " " +
           (record.contains(name) ? ToValidUtf8(DumpJson(record[name]), kMaxEchoBytes) : "?");
  };
  std::string text = named(fields.back()) + " is already taken";
  for (size_t i = 0; i + 1 < fields.size(); ++i) text += (i ? " and " : " for ") + named(fields[i]);
  return Status::Conflict(text, Json{{"fields", fields}, {"service", schema.name}});
}

// Runs the INSERT or UPDATE that stores `record`; a unique constraint it breaks is a Conflict
// naming the taken value (either engine's Conflict has SQLite's message shape).
Status ExecWrite(SqlSession* session, const std::string& sql, const std::vector<SqlValue>& params,
                 const ServiceSchema& schema, const Json& record) {
  Status s = session->Exec(sql, params);
  return s.code() == Code::kConflict ? Taken(schema, s, record) : s;
}

}  // namespace

bool IsPostgresUrl(const std::string& path) {
  return !path.compare(0, 13, "postgresql://") || !path.compare(0, 11, "postgres://");
}

namespace {

// The checkpointer thread copies pages back from 5,000 pages of WAL on. It runs beside the
// writer, so it rarely catches up with the WAL's end, and only a checkpoint that does lets
// the WAL start over: past 10,000 pages the writer runs one itself, right after its commit,
// which completes and copies only the few pages the thread has not.
constexpr int kBackgroundPages = 5000;
constexpr int kWriterPages = 10000;
constexpr int kCheckpointIntervalMs = 10000;

int OnWalCommit(void* checkpointer, sqlite3* db, const char* name, int pages) {
  static_cast<Checkpointer*>(checkpointer)->Nudge(pages);
  if (pages >= kWriterPages) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

}  // namespace

Status Store::Open(const StoreOptions& options, Clock* clock, std::unique_ptr<Store>* out) {
  if (IsPostgresUrl(options.path)) return OpenPostgres(options, clock, out);
  std::unique_ptr<SQLite::Database> db;
  Status s = OpenDatabase(options.path, &db, LatestSchemaVersion(), options.vfs);
  if (!s.ok()) return s;
  std::unique_ptr<Store> store(new Store(std::move(db), nullptr, clock, options));
  if (options.path != ":memory:") {
    s = Checkpointer::Start(options.path, kBackgroundPages, kCheckpointIntervalMs,
                            &store->checkpointer_);
    if (!s.ok()) return s;
    // Replaces SQLite's automatic checkpoint (every 1,000 pages, on the committing thread).
    sqlite3_wal_hook(store->db_->getHandle(), OnWalCommit, store->checkpointer_.get());
  }
  return Finish(std::move(store), out);
}

// PostgreSQL checkpoints itself: no Checkpointer, no WAL hook.
Status Store::OpenPostgres(const StoreOptions& options, Clock* clock, std::unique_ptr<Store>* out) {
  auto pg = std::make_unique<PgConnection>();
  Status s = pg->Open(options.path);
  if (s.ok()) s = MigratePgDatabase(pg.get());
  if (!s.ok()) return s;
  return Finish(std::unique_ptr<Store>(new Store(nullptr, std::move(pg), clock, options)), out);
}

Status Store::Finish(std::unique_ptr<Store> store, std::unique_ptr<Store>* out) {
  Status s = store->access_.Load(store->session_.get());
  if (s.ok()) s = store->LoadTokens();
  if (s.ok()) *out = std::move(store);
  return s;
}

Store::Store(std::unique_ptr<SQLite::Database> db, std::unique_ptr<PgConnection> pg, Clock* clock,
             const StoreOptions& options)
    : db_(std::move(db)),
      pg_(std::move(pg)),
      clock_(clock),
      options_(options),
      statements_(db_.get()) {
  if (db_)
    session_ = std::make_unique<SqliteSession>(db_.get(), &statements_);
  else
    session_ = std::make_unique<PgSession>(pg_.get());
  event_log_ = std::make_unique<EventLog>(session_.get());
}

Store::~Store() {
  if (checkpointer_) sqlite3_wal_hook(db_->getHandle(), nullptr, nullptr);
  checkpointer_.reset();
  // Owners Commit() first; this keeps a forgotten batch's writes anyway.
  if (batch_open_) session_->Commit();
  statements_.Clear();  // finalize before the database closes
}

// A unique violation the write did not name itself (Insert and Replace do, through Taken):
// either engine's "UNIQUE constraint failed: t.c" told in the service's words.
Status Store::Translate(const Status& s, const ServiceSchema& schema) {
  if (s.code() != Code::kConflict || s.message().rfind("UNIQUE constraint failed", 0) != 0)
    return s;
  Json fields = UniqueFields(s.message());
  std::string names;
  for (const auto& f : fields) names += (names.empty() ? "" : " and ") + f.get<std::string>();
  return Status::Conflict(
      std::string("a ") + schema.name + " record with this " + names + " already exists",
      Json{{"fields", fields}});
}

Status Store::ResolveId(const std::string& service, const std::string& id, std::string* full) {
  return ResolveId(service, id, full, nullptr);
}

Status Store::ResolveId(const std::string& service, const std::string& id, std::string* full,
                        const std::string& viewer_id) {
  return ResolveId(service, id, full, &viewer_id);
}

// `viewer_id` null: every record; else only those access_ lets that user see.
Status Store::ResolveId(const std::string& service, const std::string& id, std::string* full,
                        const std::string* viewer_id) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  std::vector<std::string> filter_params;
  std::string filter = viewer_id ? access_.SqlFilter(*viewer_id, service, &filter_params) : "";
  if (!filter.empty()) filter = " AND (" + filter + ")";
  std::string lower = id;
  for (auto& c : lower) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  std::string col = std::string("\"") + schema->id_field + "\"";
  bool prefix = IsIdPrefix(lower);
  // Ids are lowercase hex and dashes, all below '~': [prefix, prefix~) is the prefix range.
  std::vector<SqlValue> params;
  if (prefix)
    params = {lower, lower + "~"};
  else
    params = {IsUuid(lower) ? lower : id};
  for (auto& p : filter_params) params.emplace_back(std::move(p));
  SqlResult r;
  Status s =
      session_->Query("SELECT " + col + " FROM \"" + schema->table_name() + "\" WHERE " + col +
                          (prefix ? " >= ? AND " + col + " < ?" : " = ?") + filter + " LIMIT 2",
                      params, &r);
  if (!s.ok()) return s;
  if (r.rows.empty()) return NoRecord(id);
  if (r.rows.size() > 1)
    return Status::Conflict("id prefix '" + id + "' is ambiguous: give more characters");
  *full = r.rows[0][0].TakeText();
  return Status::OK();
}

Status Store::QueryRow(const std::string& sql, std::initializer_list<SqlValue> params,
                       SqlRow* row) {
  SqlResult& r = row_result_;
  Status s = session_->Query(sql, params, &r);
  if (!s.ok()) return s;
  if (r.rows.empty()) return Status::NotFound("no row");
  *row = std::move(r.rows[0]);
  return s;
}

Status Store::Load(const ServiceSchema& schema, const std::string& full_id, Json* record) {
  auto columns = AllColumns(schema);
  SqlRow row;
  Status s = QueryRow("SELECT " + ColumnList(columns) + " FROM \"" + schema.table_name() +
                          "\" WHERE \"" + schema.id_field + "\" = ?",
                      {full_id}, &row);
  if (s.code() == Code::kNotFound) return NoRecord(full_id);
  if (s.ok()) *record = RecordFromRow(row, columns);
  return s;
}

Status Store::Get(const std::string& service, const std::string& id, Json* record) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  std::string full;
  Status s = ResolveId(service, id, &full);
  if (!s.ok()) return s;
  return Load(*schema, full, record);
}

Status Store::CheckReferences(const ServiceSchema& schema, const Json& clean,
                              const char* verified) {
  for (const auto& f : schema.fields) {
    if (!f.references || !clean.contains(f.name) || clean[f.name].is_null()) continue;
    if (verified && !strcmp(f.name, verified)) continue;
    const ServiceSchema* target = FindService(f.references);
    const std::string& value = clean[f.name].get_ref<const std::string&>();
    SqlRow row;
    Status s = QueryRow(std::string("SELECT 1 FROM \"") + target->table_name() + "\" WHERE \"" +
                            target->id_field + "\" = ?",
                        {value}, &row);
    if (s.code() == Code::kNotFound) {
      return Status::BadRequest(
          std::string(f.name) + ": no " + target->name + " record with id '" + value + "'",
          Json{{"field", f.name}});
    }
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// On PostgreSQL another node may be writing the same session: under READ COMMITTED both
// would read the same MAX and one insert would fail on the unique index (a 409 for a valid
// create). The append lock, taken first, makes the read see every earlier writer's commit.
Status Store::NextMessageIndex(const std::string& session_id, int64_t* index) {
  SqlRow row;
  Status s = pg_ ? PgEventLog::LockAppends(pg_.get()) : Status::OK();
  if (s.ok()) {
    s = QueryRow("SELECT COALESCE(MAX(\"index\") + 1, 0) FROM messages WHERE session_id = ?",
                 {session_id}, &row);
  }
  if (s.ok()) *index = row[0].integer();
  return s;
}

// Where a message goes in its session (see store.h): a queued one waits without an index,
// any other keeps the one it has or takes the next. `old_index` is the stored record's (null
// on create): an index once given is never taken back, which would leave a hole.
Status Store::PlaceMessage(Json* record, const Json& old_index) {
  Json& index = (*record)["index"];
  if ((*record)["status"] == "queued") {
    if (!old_index.is_null())
      return Status::BadRequest("status: a message that has an index cannot be queued again",
                                Json{{"field", "status"}});
    if (!index.is_null())
      return Status::BadRequest("index: a queued message has none until its task starts",
                                Json{{"field", "index"}});
  } else if (index.is_null()) {
    if (!old_index.is_null())
      return Status::BadRequest("index must not be null", Json{{"field", "index"}});
    int64_t next = 0;
    Status s = NextMessageIndex((*record)["session_id"], &next);
    if (!s.ok()) return s;
    index = next;
  }
  return Status::OK();
}

// Tasks and messages carry their session's board (see DerivedBoard in schema.cpp).
Status Store::DeriveBoard(Json* record) {
  const Json& session = (*record)["session_id"];
  if (!session.is_string()) return Status::BadRequest("session_id is required");
  SqlRow row;
  Status s = QueryRow("SELECT board_id FROM sessions WHERE session_id = ?",
                      {session.get<std::string>()}, &row);
  if (s.code() == Code::kNotFound) {
    return Status::BadRequest(
        "session_id: no sessions record with id '" + session.get<std::string>() + "'",
        Json{{"field", "session_id"}});
  }
  if (s.ok()) (*record)["board_id"] = row[0].TakeText();
  return s;
}

// The time stamps a write sets; other server-set fields start null (a key's prefix, a
// board's owner: Create's server_fields).
static bool IsWriteStamp(const Field& f) {
  return !strcmp(f.name, "created_at") || !strcmp(f.name, "updated_at");
}

Status Store::Insert(WriteContext& ctx, const Json& clean, const Json& server_fields) {
  const ServiceSchema& schema = ctx.schema;
  Json record = Json::object();
  for (const auto& f : schema.fields) {
    if (server_fields.is_object() && server_fields.contains(f.name)) {
      Status s = ValidateValue(f, server_fields[f.name]);
      if (!s.ok()) return s;
      record[f.name] = server_fields[f.name];
    } else if (f.server_set) {
      record[f.name] = IsWriteStamp(f) ? Json(ctx.now) : Json(nullptr);
    } else {
      record[f.name] = clean.contains(f.name) ? clean[f.name] : Json(nullptr);
    }
  }
  Json& id = record[schema.id_field];
  if (id.is_null()) id = NewUuid();
  const Field* board = schema.FindField("board_id");
  bool derived = board && board->server_set;
  if (derived) {
    Status s = DeriveBoard(&record);  // also proves the session exists
    if (!s.ok()) return s;
  }
  Status s = ValidateRecord(schema, record, nullptr);
  if (s.ok() && !strcmp(schema.name, "messages")) {
    if (record["timestamp"].is_null()) record["timestamp"] = ctx.now;
    s = PlaceMessage(&record, nullptr);
  }
  if (s.ok()) s = CheckReferences(schema, record, derived ? "session_id" : nullptr);
  if (!s.ok()) return s;
  std::vector<SqlValue>& params = write_params_;
  params.clear();
  auto value = record.begin();  // the record holds the fields in schema order
  for (size_t i = 0; i < schema.fields.size(); ++i, ++value)
    params.push_back(FieldParam(&schema.fields[i], *value));
  s = ExecWrite(session_.get(), InsertSql(schema, &insert_sql_), params, schema, record);
  if (s.ok()) ctx.event.record = std::move(record);
  return s;
}

// Whom a key or a membership belongs to, and a membership's board, never change: a different
// one is a new record (and the access rule keys on them).
Status Store::CheckFixedFields(const ServiceSchema& schema, const Json& stored, const Json& clean) {
  if (strcmp(schema.name, "api-keys") && strcmp(schema.name, "board-members")) return Status::OK();
  for (const char* field : {"user_id", "board_id"}) {
    if (!stored.contains(field) || !clean.contains(field) || clean[field].is_null()) continue;
    if (clean[field] != stored[field])
      return Status::BadRequest(std::string(field) + " cannot be changed", Json{{"field", field}});
  }
  return Status::OK();
}

// Writes `clean` over the stored record `id`: merged for patch, replacing for update (whole).
Status Store::Replace(WriteContext& ctx, const std::string& id, const Json& clean, bool whole) {
  const ServiceSchema& schema = ctx.schema;
  if (clean.contains(schema.id_field) && !clean[schema.id_field].is_null() &&
      clean[schema.id_field] != id) {
    return Status::BadRequest(std::string(schema.id_field) + " cannot be changed",
                              Json{{"field", schema.id_field}});
  }
  Json record;
  Status s = Load(schema, id, &record);
  if (!s.ok()) return s;
  s = CheckFixedFields(schema, record, clean);
  if (!s.ok()) return s;
  const Json old_board = record.value("board_id", Json()),
             old_index = record.value("index", Json());
  for (const auto& f : schema.fields) {
    if (f.name == std::string(schema.id_field)) continue;
    if (!strcmp(f.name, "updated_at"))
      record[f.name] = ctx.now;
    else if (!f.server_set && (whole || clean.contains(f.name)))
      record[f.name] = clean[f.name];
  }
  s = ValidateRecord(schema, record, whole ? Json() : clean);
  if (s.ok() && !strcmp(schema.name, "messages")) {
    if (record["timestamp"].is_null()) record["timestamp"] = ctx.now;
    s = PlaceMessage(&record, old_index);
  }
  if (s.ok()) s = CheckReferences(schema, clean);
  const Field* board = schema.FindField("board_id");
  if (s.ok() && board && board->server_set) s = DeriveBoard(&record);
  if (!s.ok()) return s;
  std::string sets;
  std::vector<const Field*> columns;
  for (const auto& f : schema.fields) {
    if (f.name == std::string(schema.id_field)) continue;
    sets += std::string(sets.empty() ? "" : ", ") + "\"" + f.name + "\" = ?";
    columns.push_back(&f);
  }
  std::vector<SqlValue>& params = write_params_;
  params.clear();
  for (const Field* f : columns) params.push_back(FieldParam(f, record[f->name]));
  params.emplace_back(id);
  s = ExecWrite(session_.get(),
                std::string("UPDATE \"") + schema.table_name() + "\" SET " + sets + " WHERE \"" +
                    schema.id_field + "\" = ?",
                params, schema, record);
  if (!s.ok()) return s;
  if (!strcmp(schema.name, "sessions") && record["board_id"] != old_board)
    s = MoveSessionChildren(ctx, record);
  if (s.ok()) ctx.event.record = std::move(record);
  return s;
}

Status Store::Create(const std::string& service, const Json& data, Json* record) {
  return Create(service, data, record, Json());
}

Status Store::Create(const std::string& service, const Json& data, Json* record,
                     const Json& server_fields) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  if (data.is_array()) return Status::MethodNotAllowed("Can not create multiple entries");
  Json clean;
  Status s = ValidateWrite(*schema, data, WriteMode::kCreate, &clean);
  if (!s.ok()) return s;
  // An insert is one statement: it needs no savepoint of its own (see RunChange).
  return Write(
      *schema, "created", [&](WriteContext& ctx) { return Insert(ctx, clean, server_fields); },
      record, true);
}

Status Store::Update(const std::string& service, const std::string& id, const Json& data,
                     Json* record) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  Json clean;
  Status s = ValidateWrite(*schema, data, WriteMode::kUpdate, &clean);
  std::string full;
  if (s.ok()) s = ResolveId(service, id, &full);
  if (!s.ok()) return s;
  return Write(
      *schema, "updated", [&](WriteContext& ctx) { return Replace(ctx, full, clean, true); },
      record);
}

Status Store::Patch(const std::string& service, const std::string& id, const Json& data,
                    Json* record) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  Json clean;
  Status s = ValidateWrite(*schema, data, WriteMode::kPatch, &clean);
  std::string full;
  if (s.ok()) s = ResolveId(service, id, &full);
  if (!s.ok()) return s;
  return Write(
      *schema, "patched", [&](WriteContext& ctx) { return Replace(ctx, full, clean, false); },
      record);
}

Status Store::Remove(const std::string& service, const std::string& id, Json* record) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  std::string full;
  Status s = ResolveId(service, id, &full);
  if (!s.ok()) return s;
  auto remove = [&](WriteContext& ctx) {
    Status ls = Load(*schema, full, &ctx.event.record);
    if (!ls.ok()) return ls;
    ls = RemoveDependents(ctx, full);
    if (!ls.ok()) return ls;
    return session_->Exec(std::string("DELETE FROM \"") + schema->table_name() + "\" WHERE \"" +
                              schema->id_field + "\" = ?",
                          {full});
  };
  return Write(*schema, "removed", remove, record);
}

void Store::Checkpoint() {
  Commit();
  if (!db_) return;  // PostgreSQL checkpoints itself
  if (checkpointer_) {
    sqlite3_wal_hook(db_->getHandle(), nullptr, nullptr);
    checkpointer_.reset();
  }
  try {
    statements_.Clear();
    db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (const std::exception&) {
    // Best effort: the WAL is replayed on the next open anyway.
  }
}

}  // namespace agor
