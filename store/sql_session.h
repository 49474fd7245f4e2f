// SqlSession: the store's one way to talk SQL, the same on SQLite and PostgreSQL (issue 14,
// "one store model, two engines"; docs/scale-out.md says what maps to what).
//
// A session is one connection: Exec/Query run one statement with typed positional parameters
// (`?` in the SQL on both engines: PgSession numbers them), Query hands back rows of typed
// cells, Begin/Commit/Rollback and named savepoints frame transactions. Whatever the engine,
// errors come back as the same Status: a unique violation is Conflict with SQLite's message
// shape ("UNIQUE constraint failed: table.column", never the values), a foreign-key violation
// BadRequest("a referenced record does not exist"), a NOT NULL one BadRequest; a text value
// that holds a NUL byte or is not UTF-8 is BadRequest before it reaches either engine
// (PostgreSQL refuses both, so SQLite must too, or data would load on one engine only).
//
// What still differs is in SqlDialect: whether a failed statement aborts its transaction, and
// the few expressions the two write differently (JSON fields, list membership, case-folded
// equality, column types). Statements the store writes outside those use the common SQL both
// accept (ON CONFLICT upserts, RETURNING, NULLS FIRST/LAST, double-quoted identifiers).
//
// Bounded: a Query's answer holds at most limits().max_rows rows and max_bytes bytes of cells;
// past either it fails (GeneralError) rather than grow memory or truncate silently.
//
// Threading: a session belongs to the thread that owns its connection. Nothing throws.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "base/status.h"

namespace agor {

// A parameter or a cell: NULL, a 64-bit integer, a double, text (UTF-8) or a blob (bytes).
class SqlValue {
 public:
  enum class Type { kNull, kInteger, kReal, kText, kBlob };

  SqlValue() = default;
  SqlValue(std::nullptr_t) {}
  SqlValue(int64_t v) : type_(Type::kInteger), integer_(v) {}
  SqlValue(int v) : type_(Type::kInteger), integer_(v) {}
  SqlValue(double v) : type_(Type::kReal), real_(v) {}
  SqlValue(std::string v) : type_(Type::kText), bytes_(std::move(v)) {}
  SqlValue(const char* v) : type_(Type::kText), bytes_(v) {}
  static SqlValue Blob(std::string bytes);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  // The value as each type; 0 or "" when it is another type (no conversion between them).
  int64_t integer() const { return type_ == Type::kInteger ? integer_ : 0; }
  double real() const { return type_ == Type::kReal ? real_ : 0; }
  // Text or blob bytes; TakeText moves them out (a cell read once need not be copied).
  const std::string& text() const { return bytes_; }
  std::string TakeText() { return std::move(bytes_); }

  bool operator==(const SqlValue& o) const;
  bool operator!=(const SqlValue& o) const { return !(*this == o); }

 private:
  Type type_ = Type::kNull;
  int64_t integer_ = 0;
  double real_ = 0;
  std::string bytes_;
};

using SqlRow = std::vector<SqlValue>;

struct SqlResult {
  std::vector<SqlRow> rows;
  int64_t affected = 0;  // rows an INSERT, UPDATE or DELETE changed
  // SQLite only: the rowid an INSERT gave (its INTEGER PRIMARY KEY), so an append needs no
  // RETURNING row; 0 on PostgreSQL, whose callers write RETURNING.
  int64_t inserted_id = 0;
};

struct SqlLimits {
  size_t max_rows = 100000;
  size_t max_bytes = 64u << 20;  // text and blob bytes over all cells
};

// What the two engines spell differently. One constant instance per engine (ForSqlite(),
// ForPostgres()); the expressions take SQL the store wrote (a quoted column), never input.
class SqlDialect {
 public:
  enum class Engine { kSqlite, kPostgres };
  static const SqlDialect& ForSqlite();
  static const SqlDialect& ForPostgres();

  Engine engine() const { return engine_; }
  const char* name() const { return engine_ == Engine::kSqlite ? "sqlite" : "postgresql"; }
  // SQLite undoes only a failed statement; PostgreSQL aborts the whole transaction until it
  // rolls back to a savepoint. Code that goes on after a failure needs a savepoint on PG.
  bool failed_statement_aborts_transaction() const { return engine_ == Engine::kPostgres; }
  // The text value of top-level `key` of the JSON object in `column` (NULL when absent).
  std::string JsonText(const std::string& column, const std::string& key) const;
  // `column` IN the members of one parameter bound as a JSON array text: one SQL text for
  // every list length (query.cpp). `integer`: the members are integers; `negate`: NOT IN.
  std::string InJsonList(const std::string& column, bool integer, bool negate = false) const;
  // `column` equals one parameter ignoring ASCII case (users.email).
  std::string EqualsFoldingCase(const std::string& column) const;
  // Column types for migrations: text compared byte by byte (SQLite's BINARY; PostgreSQL's
  // "C" collation, whatever the database's locale: $sort and the id prefix range rely on it),
  // a 64-bit integer, a double, a blob.
  const char* text_type() const {
    return engine_ == Engine::kSqlite ? "TEXT" : "TEXT COLLATE \"C\"";
  }
  const char* integer_type() const { return engine_ == Engine::kSqlite ? "INTEGER" : "BIGINT"; }
  const char* real_type() const { return engine_ == Engine::kSqlite ? "REAL" : "DOUBLE PRECISION"; }
  const char* blob_type() const { return engine_ == Engine::kSqlite ? "BLOB" : "BYTEA"; }

 private:
  explicit SqlDialect(Engine engine) : engine_(engine) {}
  Engine engine_;
};

class SqlSession {
 public:
  virtual ~SqlSession() = default;

  virtual const SqlDialect& dialect() const = 0;
  const SqlLimits& limits() const { return limits_; }
  void set_limits(const SqlLimits& limits) { limits_ = limits; }

  // One statement, `?` placeholders bound to `params` in order (their count must match).
  // `out`, when given, receives its rows (a SELECT's, or RETURNING's) and affected count,
  // replacing what it held.
  Status Exec(const std::string& sql, const std::vector<SqlValue>& params = {},
              SqlResult* out = nullptr) {
    return Exec(sql, params.data(), params.size(), out);
  }
  Status Query(const std::string& sql, const std::vector<SqlValue>& params, SqlResult* out) {
    return Exec(sql, params.data(), params.size(), out);
  }
  // The same from a braced list (the store's statements): no vector allocated per statement.
  Status Exec(const std::string& sql, std::initializer_list<SqlValue> params,
              SqlResult* out = nullptr) {
    return Exec(sql, params.begin(), params.size(), out);
  }
  Status Query(const std::string& sql, std::initializer_list<SqlValue> params, SqlResult* out) {
    return Exec(sql, params.begin(), params.size(), out);
  }
  // Several parameterless statements (migrations).
  virtual Status ExecScript(const std::string& sql) = 0;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
  virtual bool in_transaction() const = 0;
  // Savepoints inside a transaction; `name` is an identifier of the caller's ([a-z_]+).
  Status Savepoint(const std::string& name);
  Status Release(const std::string& name);
  Status RollbackTo(const std::string& name);

 protected:
  // Runs one statement whose `count` parameters passed Exec's checks.
  virtual Status Run(const std::string& sql, const SqlValue* params, size_t count,
                     SqlResult* out) = 0;
  // Whether adding a cell of `bytes` to `out` (already holding `*total`) stays in limits.
  Status Admit(const SqlResult& out, size_t bytes, size_t* total) const;

 private:
  Status Exec(const std::string& sql, const SqlValue* params, size_t count, SqlResult* out);

  SqlLimits limits_;
};

// Numbers the `?` placeholders of `sql` as $1, $2, ... (PostgreSQL's), leaving those inside
// '...' literals, "..." identifiers and -- comments alone; sets *count to how many it found.
// The store's SQL uses neither E'...' escapes, $$ quoting nor /* */ comments (this would not
// see through them), nor PostgreSQL's JSON operators ?, ?| and ?&.
std::string NumberPlaceholders(const std::string& sql, size_t* count);

}  // namespace agor
