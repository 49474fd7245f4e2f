// SqliteSession: SqlSession (store/sql_session.h) on one SQLite connection, through SQLiteCpp
// and a StatementCache, so each SQL text is prepared once.
//
// Transactions begin IMMEDIATE (the writer's lock at once: a read transaction that later
// writes could fail with SQLITE_BUSY halfway). SQLiteCpp's exceptions stop here and become
// Status through StatusFromSqlite (store/database.h), the mapping the store has always used.
//
// Ownership: the database and, when given, the statement cache are borrowed and must outlive
// the session (the Store shares its cache, so each SQL text is prepared once per connection);
// without one the session keeps its own. Threading: the connection's thread only.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>

#include "store/sql_session.h"
#include "store/statement_cache.h"

namespace agor {

class SqliteSession : public SqlSession {
 public:
  explicit SqliteSession(SQLite::Database* db, StatementCache* statements = nullptr);
  ~SqliteSession() override;

  const SqlDialect& dialect() const override { return SqlDialect::ForSqlite(); }
  Status ExecScript(const std::string& sql) override;
  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;
  bool in_transaction() const override;

 protected:
  Status Run(const std::string& sql, const SqlValue* params, size_t count, SqlResult* out) override;

 private:
  // Steps `st` to its end, its rows into `out` when given; throws SQLite::Exception.
  Status Step(SQLite::Statement& st, SqlResult* out);

  SQLite::Database* db_;
  std::unique_ptr<StatementCache> own_statements_;
  StatementCache* statements_;
};

}  // namespace agor
