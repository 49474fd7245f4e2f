// The rows a write changes besides its own record (see store.h): what the migrations' foreign
// keys would do (ON DELETE CASCADE from boards to sessions and from sessions to tasks and
// messages, ON DELETE SET NULL for sessions.repo_id and messages.task_id), done here first,
// row by row with an event each, so that SQLite's own actions find nothing left to change.
// Identities: a board's memberships go with it; a user's keys, memberships and password with
// them. A session's tasks and messages also carry its board_id (schema.cpp: DerivedBoard): a moved
// session moves them. Every lookup below uses an index of the migrations: cost is linear in
// the rows changed.
#include <SQLiteCpp/Statement.h>

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

std::string Quoted(const char* name) {
  return std::string("\"") + name + "\"";
}

}  // namespace

std::vector<Json> Store::LoadRows(const ServiceSchema& schema, const char* column,
                                  const std::string& value, const char* order) {
  auto columns = AllColumns(schema);
  auto st =
      statements_.Get("SELECT " + ColumnList(columns) + " FROM " + Quoted(schema.table_name()) +
                      " WHERE " + Quoted(column) + " = ? ORDER BY " + order);
  st->bind(1, value);
  std::vector<Json> rows;
  while (st->executeStep()) rows.push_back(ReadRecord(*st, columns));
  return rows;
}

// Removes the rows of `service` whose `column` is `value`, each with its `removed` event.
void Store::DeleteRows(WriteContext& ctx, const char* service, const char* column,
                       const std::string& value, const char* order) {
  const ServiceSchema& schema = *FindService(service);
  for (Json& row : LoadRows(schema, column, value, order))
    ctx.before.push_back(ChildEvent(schema, "removed", std::move(row)));
  auto st = statements_.Get("DELETE FROM " + Quoted(schema.table_name()) + " WHERE " +
                            Quoted(column) + " = ?");
  st->bind(1, value);
  st->exec();
}

// Sets `column` to null where it is `value`, each row with its `patched` event; a row that
// records when it changed (updated_at) is stamped, as any patch stamps it.
void Store::NullReference(WriteContext& ctx, const char* service, const char* column,
                          const std::string& value, const char* order) {
  const ServiceSchema& schema = *FindService(service);
  bool stamped = schema.FindField("updated_at") != nullptr;
  for (Json& row : LoadRows(schema, column, value, order)) {
    row[column] = nullptr;
    if (stamped) row["updated_at"] = ctx.now;
    ctx.before.push_back(ChildEvent(schema, "patched", std::move(row)));
  }
  std::string sets = Quoted(column) + " = NULL" + (stamped ? ", \"updated_at\" = ?" : "");
  auto st = statements_.Get("UPDATE " + Quoted(schema.table_name()) + " SET " + sets + " WHERE " +
                            Quoted(column) + " = ?");
  int i = 1;
  if (stamped) st->bind(i++, ctx.now);
  st->bind(i, value);
  st->exec();
}

// Before the record `id` of ctx.schema is deleted: what depends on it, children before parents.
void Store::RemoveDependents(WriteContext& ctx, const std::string& id) {
  const std::string service = ctx.schema.name;
  if (service == "boards") {
    std::vector<std::string> sessions;
    for (const Json& s : LoadRows(*FindService("sessions"), "board_id", id, "created_at"))
      sessions.push_back(s["session_id"]);
    for (const auto& sid : sessions) DeleteRows(ctx, "messages", "session_id", sid, "\"index\"");
    for (const auto& sid : sessions) DeleteRows(ctx, "tasks", "session_id", sid, "created_at");
    DeleteRows(ctx, "sessions", "board_id", id, "created_at");
    // Last before the board: its members still hear of the sessions' removal.
    DeleteRows(ctx, "board-members", "board_id", id, "created_at");
  } else if (service == "users") {
    DeleteRows(ctx, "api-keys", "user_id", id, "created_at");
    DeleteRows(ctx, "board-members", "user_id", id, "created_at");
    auto st = statements_.Get("DELETE FROM user_passwords WHERE user_id = ?");  // no record
    st->bind(1, id);
    st->exec();
  } else if (service == "sessions") {
    DeleteRows(ctx, "messages", "session_id", id, "\"index\"");
    DeleteRows(ctx, "tasks", "session_id", id, "created_at");
  } else if (service == "tasks") {
    NullReference(ctx, "messages", "task_id", id, "\"index\"");
  } else if (service == "repos") {
    NullReference(ctx, "sessions", "repo_id", id, "created_at");
  }
}

// A session that changed boards takes its tasks and messages along (events after its own).
void Store::MoveSessionChildren(WriteContext& ctx, const Json& session) {
  const std::string& board = session["board_id"].get_ref<const std::string&>();
  for (const char* service : {"tasks", "messages"}) {
    const ServiceSchema& schema = *FindService(service);
    const char* order = schema.FindField("index") ? "\"index\"" : "created_at";
    for (Json& row :
         LoadRows(schema, "session_id", session["session_id"].get<std::string>(), order)) {
      if (row["board_id"] == board) continue;
      row["board_id"] = board;
      ctx.after.push_back(ChildEvent(schema, "patched", std::move(row)));
    }
    auto st = statements_.Get(std::string("UPDATE ") + service +
                              " SET board_id = ? WHERE session_id = ? AND board_id <> ?");
    st->bind(1, board);
    st->bind(2, session["session_id"].get<std::string>());
    st->bind(3, board);
    st->exec();
  }
}

}  // namespace agor
