// PgConnection: one synchronous libpq connection to PostgreSQL, for the thread that owns it.
//
// Open() connects to a `postgresql://USER[:PASSWORD]@HOST:PORT/DB` URL; Exec() runs one
// statement with text parameters (PQexecParams: values never enter the SQL text) and returns
// its rows as an owned PgResult; ExecScript() runs a parameterless script of several statements
// (migrations). Every libpq failure becomes a Status here, by SQLSTATE, the way
// StatusFromSqlite maps SQLite's: unique violations are Conflict (with SQLite's message shape,
// "UNIQUE constraint failed: table.column, ...", which the store's Conflict messages parse),
// foreign-key violations BadRequest("a referenced record does not exist"), not-null and check
// violations BadRequest; serialization failures and deadlocks are Unavailable ("try again": the
// caller may retry the whole transaction); a lost connection, a server shutting down or out of
// resources is Unavailable; a statement cancelled by statement_timeout is Timeout. Nothing
// throws. A password in the URL never appears in a message.
//
// Transactions are READ COMMITTED whatever the server's default (Begin says why), and a
// Commit that the server turned into a rollback (an earlier statement failed) is an error.
//
// Threading: libpq connections are not shared between threads; each thread opens its own
// PgConnection (PostgreSQL serves each with its own backend process). Move-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

struct pg_conn;
struct pg_result;

namespace agor {

// A text parameter or a column value; nullopt is SQL NULL.
using PgValue = std::optional<std::string>;

// Bounds on one answer's rows and their bytes (ExecBounded).
struct PgLimits {
  size_t max_rows = SIZE_MAX;
  size_t max_bytes = SIZE_MAX;
};

// The rows of one statement's answer, copied out of libpq's result: owned, plain data.
class PgResult {
 public:
  size_t rows() const { return rows_.size(); }
  size_t columns() const { return columns_; }
  const PgValue& at(size_t row, size_t column) const { return rows_[row][column]; }
  // The value as text ("" for NULL), and as an integer (0 for NULL or not a number).
  std::string text(size_t row, size_t column) const { return at(row, column).value_or(""); }
  int64_t integer(size_t row, size_t column) const;
  // Rows an INSERT, UPDATE or DELETE touched.
  int64_t affected() const { return affected_; }
  // The server's type OID of a column (pg_type: 20 int8, 25 text, 17 bytea, ...).
  unsigned type(size_t column) const { return types_[column]; }

 private:
  friend class PgConnection;
  void CopyFrom(pg_result* res);   // a successful result's rows
  void CopyShape(pg_result* res);  // its columns' count and types
  // Adds single-row mode's one row; false once past `limits` (the row is not kept).
  bool AppendRow(pg_result* res, const PgLimits& limits, size_t* bytes);
  size_t columns_ = 0;
  std::vector<unsigned> types_;
  std::vector<std::vector<PgValue>> rows_;
  int64_t affected_ = 0;
};

class PgConnection {
 public:
  struct Options {
    int connect_timeout_s = 10;
    // Bounds every statement (and the wait for a lock); 0 = the server's setting.
    int statement_timeout_ms = 30000;
  };

  PgConnection();
  ~PgConnection();
  PgConnection(PgConnection&&) noexcept;
  PgConnection& operator=(PgConnection&&) noexcept;

  // Connects to `url` (postgresql:// or postgres://). A malformed URL is BadRequest; an
  // unreachable or refusing server Unavailable.
  Status Open(const std::string& url, const Options& options);
  Status Open(const std::string& url) { return Open(url, Options()); }
  // Reconnects with the same URL after the connection was lost.
  Status Reconnect();
  bool connected() const;

  Status Exec(const std::string& sql, const std::vector<PgValue>& params = {},
              PgResult* out = nullptr);
  Status ExecScript(const std::string& sql);
  // Exec with each parameter's type OID (`types`: empty, or one per parameter, 0 = inferred as
  // for text) and an answer bounded by `limits`: rows arrive one at a time (libpq's single-row
  // mode), so an answer past a bound costs no memory; the rest is read and dropped, in time
  // bounded by statement_timeout, and the call fails with GeneralError.
  Status ExecBounded(const std::string& sql, const std::vector<PgValue>& params,
                     const std::vector<unsigned>& types, const PgLimits& limits, PgResult* out);

  Status Begin();
  Status Commit();
  Status Rollback();
  bool in_transaction() const;

  // `url` with its password, if any, replaced by "***": what messages and logs may show.
  static std::string Redacted(const std::string& url);

 private:
  // Translates `res` (taking it) into a Status, its rows into `out` when it succeeded.
  Status Check(pg_result* res, PgResult* out);
  Status ConnectionLost() const;
  // Sends the statement; then its results are read with PQgetResult.
  Status Send(const std::string& sql, const std::vector<PgValue>& params,
              const std::vector<unsigned>& types);
  Status ApplyOptions();

  pg_conn* conn_ = nullptr;
  std::string url_;
  Options options_;
};

// Rolls the transaction back on destruction unless Commit() succeeded: a failed write never
// leaves its connection inside a transaction.
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection* conn) : conn_(conn) {}
  ~PgTransaction();
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;

  Status Begin();
  Status Commit();

 private:
  PgConnection* conn_;
  bool open_ = false;
};

}  // namespace agor
