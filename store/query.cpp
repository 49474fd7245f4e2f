#include "store/query.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

namespace agor {
namespace {

// Bound parameters of one statement stay under SQLite's default SQLITE_MAX_VARIABLE_NUMBER
// (32766), whatever QueryLimits allows per $in and per query.
constexpr size_t kMaxBoundParams = 32000;

const Json& EmptyObject() {
  static const Json empty = Json::object();
  return empty;
}

// A column name from the schema (never from input), double-quoted.
std::string Quote(const char* name) {
  std::string out = "\"";
  for (const char* p = name; *p != '\0'; ++p) {
    if (*p == '"') out += '"';
    out += *p;
  }
  return out + "\"";
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : sep) + parts[i];
  return out;
}

Json FieldData(const std::string& field) {
  return Json{{"field", field}};
}

Status UnknownField(const std::string& field) {
  return Status::BadRequest("Unknown field '" + field + "' in query", FieldData(field));
}

Status NotQueryable(const std::string& field) {
  return Status::BadRequest("Field '" + field + "' can not be used in a query", FieldData(field));
}

Status InvalidValue(const std::string& field, const std::string& expected) {
  return Status::BadRequest("Invalid value for '" + field + "': expected " + expected,
                            FieldData(field));
}

// A JSON integer that fits int64 (unsigned values above INT64_MAX do not).
bool JsonInt64(const Json& in, int64_t* out) {
  if (!in.is_number_integer()) return false;
  if (in.is_number_unsigned()) {
    const uint64_t u = in.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  *out = in.get<int64_t>();
  return true;
}

// A decimal integer string: optional '-', digits, nothing else, within int64.
bool StringInt64(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end) return false;
  *out = v;
  return true;
}

Status CoerceInteger(const Field& field, const Json& in, Json* out) {
  int64_t v = 0;
  if (!JsonInt64(in, &v) &&
      !(in.is_string() && StringInt64(in.get_ref<const std::string&>(), &v))) {
    return InvalidValue(field.name, "an integer");
  }
  *out = v;
  return Status::OK();
}

Status CoerceString(const Field& field, const Json& in, Json* out) {
  if (in.is_string()) {
    *out = in;
  } else if (in.is_number()) {
    *out = in.dump();
  } else {
    return InvalidValue(field.name, "a string");
  }
  return Status::OK();
}

Status CoerceEnum(const Field& field, const Json& in, Json* out) {
  if (in.is_string()) {
    for (const char* choice : field.choices) {
      if (in.get_ref<const std::string&>() == choice) {
        *out = in;
        return Status::OK();
      }
    }
  }
  std::vector<std::string> choices(field.choices.begin(), field.choices.end());
  return InvalidValue(field.name, "one of " + Join(choices, ", "));
}

bool IsFilter(const std::string& key) {
  return key == "$limit" || key == "$skip" || key == "$sort" || key == "$select" || key == "$or" ||
         key == "$and";
}

const char* Comparison(const std::string& op) {
  if (op == "$lt") return " < ?";
  if (op == "$lte") return " <= ?";
  if (op == "$gt") return " > ?";
  if (op == "$gte") return " >= ?";
  if (op == "$ne") return " <> ?";
  return nullptr;
}

// Builds the WHERE expression of one query, binding values into `params` as it goes.
class WhereBuilder {
 public:
  WhereBuilder(const ServiceSchema& schema, const QueryLimits& limits, const SqlDialect& dialect,
               std::vector<Json>* params)
      : schema_(schema), limits_(limits), dialect_(dialect), params_(params) {}

  // Appends the conditions of `query` (ANDed by the caller) to `conds`. `depth` counts the
  // enclosing $or/$and; at depth 0 the filters ($limit...) are skipped, deeper they are refused.
  Status Object(const Json& query, int depth, std::vector<std::string>* conds) {
    for (const auto& item : query.items()) {
      const std::string& key = item.key();
      Status s;
      if (key == "$or" || key == "$and") {
        s = Logical(key, item.value(), depth, conds);
      } else if (!key.empty() && key[0] == '$') {
        if (depth > 0) return Status::BadRequest("Invalid query operator " + key);
        if (!IsFilter(key)) return Status::BadRequest("Invalid filter value " + key);
      } else {
        s = FieldConditions(key, item.value(), conds);
      }
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

 private:
  Status CountTerm() {
    if (++terms_ <= limits_.max_values) return Status::OK();
    return Status::BadRequest("Query has too many terms (max " +
                              std::to_string(limits_.max_values) + ")");
  }

  // `$or: [q, ...]` / `$and: [q, ...]`. Empty sub-queries add nothing (as knex does).
  Status Logical(const std::string& op, const Json& list, int depth,
                 std::vector<std::string>* conds) {
    if (depth >= limits_.max_depth) {
      return Status::BadRequest("Query is nested too deeply (max " +
                                std::to_string(limits_.max_depth) + " levels of $or/$and)");
    }
    Status s = CountTerm();
    if (!s.ok()) return s;
    if (!list.is_array()) return Status::BadRequest(op + " must be an array of queries");
    std::vector<std::string> parts;
    for (const Json& sub : list) {
      if (!sub.is_object()) return Status::BadRequest(op + " must be an array of queries");
      std::vector<std::string> sub_conds;
      s = Object(sub, depth + 1, &sub_conds);
      if (!s.ok()) return s;
      if (sub_conds.size() == 1) parts.push_back(sub_conds[0]);
      if (sub_conds.size() > 1) parts.push_back("(" + Join(sub_conds, " AND ") + ")");
    }
    if (parts.size() == 1) conds->push_back(parts[0]);
    if (parts.size() > 1) conds->push_back("(" + Join(parts, op == "$or" ? " OR " : " AND ") + ")");
    return Status::OK();
  }

  // `field: value` or `field: {$op: value, ...}`.
  Status FieldConditions(const std::string& name, const Json& value,
                         std::vector<std::string>* conds) {
    const Field* field = schema_.FindField(name);
    if (field == nullptr) return UnknownField(name);
    if (!schema_.IsQueryable(name)) return NotQueryable(name);
    if (value.is_array()) {
      return InvalidValue(name, "a single value (use $in to match several)");
    }
    if (!value.is_object()) return Compare(*field, value, " = ?", conds);
    for (const auto& item : value.items()) {
      Status s = Operator(*field, item.key(), item.value(), conds);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  Status Operator(const Field& field, const std::string& op, const Json& value,
                  std::vector<std::string>* conds) {
    if (op == "$in" || op == "$nin") return InList(field, op, value, conds);
    if (const char* sql = Comparison(op)) return Compare(field, value, sql, conds);
    if (!op.empty() && op[0] == '$') return Status::BadRequest("Invalid query operator " + op);
    return InvalidValue(field.name,
                        "a value or an object of operators ($in, $nin, $lt, $lte, "
                        "$gt, $gte, $ne)");
  }

  // `"col" <sql>` with one bound value; `= null` and `<> null` become IS (NOT) NULL.
  Status Compare(const Field& field, const Json& value, const char* sql,
                 std::vector<std::string>* conds) {
    Status s = CountTerm();
    if (!s.ok()) return s;
    const std::string column = Quote(field.name);
    const std::string op = sql;
    if (value.is_null() && (op == " = ?" || op == " <> ?")) {
      conds->push_back(column + (op == " = ?" ? " IS NULL" : " IS NOT NULL"));
      return Status::OK();
    }
    s = Bind(field, value);
    if (s.ok()) conds->push_back(column + sql);
    return s;
  }

  // `$in` / `$nin`: an array of values (a lone scalar counts as one). Empty lists match
  // nothing / everything, as knex renders them. The list is bound as one JSON array text read
  // back by the engine's JSON functions (SqlDialect::InJsonList), so every list length shares one
  // SQL text (and one cached statement).
  Status InList(const Field& field, const std::string& op, const Json& value,
                std::vector<std::string>* conds) {
    Status s = CountTerm();
    if (!s.ok()) return s;
    if (value.is_object()) return InvalidValue(field.name, "an array of values for " + op);
    const Json list = value.is_array() ? value : Json::array({value});
    if (list.size() > limits_.max_values) {
      return Status::BadRequest("Too many values in " + op + " for '" + field.name + "' (max " +
                                    std::to_string(limits_.max_values) + ")",
                                FieldData(field.name));
    }
    const bool negate = op == "$nin";
    if (list.empty()) {
      conds->push_back(negate ? "1 = 1" : "1 = 0");
      return Status::OK();
    }
    Json values = Json::array();
    for (const Json& v : list) {
      Json coerced;
      s = CoerceQueryValue(field, v, &coerced);
      if (!s.ok()) return s;
      values.push_back(std::move(coerced));
    }
    std::string text;
    s = DumpList(field, values, &text);
    if (s.ok()) s = Push(std::move(text));
    if (s.ok()) {
      conds->push_back(
          dialect_.InJsonList(Quote(field.name), field.type == FieldType::kInteger, negate));
    }
    return s;
  }

  // The list as JSON text; text that is not UTF-8 cannot be written as JSON (nlohmann throws).
  static Status DumpList(const Field& field, const Json& values, std::string* text) {
    try {
      *text = values.dump();
      return Status::OK();
    } catch (const Json::exception&) {
      return InvalidValue(field.name, "valid UTF-8 text");
    }
  }

  Status Bind(const Field& field, const Json& value) {
    Json coerced;
    Status s = CoerceQueryValue(field, value, &coerced);
    return s.ok() ? Push(std::move(coerced)) : s;
  }

  Status Push(Json param) {
    if (params_->size() >= kMaxBoundParams) {
      return Status::BadRequest("Query has too many values (max " +
                                std::to_string(kMaxBoundParams) + ")");
    }
    params_->push_back(std::move(param));
    return Status::OK();
  }

  const ServiceSchema& schema_;
  const QueryLimits& limits_;
  const SqlDialect& dialect_;
  std::vector<Json>* params_;
  size_t terms_ = 0;
};

// $limit / $skip: a non-negative integer, or its decimal string.
Status ParseCount(const std::string& name, const Json& in, int64_t* out) {
  int64_t v = -1;
  if (!JsonInt64(in, &v) && in.is_string()) StringInt64(in.get_ref<const std::string&>(), &v);
  if (v < 0) return Status::BadRequest(name + " must be a non-negative integer");
  *out = v;
  return Status::OK();
}

// 1 or -1, or their strings.
bool SortDirection(const Json& in, bool* ascending) {
  int64_t v = 0;
  if (!JsonInt64(in, &v) && in.is_string()) StringInt64(in.get_ref<const std::string&>(), &v);
  *ascending = v == 1;
  return v == 1 || v == -1;
}

// NULLs sort first in ascending order, as SQLite does, on either engine (PostgreSQL's default is
// the other way round), except on a null_sorts_last field.
Status ParseSort(const ServiceSchema& schema, const SqlDialect& dialect, const Json& sort,
                 std::string* order_by) {
  if (sort.is_null()) return Status::OK();
  if (!sort.is_object()) return Status::BadRequest("$sort must be an object of field: 1 or -1");
  std::vector<std::string> terms;
  for (const auto& item : sort.items()) {
    const std::string& name = item.key();
    const Field* field = schema.FindField(name);
    if (field == nullptr) return UnknownField(name);
    if (!schema.IsQueryable(name)) return NotQueryable(name);
    bool ascending = true;
    if (!SortDirection(item.value(), &ascending)) {
      return Status::BadRequest("Invalid $sort direction for '" + name + "': expected 1 or -1",
                                FieldData(name));
    }
    std::string term = Quote(field->name) + (ascending ? " ASC" : " DESC");
    if (field->null_sorts_last) {
      term += ascending ? " NULLS LAST" : " NULLS FIRST";
    } else if (dialect.engine() != SqlDialect::Engine::kSqlite) {
      term += ascending ? " NULLS FIRST" : " NULLS LAST";
    }
    terms.push_back(std::move(term));
  }
  if (!terms.empty()) *order_by = " ORDER BY " + Join(terms, ", ");
  return Status::OK();
}

// $select: field names (or one name), deduplicated, the id field appended when missing.
Status ParseSelect(const ServiceSchema& schema, const Json& select, std::vector<std::string>* out) {
  if (select.is_null()) return Status::OK();
  const Json list = select.is_array() ? select : Json::array({select});
  for (const Json& item : list) {
    if (!item.is_string()) return Status::BadRequest("$select must be an array of field names");
    const std::string& name = item.get_ref<const std::string&>();
    const Field* field = schema.FindField(name);
    if (field == nullptr) return UnknownField(name);
    if (std::find(out->begin(), out->end(), name) == out->end()) out->push_back(field->name);
  }
  if (std::find(out->begin(), out->end(), schema.id_field) == out->end()) {
    out->push_back(schema.id_field);
  }
  return Status::OK();
}

Status ApplyFilters(const ServiceSchema& schema, const Json& query, const QueryLimits& limits,
                    const SqlDialect& dialect, SqlQuery* out) {
  Status s;
  auto it = query.find("$limit");
  if (it != query.end()) s = ParseCount("$limit", *it, &out->limit);
  out->limit = std::min(out->limit, limits.max_limit);
  it = query.find("$skip");
  if (s.ok() && it != query.end()) s = ParseCount("$skip", *it, &out->skip);
  it = query.find("$sort");
  if (s.ok() && it != query.end()) s = ParseSort(schema, dialect, *it, &out->order_by);
  it = query.find("$select");
  if (s.ok() && it != query.end()) s = ParseSelect(schema, *it, &out->select);
  return s;
}

}  // namespace

Status CoerceQueryValue(const Field& field, const Json& in, Json* out) {
  if (in.is_null()) {
    *out = nullptr;
    return Status::OK();
  }
  switch (field.type) {
    case FieldType::kInteger:
      return CoerceInteger(field, in, out);
    case FieldType::kString:
    case FieldType::kId:
      return CoerceString(field, in, out);
    case FieldType::kEnum:
      return CoerceEnum(field, in, out);
    case FieldType::kJson:
      if (!in.is_object() && !in.is_array()) return InvalidValue(field.name, "an object or array");
      break;
    case FieldType::kContent:
      if (!in.is_string() && !in.is_array()) return InvalidValue(field.name, "a string or array");
      break;
  }
  *out = in;
  return Status::OK();
}

Status TranslateQuery(const ServiceSchema& schema, const Json& query, const QueryLimits& limits,
                      SqlQuery* out, const SqlDialect& dialect) {
  const Json& q = query.is_null() ? EmptyObject() : query;
  if (!q.is_object()) return Status::BadRequest("The query must be an object");
  SqlQuery result;
  result.limit = limits.default_limit;
  Status s = ApplyFilters(schema, q, limits, dialect, &result);
  if (!s.ok()) return s;
  std::vector<std::string> conds;
  s = WhereBuilder(schema, limits, dialect, &result.params).Object(q, 0, &conds);
  if (!s.ok()) return s;
  if (!conds.empty()) result.where = " WHERE " + Join(conds, " AND ");
  *out = std::move(result);
  return Status::OK();
}

}  // namespace agor
