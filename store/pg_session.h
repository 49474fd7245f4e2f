// PgSession: SqlSession (store/sql_session.h) on one PgConnection (store/pg_connection.h).
//
// The store's `?` placeholders become $1..$n (NumberPlaceholders; each SQL text is translated
// once, in a bounded cache); each parameter goes with its type (int8, float8, bytea; text is
// left to the server to infer, so it may fill any column); each cell comes back typed by its
// column's type: integers (int2/4/8, and numeric holding an integer: SUM's) as kInteger,
// float4/8 and other numerics as kReal, bool as 0/1 (SQLite has none), bytea as kBlob, the rest
// as text. Errors are PgConnection's, which already speaks SQLite's Status shapes.
//
// Transactions are READ COMMITTED (PgConnection::Begin). Unlike SQLite, a failed statement
// aborts the transaction until a rollback to a savepoint (dialect().
// failed_statement_aborts_transaction()).
//
// Ownership: the connection is borrowed and must outlive the session. Threading: the
// connection's thread only.
#pragma once

#include <string>
#include <unordered_map>

#include "store/pg_connection.h"
#include "store/sql_session.h"

namespace agor {

class PgSession : public SqlSession {
 public:
  explicit PgSession(PgConnection* conn) : conn_(conn) {}

  const SqlDialect& dialect() const override { return SqlDialect::ForPostgres(); }
  Status ExecScript(const std::string& sql) override { return conn_->ExecScript(sql); }
  Status Begin() override { return conn_->Begin(); }
  Status Commit() override { return conn_->Commit(); }
  Status Rollback() override { return conn_->Rollback(); }
  bool in_transaction() const override { return conn_->in_transaction(); }

 protected:
  Status Run(const std::string& sql, const SqlValue* params, size_t count, SqlResult* out) override;

 private:
  struct Translated {
    std::string sql;
    size_t placeholders = 0;
  };
  static constexpr size_t kMaxTranslations = 512;
  const Translated& Translate(const std::string& sql);

  PgConnection* conn_;
  std::unordered_map<std::string, Translated> translations_;
};

}  // namespace agor
