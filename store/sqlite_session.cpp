#include "store/sqlite_session.h"

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "store/database.h"

namespace agor {
namespace {

// Without a copy: `v` outlives the statement's step (Run's caller holds the parameters), and
// every later use binds each parameter again before stepping.
void Bind(SQLite::Statement& st, int index, const SqlValue& v) {
  switch (v.type()) {
    case SqlValue::Type::kNull:
      return st.bind(index);
    case SqlValue::Type::kInteger:
      return st.bind(index, static_cast<int64_t>(v.integer()));
    case SqlValue::Type::kReal:
      return st.bind(index, v.real());
    case SqlValue::Type::kText:
      return st.bindNoCopy(index, v.text());
    case SqlValue::Type::kBlob:
      return st.bindNoCopy(index, static_cast<const void*>(v.text().data()),
                           static_cast<int>(v.text().size()));
  }
}

SqlValue Cell(const SQLite::Column& c) {
  switch (c.getType()) {
    case SQLITE_INTEGER:
      return SqlValue(static_cast<int64_t>(c.getInt64()));
    case SQLITE_FLOAT:
      return SqlValue(c.getDouble());
    case SQLITE_TEXT:
      return SqlValue(c.getString());
    case SQLITE_BLOB:
      return SqlValue::Blob(
          std::string(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes())));
    default:
      return SqlValue();
  }
}

}  // namespace

SqliteSession::SqliteSession(SQLite::Database* db, StatementCache* statements)
    : db_(db), statements_(statements) {
  if (!statements_) {
    own_statements_ = std::make_unique<StatementCache>(db);
    statements_ = own_statements_.get();
  }
}

SqliteSession::~SqliteSession() = default;

Status SqliteSession::Run(const std::string& sql, const SqlValue* params, size_t count,
                          SqlResult* out) {
  try {
    auto st = statements_->Get(sql);
    if (static_cast<size_t>(st->getBindParameterCount()) != count) {
      return Status::GeneralError("the statement has " +
                                  std::to_string(st->getBindParameterCount()) +
                                  " parameters, given " + std::to_string(count));
    }
    for (size_t i = 0; i < count; ++i) Bind(*st, static_cast<int>(i + 1), params[i]);
    return Step(*st, out);
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

// sqlite3_changes() keeps the last write's count through later reads: it is this statement's
// only when the connection's total moved.
Status SqliteSession::Step(SQLite::Statement& st, SqlResult* out) {
  int before = sqlite3_total_changes(db_->getHandle());
  size_t bytes = 0;
  while (st.executeStep()) {
    if (!out) continue;
    SqlRow row;
    row.reserve(static_cast<size_t>(st.getColumnCount()));
    size_t row_bytes = 0;
    for (int c = 0; c < st.getColumnCount(); ++c) {
      row.push_back(Cell(st.getColumn(c)));
      row_bytes += row.back().text().size();
    }
    out->rows.push_back(std::move(row));
    Status s = Admit(*out, row_bytes, &bytes);
    if (!s.ok()) return s;
  }
  if (out && sqlite3_total_changes(db_->getHandle()) != before) {
    out->affected = sqlite3_changes(db_->getHandle());
    out->inserted_id = sqlite3_last_insert_rowid(db_->getHandle());
  }
  return Status::OK();
}

Status SqliteSession::ExecScript(const std::string& sql) {
  try {
    db_->exec(sql);
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

Status SqliteSession::Begin() {
  return Exec("BEGIN IMMEDIATE");
}

Status SqliteSession::Commit() {
  return Exec("COMMIT");
}

Status SqliteSession::Rollback() {
  return Exec("ROLLBACK");
}

bool SqliteSession::in_transaction() const {
  return !sqlite3_get_autocommit(db_->getHandle());
}

}  // namespace agor
