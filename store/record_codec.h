// How a record's fields map to SQLite values and back: JSON-typed fields are stored as JSON
// text, integers as INTEGER, everything else as TEXT; NULL is null. JSON is written with
// invalid UTF-8 replaced (never throws) and read back under base/json.h's depth rule (text
// that fails it comes back as a string). Thread-safety: pure functions over the statement.
#pragma once

#include <SQLiteCpp/Statement.h>

#include <string>
#include <vector>

#include "base/schema.h"
#include "base/status.h"

namespace agor {

// Binds `value` (already validated for `field`) to parameter `index` of `st`.
void BindFieldValue(SQLite::Statement& st, int index, const Field* field, const Json& value);
// Binds a query parameter (string, integer, bool or null) produced by TranslateQuery.
void BindQueryValue(SQLite::Statement& st, int index, const Json& value);

// Builds a record from the current row of `st`, whose columns are `columns` in order.
Json ReadRecord(SQLite::Statement& st, const std::vector<const Field*>& columns);

// Every field of `schema`, in column order.
std::vector<const Field*> AllColumns(const ServiceSchema& schema);

// `"a", "b", "c"`: quoted column names for a SELECT list.
std::string ColumnList(const std::vector<const Field*>& columns);

}  // namespace agor
