#include "store/pg_connection.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <utility>

namespace agor {
namespace {

// PostgreSQL's protocol counts a statement's parameters in 16 bits.
constexpr size_t kMaxParams = 65535;

// The '@' ending the URL's user info, npos for none: the last one before the path or query,
// so that a password holding an unescaped '@' is hidden whole.
size_t UserInfoEnd(const std::string& url) {
  size_t start = url.find("://");
  if (start == std::string::npos) return std::string::npos;
  size_t at = url.rfind('@', url.find_first_of("/?", start + 3));
  return at != std::string::npos && at > start ? at : std::string::npos;
}

// The password as written in `url`: between "user:" and the user info's end, and the value of
// a `password=` query parameter. Empty strings for none.
std::pair<std::string, std::string> WrittenPasswords(const std::string& url) {
  std::pair<std::string, std::string> out;
  size_t at = UserInfoEnd(url);
  if (at != std::string::npos) {
    size_t colon = url.find(':', url.find("://") + 3);
    if (colon < at) out.first = url.substr(colon + 1, at - colon - 1);
  }
  size_t key = url.find("password=");
  if (key != std::string::npos) {
    size_t from = key + std::strlen("password=");
    out.second = url.substr(from, url.find('&', from) - from);
  }
  return out;
}

void ReplaceAll(std::string* text, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (size_t pos = text->find(what); pos != std::string::npos;
       pos = text->find(what, pos + with.size())) {
    text->replace(pos, what.size(), with);
  }
}

// libpq's own messages may quote the part of a URL it could not parse: the password among them.
std::string Scrubbed(std::string message, const std::string& url) {
  auto written = WrittenPasswords(url);
  ReplaceAll(&message, written.first, "***");
  ReplaceAll(&message, written.second, "***");
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

// Refuses what is no postgresql:// URL or does not parse, before any connection attempt.
Status CheckUrl(const std::string& url) {
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0) {
    return Status::BadRequest("not a postgresql://USER@HOST:PORT/DB URL: " +
                              PgConnection::Redacted(url));
  }
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &error);
  PQconninfoFree(parsed);
  if (parsed) return Status::OK();
  std::string why = error ? error : "cannot parse";
  PQfreemem(error);
  return Status::BadRequest("bad PostgreSQL URL " + PgConnection::Redacted(url) + ": " +
                            Scrubbed(why, url));
}

// "Key (session_id, \"index\")=(s, 3) already exists." -> "session_id, index"; "" when the
// detail has another shape.
std::string KeyColumns(const char* detail) {
  std::string d = detail ? detail : "";
  size_t open = d.find("Key (");
  size_t close = d.find(")=(");
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  std::string columns = d.substr(open + 5, close - open - 5);
  ReplaceAll(&columns, "\"", "");
  return columns;
}

// SQLite's shape, "UNIQUE constraint failed: boards.slug", so the store reads which fields
// clashed the same way on both engines. The values stay out (they are in the detail).
std::string UniqueMessage(const PGresult* res) {
  const char* table = PQresultErrorField(res, PG_DIAG_TABLE_NAME);
  std::string columns = KeyColumns(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
  const char* constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
  if (!table || columns.empty()) {
    return std::string("UNIQUE constraint failed: ") + (constraint ? constraint : "?");
  }
  std::string out = "UNIQUE constraint failed: ";
  size_t pos = 0;
  while (pos <= columns.size()) {
    size_t comma = columns.find(", ", pos);
    if (comma == std::string::npos) comma = columns.size();
    std::string column = columns.substr(pos, comma - pos);
    // An expression index's key, lower(email), names the column it is over.
    size_t open = column.find('(');
    if (open != std::string::npos && column.back() == ')') {
      column = column.substr(open + 1, column.size() - open - 2);
    }
    out += (pos ? ", " : "") + std::string(table) + "." + column;
    pos = comma + 2;
  }
  return out;
}

Status FromSqlState(const std::string& state, const PGresult* res) {
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string message = primary ? primary : "unknown error";
  if (state == "23505") return Status::Conflict(UniqueMessage(res));
  if (state == "23503") return Status::BadRequest("a referenced record does not exist");
  // Not-null and check violations, and data exceptions (invalid UTF-8, a value too long or of
  // the wrong type): the input is at fault, as with SQLite's NOT NULL.
  if (state == "23502" || state == "23514" || state.rfind("22", 0) == 0) {
    return Status::BadRequest(message);
  }
  if (state == "40001" || state == "40P01") return Status::Unavailable(message + ": try again");
  if (state == "57014") return Status(Code::kTimeout, "database statement timed out: " + message);
  // Connection exceptions, the server shutting down or starting, out of resources.
  if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || state.rfind("53", 0) == 0) {
    return Status::Unavailable("database unavailable: " + message);
  }
  return Status::GeneralError("database error (" + state + "): " + message);
}

// Notices ("relation already exists, skipping") would go to stderr by default.
void IgnoreNotice(void*, const char*) {}

}  // namespace

int64_t PgResult::integer(size_t row, size_t column) const {
  const PgValue& v = at(row, column);
  return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

void PgResult::CopyShape(pg_result* res) {
  columns_ = PQnfields(res);
  types_.clear();
  for (size_t c = 0; c < columns_; ++c) types_.push_back(PQftype(res, static_cast<int>(c)));
}

bool PgResult::AppendRow(pg_result* res, const PgLimits& limits, size_t* bytes) {
  if (rows_.empty()) CopyShape(res);
  std::vector<PgValue> row;
  for (size_t c = 0; c < columns_; ++c) {
    if (PQgetisnull(res, 0, c)) {
      row.emplace_back();
      continue;
    }
    *bytes += PQgetlength(res, 0, c);
    row.emplace_back(std::string(PQgetvalue(res, 0, c), PQgetlength(res, 0, c)));
  }
  if (rows_.size() >= limits.max_rows || *bytes > limits.max_bytes) return false;
  rows_.push_back(std::move(row));
  return true;
}

void PgResult::CopyFrom(pg_result* res) {
  CopyShape(res);
  affected_ = std::strtoll(PQcmdTuples(res), nullptr, 10);
  rows_.assign(PQntuples(res), {});
  for (size_t r = 0; r < rows_.size(); ++r) {
    for (size_t c = 0; c < columns_; ++c) {
      if (PQgetisnull(res, r, c)) {
        rows_[r].emplace_back();
      } else {
        rows_[r].emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
  }
}

PgConnection::PgConnection() = default;

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

PgConnection::PgConnection(PgConnection&& other) noexcept {
  *this = std::move(other);
}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  std::swap(conn_, other.conn_);
  std::swap(url_, other.url_);
  std::swap(options_, other.options_);
  return *this;
}

std::string PgConnection::Redacted(const std::string& url) {
  auto written = WrittenPasswords(url);
  std::string out = url;
  if (!written.first.empty()) {
    size_t at = UserInfoEnd(out);
    out.replace(at - written.first.size(), written.first.size(), "***");
  }
  if (!written.second.empty()) ReplaceAll(&out, "password=" + written.second, "password=***");
  return out;
}

Status PgConnection::Open(const std::string& url, const Options& options) {
  Status s = CheckUrl(url);
  if (!s.ok()) return s;
  if (conn_) PQfinish(conn_);
  // Entries before dbname (the URL, expanded) are defaults the URL may override; after it,
  // what agor needs whatever the URL says.
  std::string timeout = std::to_string(options.connect_timeout_s);
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", "client_encoding",
                        nullptr};
  const char* values[] = {timeout.c_str(), "agor", url.c_str(), "UTF8", nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  url_ = url;
  options_ = options;
  if (!conn_) return Status::Unavailable("out of memory connecting to PostgreSQL");
  if (PQstatus(conn_) != CONNECTION_OK) {
    return Status::Unavailable("cannot connect to " + Redacted(url) + ": " +
                               Scrubbed(PQerrorMessage(conn_), url));
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  return ApplyOptions();
}

Status PgConnection::ApplyOptions() {
  if (options_.statement_timeout_ms <= 0) return Status::OK();
  return Exec("SELECT set_config('statement_timeout', $1, false)",
              {std::to_string(options_.statement_timeout_ms)});
}

Status PgConnection::Reconnect() {
  if (!conn_) return Open(url_, options_);
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return ConnectionLost();
  return ApplyOptions();
}

bool PgConnection::connected() const {
  return conn_ && PQstatus(conn_) == CONNECTION_OK;
}

bool PgConnection::in_transaction() const {
  if (!conn_) return false;
  PGTransactionStatusType t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

Status PgConnection::ConnectionLost() const {
  std::string why = conn_ ? Scrubbed(PQerrorMessage(conn_), url_) : "not connected";
  return Status::Unavailable("lost the connection to " + Redacted(url_) + ": " + why);
}

Status PgConnection::Exec(const std::string& sql, const std::vector<PgValue>& params,
                          PgResult* out) {
  if (!conn_) return ConnectionLost();
  if (params.size() > kMaxParams) return Status::BadRequest("too many statement parameters");
  std::vector<const char*> values;
  for (const PgValue& p : params) {
    if (p && p->find('\0') != std::string::npos) {
      return Status::BadRequest("a text value holds a NUL byte");
    }
    values.push_back(p ? p->c_str() : nullptr);
  }
  return Check(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                            values.data(), nullptr, nullptr, 0),
               out);
}

Status PgConnection::Send(const std::string& sql, const std::vector<PgValue>& params,
                          const std::vector<unsigned>& types) {
  if (!conn_) return ConnectionLost();
  if (params.size() > kMaxParams) return Status::BadRequest("too many statement parameters");
  if (!types.empty() && types.size() != params.size()) {
    return Status::GeneralError("parameter types do not match the parameters");
  }
  std::vector<const char*> values;
  for (const PgValue& p : params) {
    if (p && p->find('\0') != std::string::npos) {
      return Status::BadRequest("a text value holds a NUL byte");
    }
    values.push_back(p ? p->c_str() : nullptr);
  }
  std::vector<Oid> oids(types.begin(), types.end());
  if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()),
                         oids.empty() ? nullptr : oids.data(), values.data(), nullptr, nullptr,
                         0)) {
    return PQstatus(conn_) != CONNECTION_OK
               ? ConnectionLost()
               : Status::GeneralError("database error: " + Scrubbed(PQerrorMessage(conn_), url_));
  }
  PQsetSingleRowMode(conn_);
  return Status::OK();
}

// Reads every result libpq has for the statement (it must be drained before the next one),
// keeping rows while within `limits` and the first error.
Status PgConnection::ExecBounded(const std::string& sql, const std::vector<PgValue>& params,
                                 const std::vector<unsigned>& types, const PgLimits& limits,
                                 PgResult* out) {
  Status s = Send(sql, params, types);
  if (!s.ok()) return s;
  PgResult rows;
  bool finished = false, over = false;
  size_t bytes = 0;
  while (PGresult* res = PQgetResult(conn_)) {
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_SINGLE_TUPLE) {
      if (!over) over = !rows.AppendRow(res, limits, &bytes);
    } else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) {
      if (rows.rows_.empty()) rows.CopyShape(res);
      // A SELECT's tag counts its rows: only a write's count is an affected one.
      bool read = std::strncmp(PQcmdStatus(res), "SELECT", 6) == 0;
      rows.affected_ = read ? 0 : std::strtoll(PQcmdTuples(res), nullptr, 10);
      finished = true;
    } else if (s.ok()) {
      s = Check(res, nullptr);  // takes res
      continue;
    }
    PQclear(res);
  }
  if (s.ok() && !finished) s = ConnectionLost();
  if (s.ok() && over) {
    s = Status::GeneralError("a query's answer passed " + std::to_string(limits.max_rows) +
                             " rows or " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (s.ok() && out) *out = std::move(rows);
  return s;
}

Status PgConnection::ExecScript(const std::string& sql) {
  if (!conn_) return ConnectionLost();
  return Check(PQexec(conn_, sql.c_str()), nullptr);
}

Status PgConnection::Check(pg_result* res, PgResult* out) {
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  Status s;
  if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK || st == PGRES_EMPTY_QUERY) {
    if (out) out->CopyFrom(res);
  } else if (const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr) {
    s = FromSqlState(state, res);
  } else if (PQstatus(conn_) != CONNECTION_OK) {
    s = ConnectionLost();
  } else {
    s = Status::GeneralError("database error: " + Scrubbed(PQerrorMessage(conn_), url_));
  }
  PQclear(res);
  return s;
}

// READ COMMITTED, whatever default_transaction_isolation says: each statement sees what
// committed before it started, which the event log's append relies on (store/pg_event_log.h).
Status PgConnection::Begin() {
  return Exec("BEGIN ISOLATION LEVEL READ COMMITTED");
}

// PostgreSQL answers COMMIT of a failed transaction with success and the tag ROLLBACK.
Status PgConnection::Commit() {
  if (!conn_) return ConnectionLost();
  PGresult* res = PQexec(conn_, "COMMIT");
  bool rolled_back = res && std::strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
  Status s = Check(res, nullptr);
  if (s.ok() && rolled_back) {
    return Status::GeneralError("the transaction was rolled back: a statement in it failed");
  }
  return s;
}

Status PgConnection::Rollback() {
  return Exec("ROLLBACK");
}

PgTransaction::~PgTransaction() {
  if (open_) conn_->Rollback();
}

Status PgTransaction::Begin() {
  Status s = conn_->Begin();
  open_ = s.ok();
  return s;
}

Status PgTransaction::Commit() {
  open_ = false;  // a failed COMMIT ends the transaction too
  return conn_->Commit();
}

}  // namespace agor
