#include "store/sql_session.h"

#include "base/utf8.h"

namespace agor {
namespace {

bool IsSavepointName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;  // PostgreSQL's identifier length
  for (char c : name) {
    if (!(c == '_' || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

// PostgreSQL refuses both in text (and a NUL would cut libpq's C string short); checking here
// keeps SQLite from storing what the other engine could never load.
// The same words as PgConnection's: a client may read them (a find's value).
Status CheckText(const SqlValue& v) {
  if (v.type() != SqlValue::Type::kText) return Status::OK();
  const std::string& s = v.text();
  if (s.find('\0') != std::string::npos) return Status::BadRequest("a text value holds a NUL byte");
  if (!IsValidUtf8(s)) return Status::BadRequest("a text value is not valid UTF-8");
  return Status::OK();
}

}  // namespace

SqlValue SqlValue::Blob(std::string bytes) {
  SqlValue v(std::move(bytes));
  v.type_ = Type::kBlob;
  return v;
}

bool SqlValue::operator==(const SqlValue& o) const {
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::kNull:
      return true;
    case Type::kInteger:
      return integer_ == o.integer_;
    case Type::kReal:
      return real_ == o.real_;
    default:
      return bytes_ == o.bytes_;
  }
}

const SqlDialect& SqlDialect::ForSqlite() {
  static const SqlDialect dialect(Engine::kSqlite);
  return dialect;
}

const SqlDialect& SqlDialect::ForPostgres() {
  static const SqlDialect dialect(Engine::kPostgres);
  return dialect;
}

// SQLite reads text that is no JSON as NULL; PostgreSQL's cast would fail the statement, so
// its form is only for columns agor wrote as JSON itself (the event log's record).
std::string SqlDialect::JsonText(const std::string& column, const std::string& key) const {
  if (engine_ == Engine::kSqlite) {
    return "CASE WHEN json_valid(" + column + ") THEN json_extract(" + column + ", '$." + key +
           "') END";
  }
  return "(" + column + "::jsonb ->> '" + key + "')";
}

std::string SqlDialect::InJsonList(const std::string& column, bool integer, bool negate) const {
  std::string in = column + (negate ? " NOT IN" : " IN");
  if (engine_ == Engine::kSqlite) return in + " (SELECT value FROM json_each(?))";
  return in + " (SELECT jsonb_array_elements_text(?::jsonb)" + (integer ? "::bigint)" : ")");
}

// SQLite's NOCASE and this lower() both fold ASCII only in the test's C collation; on PG the
// unique index is on lower(email) (see docs/scale-out.md).
std::string SqlDialect::EqualsFoldingCase(const std::string& column) const {
  if (engine_ == Engine::kSqlite) return column + " = ? COLLATE NOCASE";
  return "lower(" + column + ") = lower(?)";
}

Status SqlSession::Exec(const std::string& sql, const SqlValue* params, size_t count,
                        SqlResult* out) {
  for (size_t i = 0; i < count; ++i) {
    Status s = CheckText(params[i]);
    if (!s.ok()) return s;
  }
  if (out) {  // emptied, its rows' capacity kept for a caller that reuses it
    out->rows.clear();
    out->affected = out->inserted_id = 0;
  }
  return Run(sql, params, count, out);
}

Status SqlSession::Savepoint(const std::string& name) {
  if (!IsSavepointName(name)) return Status::GeneralError("bad savepoint name: " + name);
  return Exec("SAVEPOINT " + name);
}

Status SqlSession::Release(const std::string& name) {
  if (!IsSavepointName(name)) return Status::GeneralError("bad savepoint name: " + name);
  return Exec("RELEASE SAVEPOINT " + name);
}

Status SqlSession::RollbackTo(const std::string& name) {
  if (!IsSavepointName(name)) return Status::GeneralError("bad savepoint name: " + name);
  return Exec("ROLLBACK TO SAVEPOINT " + name);
}

Status SqlSession::Admit(const SqlResult& out, size_t bytes, size_t* total) const {
  *total += bytes;
  if (out.rows.size() > limits_.max_rows) {
    return Status::GeneralError("a query's answer passed " + std::to_string(limits_.max_rows) +
                                " rows");
  }
  if (*total > limits_.max_bytes) {
    return Status::GeneralError("a query's answer passed " + std::to_string(limits_.max_bytes) +
                                " bytes");
  }
  return Status::OK();
}

std::string NumberPlaceholders(const std::string& sql, size_t* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  *count = 0;
  char quote = 0;  // the quote we are inside, or '-' for a comment
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote == '-') {
      if (c == '\n') quote = 0;
    } else if (quote) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      quote = '-';
    } else if (c == '?') {
      out += "$" + std::to_string(++*count);
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace agor
