#include "store/record_codec.h"

#include <SQLiteCpp/Column.h>

#include <cstdio>
#include <cstdlib>
#include <limits>

#include "base/json.h"

namespace agor {
namespace {

// What was stored passed the entry rule when it was written; reading it back keeps the depth
// bound (a value stored before the rule may be deeper) but not the per-object key bound, which
// guards the parser's time against hostile text, not stored records.
const JsonLimits kStoredJson{kMaxJsonBytes, kMaxJsonDepth, std::numeric_limits<size_t>::max()};

}  // namespace

void BindFieldValue(SQLite::Statement& st, int index, const Field* field, const Json& value) {
  bool as_json = field && (field->type == FieldType::kJson || field->type == FieldType::kContent);
  if (value.is_null()) {
    st.bind(index);
  } else if (as_json) {
    st.bind(index, DumpJson(value));
  } else {
    BindQueryValue(st, index, value);
  }
}

void BindQueryValue(SQLite::Statement& st, int index, const Json& value) {
  if (value.is_null()) {
    st.bind(index);
  } else if (value.is_boolean()) {
    st.bind(index, value.get<bool>() ? 1 : 0);
  } else if (value.is_number_integer()) {
    st.bind(index, value.get<int64_t>());
  } else if (value.is_number()) {
    st.bind(index, value.get<double>());
  } else if (value.is_string()) {
    st.bind(index, value.get_ref<const std::string&>());
  } else {
    st.bind(index, DumpJson(value));
  }
}

Json ReadRecord(SQLite::Statement& st, const std::vector<const Field*>& columns) {
  Json record = Json::object();
  for (size_t i = 0; i < columns.size(); ++i) {
    const Field* f = columns[i];
    SQLite::Column c = st.getColumn(static_cast<int>(i));
    if (c.isNull()) {
      record[f->name] = nullptr;
    } else if (f->type == FieldType::kInteger) {
      record[f->name] = c.getInt64();
    } else if (f->type == FieldType::kJson || f->type == FieldType::kContent) {
      // Text that is not (bounded) JSON comes back as the string it is.
      const std::string text = c.getString();
      Json v;
      record[f->name] = ParseJson(text, &v, kStoredJson).ok() ? std::move(v) : Json(text);
    } else {
      record[f->name] = c.getString();
    }
  }
  return record;
}

SqlValue FieldParam(const Field* field, const Json& value) {
  bool as_json = field && (field->type == FieldType::kJson || field->type == FieldType::kContent);
  if (as_json && !value.is_null()) return SqlValue(DumpJson(value));
  return QueryParam(value);
}

SqlValue QueryParam(const Json& value) {
  if (value.is_null()) return SqlValue();
  if (value.is_boolean()) return SqlValue(int64_t{value.get<bool>() ? 1 : 0});
  if (value.is_number_integer()) return SqlValue(value.get<int64_t>());
  if (value.is_number()) return SqlValue(value.get<double>());
  if (value.is_string()) return SqlValue(value.get<std::string>());
  return SqlValue(DumpJson(value));
}

// A cell of another type than the field's (SQLite keeps what was written) reads as SQLite's
// own conversion would have: text of an integer field as its number, a number as its text.
Json RecordFromRow(const SqlRow& row, const std::vector<const Field*>& columns) {
  Json record = Json::object();
  for (size_t i = 0; i < columns.size() && i < row.size(); ++i) {
    const Field* f = columns[i];
    const SqlValue& c = row[i];
    if (c.is_null()) {
      record[f->name] = nullptr;
    } else if (f->type == FieldType::kInteger) {
      record[f->name] = c.type() == SqlValue::Type::kInteger ? c.integer()
                        : c.type() == SqlValue::Type::kReal
                            ? static_cast<int64_t>(c.real())
                            : static_cast<int64_t>(std::strtoll(c.text().c_str(), nullptr, 10));
    } else if (c.type() == SqlValue::Type::kInteger) {
      record[f->name] = std::to_string(c.integer());
    } else if (c.type() == SqlValue::Type::kReal) {
      char text[32];
      snprintf(text, sizeof text, "%.15g", c.real());
      record[f->name] = std::string(text);
    } else if (f->type == FieldType::kJson || f->type == FieldType::kContent) {
      Json v;
      record[f->name] = ParseJson(c.text(), &v, kStoredJson).ok() ? std::move(v) : Json(c.text());
    } else {
      record[f->name] = c.text();
    }
  }
  return record;
}

std::vector<const Field*> AllColumns(const ServiceSchema& schema) {
  std::vector<const Field*> out;
  for (const auto& f : schema.fields) out.push_back(&f);
  return out;
}

std::string ColumnList(const std::vector<const Field*>& columns) {
  std::string out;
  for (const Field* f : columns) {
    if (!out.empty()) out += ", ";
    out += '"';
    out += f->name;
    out += '"';
  }
  return out;
}

}  // namespace agor
