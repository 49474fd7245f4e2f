#include "store/pg_session.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace agor {
namespace {

// pg_type OIDs (catalog constants, stable across versions).
constexpr unsigned kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23;
constexpr unsigned kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

const char kHex[] = "0123456789abcdef";

// bytea's text form: \x and two hex digits a byte (bytea_output = hex, the default since 9.0).
std::string HexBytea(const std::string& bytes) {
  std::string out = "\\x";
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

SqlValue FromHexBytea(const std::string& text) {
  std::string bytes;
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    bytes += static_cast<char>(HexDigit(text[i]) * 16 + HexDigit(text[i + 1]));
  }
  return SqlValue::Blob(std::move(bytes));
}

// numeric is what SUM and AVG of integers answer: an integral one reads as SQLite's would.
SqlValue FromNumeric(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == 0 && end && *end == '\0') return SqlValue(static_cast<int64_t>(v));
  return SqlValue(std::strtod(text.c_str(), nullptr));
}

SqlValue Cell(const PgValue& v, unsigned type) {
  if (!v) return SqlValue();
  switch (type) {
    case kInt2:
    case kInt4:
    case kInt8:
      return SqlValue(static_cast<int64_t>(std::strtoll(v->c_str(), nullptr, 10)));
    case kFloat4:
    case kFloat8:
      return SqlValue(std::strtod(v->c_str(), nullptr));
    case kNumeric:
      return FromNumeric(*v);
    case kBool:
      return SqlValue(static_cast<int64_t>(*v == "t" ? 1 : 0));
    case kBytea:
      return FromHexBytea(*v);
    default:
      return SqlValue(*v);
  }
}

// %.17g: a double's text that reads back as the same double.
std::string RealText(double d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

void Param(const SqlValue& v, std::vector<PgValue>* values, std::vector<unsigned>* types) {
  switch (v.type()) {
    case SqlValue::Type::kNull:
      values->emplace_back();
      types->push_back(0);
      return;
    case SqlValue::Type::kInteger:
      values->emplace_back(std::to_string(v.integer()));
      types->push_back(kInt8);
      return;
    case SqlValue::Type::kReal:
      values->emplace_back(RealText(v.real()));
      types->push_back(kFloat8);
      return;
    case SqlValue::Type::kText:
      values->emplace_back(v.text());
      types->push_back(0);
      return;
    case SqlValue::Type::kBlob:
      values->emplace_back(HexBytea(v.text()));
      types->push_back(kBytea);
      return;
  }
}

}  // namespace

// The store's SQL texts are few, but a query's shape makes new ones: past the bound the cache
// starts over (translating is linear in the text, far cheaper than the round trip).
const PgSession::Translated& PgSession::Translate(const std::string& sql) {
  auto found = translations_.find(sql);
  if (found != translations_.end()) return found->second;
  if (translations_.size() >= kMaxTranslations) translations_.clear();
  Translated t;
  t.sql = NumberPlaceholders(sql, &t.placeholders);
  return translations_.emplace(sql, std::move(t)).first->second;
}

Status PgSession::Run(const std::string& sql, const SqlValue* params, size_t count,
                      SqlResult* out) {
  const Translated& t = Translate(sql);
  if (t.placeholders != count) {
    return Status::GeneralError("the statement has " + std::to_string(t.placeholders) +
                                " parameters, given " + std::to_string(count));
  }
  std::vector<PgValue> values;
  std::vector<unsigned> types;
  for (size_t i = 0; i < count; ++i) Param(params[i], &values, &types);
  PgResult result;
  Status s = conn_->ExecBounded(t.sql, values, types, {limits().max_rows, limits().max_bytes},
                                out ? &result : nullptr);
  if (!s.ok() || !out) return s;
  out->affected = result.affected();
  for (size_t r = 0; r < result.rows(); ++r) {
    SqlRow row;
    row.reserve(result.columns());
    for (size_t c = 0; c < result.columns(); ++c)
      row.push_back(Cell(result.at(r, c), result.type(c)));
    out->rows.push_back(std::move(row));
  }
  return s;
}

}  // namespace agor
