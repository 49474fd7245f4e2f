// Query translation: a Feathers query object (from a REST query string or a socket call)
// becomes one parameterized SQL statement for a service's table.
//
// Supported: equality (`field: value`), `$in $nin $lt $lte $gt $gte $ne` (`field: {$gt: 3}`),
// `$or: [query, ...]`, `$and: [query, ...]`, and the filters `$limit $skip $sort $select`.
// Every value is a bound parameter; field names are checked against the schema (never
// interpolated from input) and quoted. Values are coerced to the field's type, so the strings
// of a REST query compare like the numbers of a socket query ("3" on an integer field is 3).
//
// Semantics follow @feathersjs/knex:
//   field: null → "f" IS NULL;  {$ne: null} → "f" IS NOT NULL;  {$ne: v} → "f" <> ? (so, as in
//   knex, $ne and $nin never match NULL);  {$in: []} → 1 = 0;  {$nin: []} → 1 = 1;  a lone
//   scalar in $in/$nin is a one-element list;  several operators on one field are ANDed;
//   a list becomes `"f" IN (SELECT value FROM json_each(?))` (on PostgreSQL its
//   jsonb_array_elements_text) with the coerced values bound as one JSON array, so its SQL (and
//   prepared statement) does not change with its length;
//   `$or`/`$and` group their sub-queries in parentheses, and empty sub-queries ({} or an
//   empty list) add no condition at all, as knex drops empty groups. `$sort` puts NULL first
//   in ascending order, as SQLite does, except on a Field::null_sorts_last field (a queued
//   message's null index sorts after every placed message).
// Messages (all BadRequest): top-level unknown `$x` → "Invalid filter value $x" (Feathers'
// text); unknown `$x` inside a field or inside an $or/$and element → "Invalid query operator
// $x"; unknown field → "Unknown field 'x' in query" with data {"field": "x"}; JSON/content
// field → "Field 'x' can not be used in a query"; bad value → "Invalid value for 'x':
// expected ..." with data {"field": "x"}.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/schema.h"
#include "base/status.h"
#include "store/sql_session.h"

namespace agor {

struct QueryLimits {
  int64_t default_limit = 100;
  int64_t max_limit = 1000;  // larger $limit values are clamped, as Feathers does
  int max_depth = 6;         // nesting of $or/$and
  size_t max_values = 1000;  // elements of one $in/$nin, and terms in one query
};

struct SqlQuery {
  std::string where;                // "" or " WHERE <expr>" with ? placeholders
  std::vector<Json> params;         // bound values for `where`, in order: each is a Json
                                    // string (bind text), integer (bind int64) or null; an
                                    // $in/$nin list is one string, its JSON array text
  std::string order_by;             // "" or " ORDER BY \"col\" ASC, ..."
  std::vector<std::string> select;  // columns to return; empty means all. Always holds the
                                    // id field when non-empty (Feathers adds it).
  int64_t limit = 100;              // after defaulting and clamping; 0 = count only
  int64_t skip = 0;
  // order_by holds exactly the requested $sort keys: no tiebreak is added here.
};

// Fills `out` from `query` (a JSON object; null is treated as {}). BadRequest, naming the field
// or operator, for: an unknown `$` operator ("Invalid query operator $foo" / filter), an unknown
// or non-queryable field, a value of the wrong type, $limit/$skip that are not non-negative
// integers, $sort directions other than 1/-1, nesting or size past `limits`. Also refused:
// more than `max_values` conditions, more than `max_values` elements in one $in/$nin, and more
// than 32000 bound values in all (SQLite's variable limit). On error `out` is unchanged.
// `dialect`: the engine the SQL is for (store/sql_session.h); the two differ in $in/$nin's list
// and in where $sort puts NULLs by default.
Status TranslateQuery(const ServiceSchema& schema, const Json& query, const QueryLimits& limits,
                      SqlQuery* out, const SqlDialect& dialect = SqlDialect::ForSqlite());

// Checks and coerces one value for `field` (used by queries and by record validation):
// null always passes; kInteger takes integers and decimal strings ("3", "-2"; no bools, no
// fractions) and gives an integer; kString/kId take strings, numbers become their decimal
// string; kEnum takes one of its choices; kJson takes an object or array, kContent a string or
// array (both unchanged). BadRequest "Invalid value for 'f': expected ..." names the field.
Status CoerceQueryValue(const Field& field, const Json& in, Json* out);

}  // namespace agor
