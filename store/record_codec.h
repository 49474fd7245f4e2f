// How a record's fields map to SQL values and back: JSON-typed fields are stored as JSON
// text, integers as INTEGER, everything else as TEXT; NULL is null. JSON is written with
// invalid UTF-8 replaced (never throws) and read back under base/json.h's depth rule (text
// that fails it comes back as a string). Two forms: SQLiteCpp's statements (the store's
// writes, until they move), and the engine-neutral SqlValue/SqlRow of store/sql_session.h,
// which reads the same records on SQLite and PostgreSQL. Thread-safety: pure functions.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <string>
#include <vector>

#include "base/schema.h"
#include "base/status.h"
#include "store/sql_session.h"

namespace agor {

// Binds `value` (already validated for `field`) to parameter `index` of `st`.
void BindFieldValue(SQLite::Statement& st, int index, const Field* field, const Json& value);
// Binds a query parameter (string, integer, bool or null) produced by TranslateQuery.
void BindQueryValue(SQLite::Statement& st, int index, const Json& value);

// Builds a record from the current row of `st`, whose columns are `columns` in order.
Json ReadRecord(SQLite::Statement& st, const std::vector<const Field*>& columns);

// The same on the engine-neutral seam: a field's value and a query parameter as a SqlValue
// (booleans as 0/1, JSON as its text), and a record from a row whose cells are `columns`.
SqlValue FieldParam(const Field* field, const Json& value);
SqlValue QueryParam(const Json& value);
Json RecordFromRow(const SqlRow& row, const std::vector<const Field*>& columns);

// Every field of `schema`, in column order.
std::vector<const Field*> AllColumns(const ServiceSchema& schema);

// `"a", "b", "c"`: quoted column names for a SELECT list.
std::string ColumnList(const std::vector<const Field*>& columns);

}  // namespace agor
