// libFuzzer target for queries from outside: a REST query string (server/wire/query_string.h)
// and, when the input is a JSON object, a socket client's query, both through TranslateQuery
// (store/query.h) for every service and the events log.
//
// Checked: what translates is SQL that SQLite accepts on agor's real schema (an in-memory
// database migrated by OpenDatabase), with one bound value per placeholder, and a limit within
// QueryLimits. Statements are prepared and dropped, never cached, so memory stays flat.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/schema.h"
#include "server/wire/query_string.h"
#include "store/database.h"
#include "store/query.h"

namespace {

SQLite::Database& Schema() {
  static std::unique_ptr<SQLite::Database> db = [] {
    std::unique_ptr<SQLite::Database> out;
    if (!agor::OpenDatabase(":memory:", &out).ok()) __builtin_trap();
    return out;
  }();
  return *db;
}

void CheckSql(const agor::ServiceSchema& schema, const agor::SqlQuery& q,
              const agor::QueryLimits& limits) {
  if (q.limit < 0 || q.limit > limits.max_limit || q.skip < 0) __builtin_trap();
  std::string columns;
  for (const std::string& name : q.select) {
    if (!schema.FindField(name)) __builtin_trap();
    columns += (columns.empty() ? "\"" : ", \"") + name + "\"";
  }
  const std::string sql = "SELECT " + (columns.empty() ? std::string("*") : columns) + " FROM \"" +
                          schema.table_name() + "\"" + q.where + q.order_by;
  try {
    SQLite::Statement statement(Schema(), sql);
    if (statement.getBindParameterCount() != static_cast<int>(q.params.size())) __builtin_trap();
  } catch (const std::exception&) {
    __builtin_trap();  // the translation wrote SQL that SQLite refuses
  }
}

void Translate(const agor::Json& query) {
  const agor::QueryLimits limits;
  auto one = [&](const agor::ServiceSchema& schema) {
    agor::SqlQuery q;
    if (agor::TranslateQuery(schema, query, limits, &q).ok()) CheckSql(schema, q, limits);
  };
  for (const agor::ServiceSchema& schema : agor::AllServices()) one(schema);
  one(agor::EventsSchema());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  agor::Json query;
  if (agor::ParseQueryString(input, &query).ok()) {
    if (!query.is_object()) __builtin_trap();
    Translate(query);
  }
  if (!input.empty() && input[0] == '{') {
    agor::Json json = agor::Json::parse(input, nullptr, false);
    if (!json.is_discarded()) Translate(json);
  }
  return 0;
}
