// The rows a write changes besides its own record (see store.h): what the migrations' foreign
// keys would do (ON DELETE CASCADE from boards to sessions and from sessions to tasks and
// messages, ON DELETE SET NULL for sessions.repo_id and messages.task_id), done here first,
// row by row with an event each, so that SQLite's own actions find nothing left to change.
// Identities: a board's memberships go with it; a user's keys, memberships and password with
// them. A session's tasks and messages also carry its board_id (schema.cpp: DerivedBoard): a moved
// session moves them. Every lookup below uses an index of the migrations: cost is linear in
// the rows changed. On the store's SqlSession (either engine); the first failure ends the
// cascade and the write's savepoint undoes what it did.
#include <cstring>

#include "store/record_codec.h"
#include "store/store.h"

namespace agor {
namespace {

Event ChildEvent(const ServiceSchema& schema, const char* name, Json record) {
  Event ev;
  ev.service = schema.name;
  ev.event = name;
  ev.record = std::move(record);
  return ev;
}

// A session's messages in index order, queued ones (no index) first: SQLite's order of NULLs,
// written out because PostgreSQL sorts them last, so the cascade's events come in one order.
constexpr const char* kMessageOrder = "\"index\" NULLS FIRST";

std::string Quoted(const char* name) {
  return std::string("\"") + name + "\"";
}

}  // namespace

Status Store::LoadRows(const ServiceSchema& schema, const char* column, const std::string& value,
                       const char* order, std::vector<Json>* rows) {
  auto columns = AllColumns(schema);
  SqlResult r;
  Status s =
      session_->Query("SELECT " + ColumnList(columns) + " FROM " + Quoted(schema.table_name()) +
                          " WHERE " + Quoted(column) + " = ? ORDER BY " + order,
                      {value}, &r);
  rows->clear();
  for (const SqlRow& row : r.rows) rows->push_back(RecordFromRow(row, columns));
  return s;
}

// Removes the rows of `service` whose `column` is `value`, each with its `removed` event.
Status Store::DeleteRows(WriteContext& ctx, const char* service, const char* column,
                         const std::string& value, const char* order) {
  const ServiceSchema& schema = *FindService(service);
  std::vector<Json> rows;
  Status s = LoadRows(schema, column, value, order, &rows);
  if (!s.ok()) return s;
  for (Json& row : rows) ctx.before.push_back(ChildEvent(schema, "removed", std::move(row)));
  return session_->Exec(
      "DELETE FROM " + Quoted(schema.table_name()) + " WHERE " + Quoted(column) + " = ?", {value});
}

// Sets `column` to null where it is `value`, each row with its `patched` event; a row that
// records when it changed (updated_at) is stamped, as any patch stamps it.
Status Store::NullReference(WriteContext& ctx, const char* service, const char* column,
                            const std::string& value, const char* order) {
  const ServiceSchema& schema = *FindService(service);
  bool stamped = schema.FindField("updated_at") != nullptr;
  std::vector<Json> rows;
  Status s = LoadRows(schema, column, value, order, &rows);
  if (!s.ok()) return s;
  for (Json& row : rows) {
    row[column] = nullptr;
    if (stamped) row["updated_at"] = ctx.now;
    ctx.before.push_back(ChildEvent(schema, "patched", std::move(row)));
  }
  std::string sets = Quoted(column) + " = NULL" + (stamped ? ", \"updated_at\" = ?" : "");
  std::vector<SqlValue> params;
  if (stamped) params.emplace_back(ctx.now);
  params.emplace_back(value);
  return session_->Exec("UPDATE " + Quoted(schema.table_name()) + " SET " + sets + " WHERE " +
                            Quoted(column) + " = ?",
                        params);
}

// Before the record `id` of ctx.schema is deleted: what depends on it, children before parents.
Status Store::RemoveDependents(WriteContext& ctx, const std::string& id) {
  const std::string service = ctx.schema.name;
  if (service == "boards") {
    std::vector<Json> sessions;
    Status s = LoadRows(*FindService("sessions"), "board_id", id, "created_at", &sessions);
    for (const char* child : {"messages", "tasks"}) {  // every session's messages, then tasks
      const char* order = strcmp(child, "messages") ? "created_at" : kMessageOrder;
      for (const Json& session : sessions) {
        if (s.ok()) s = DeleteRows(ctx, child, "session_id", session["session_id"], order);
      }
    }
    if (s.ok()) s = DeleteRows(ctx, "sessions", "board_id", id, "created_at");
    // Last before the board: its members still hear of the sessions' removal.
    return s.ok() ? DeleteRows(ctx, "board-members", "board_id", id, "created_at") : s;
  }
  return RemoveDependents(ctx, service, id);
}

// The dependents of one record of `service` other than a board.
Status Store::RemoveDependents(WriteContext& ctx, const std::string& service,
                               const std::string& id) {
  Status s;
  if (service == "users") {
    s = DeleteRows(ctx, "api-keys", "user_id", id, "created_at");
    if (s.ok()) s = DeleteRows(ctx, "board-members", "user_id", id, "created_at");
    // A password has no record, so no event.
    if (s.ok()) s = session_->Exec("DELETE FROM user_passwords WHERE user_id = ?", {id});
  } else if (service == "sessions") {
    s = DeleteRows(ctx, "messages", "session_id", id, kMessageOrder);
    if (s.ok()) s = DeleteRows(ctx, "tasks", "session_id", id, "created_at");
  } else if (service == "tasks") {
    s = NullReference(ctx, "messages", "task_id", id, kMessageOrder);
  } else if (service == "repos") {
    s = NullReference(ctx, "sessions", "repo_id", id, "created_at");
  }
  return s;
}

// A session that changed boards takes its tasks and messages along (events after its own).
Status Store::MoveSessionChildren(WriteContext& ctx, const Json& session) {
  const std::string& board = session["board_id"].get_ref<const std::string&>();
  const std::string& id = session["session_id"].get_ref<const std::string&>();
  for (const char* service : {"tasks", "messages"}) {
    const ServiceSchema& schema = *FindService(service);
    const char* order = schema.FindField("index") ? kMessageOrder : "created_at";
    std::vector<Json> rows;
    Status s = LoadRows(schema, "session_id", id, order, &rows);
    if (!s.ok()) return s;
    for (Json& row : rows) {
      if (row["board_id"] == board) continue;
      row["board_id"] = board;
      ctx.after.push_back(ChildEvent(schema, "patched", std::move(row)));
    }
    s = session_->Exec(std::string("UPDATE ") + service +
                           " SET board_id = ? WHERE session_id = ? AND board_id <> ?",
                       {board, id, board});
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace agor
