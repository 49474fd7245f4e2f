#include "base/json.h"

#include <algorithm>
#include <vector>

#include "base/utf8.h"

namespace agor {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr size_t kShownTokenBytes = 32;

Status Invalid(const std::string& problem) {
  return Status::BadRequest("Invalid JSON: " + problem);
}

// The offset of the first NUL byte or byte that starts no well-formed UTF-8 sequence, npos
// when there is none. nlohmann takes a NUL outside a string for the end of the input, so
// "1\0junk" would pass as 1: NULs are refused here, wherever they are.
size_t FirstBadByte(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return i;
    const size_t n = c < 0x80 ? 1 : Utf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// An integer literal (no fraction, no exponent) that fit neither int64 nor uint64, which
// nlohmann hands over as a rounded double.
bool IsIntegerLiteral(const std::string& raw) {
  return raw.find_first_of(".eE") == std::string::npos;
}

// nlohmann's DOM builder behind the checks that must run before a value is built: depth, keys
// per object, integer range. It keeps its own stack (a vector), so no input makes it recurse.
class LimitedDomParser {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  LimitedDomParser(Json* root, size_t size, const JsonLimits& limits)
      : dom_(*root, false), limits_(limits), size_(size) {}

  bool null() { return Value(dom_.null()); }
  bool boolean(bool v) { return Value(dom_.boolean(v)); }
  bool number_integer(number_integer_t v) { return Value(dom_.number_integer(v)); }
  bool number_unsigned(number_unsigned_t v) { return Value(dom_.number_unsigned(v)); }
  bool number_float(number_float_t v, const string_t& raw) {
    if (IsIntegerLiteral(raw)) return Fail(Invalid("number out of range: " + Shown(raw)));
    return Value(dom_.number_float(v, raw));
  }
  bool string(string_t& v) { return Value(dom_.string(v)); }
  bool binary(binary_t& v) { return Value(dom_.binary(v)); }

  bool start_object(std::size_t n) {
    if (!Enter()) return false;
    keys_.push_back(0);
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    if (++keys_.back() > limits_.max_object_keys) {
      return Fail(Invalid("an object has more than " + std::to_string(limits_.max_object_keys) +
                          " members"));
    }
    return dom_.key(k);
  }
  bool end_object() {
    keys_.pop_back();
    return Leave(dom_.end_object());
  }
  bool start_array(std::size_t n) { return Enter() && dom_.start_array(n); }
  bool end_array() { return Leave(dom_.end_array()); }

  // `position` counts the bytes read, the end of input included: it is clamped to the text.
  bool parse_error(std::size_t position, const std::string& token,
                   const nlohmann::detail::exception& ex) {
    const std::string at = " at byte " + std::to_string(std::min(position, size_));
    if (ex.id == 406) return Fail(Invalid("number out of range: " + Shown(token)));
    if (complete_) return Fail(Invalid("unexpected text after the value" + at));
    return Fail(Invalid("syntax error" + at + " near " + Shown(token)));
  }

  const Status& error() const { return error_; }

 private:
  // `token` quoted, cut short and made valid UTF-8 (a token may end inside a sequence).
  static std::string Shown(const std::string& token) {
    std::string shown = ToValidUtf8(token, kShownTokenBytes);
    return "'" + shown + (shown.size() < token.size() ? "...'" : "'");
  }

  bool Enter() {
    if (++depth_ <= limits_.max_depth) return true;
    return Fail(Invalid("nested deeper than " + std::to_string(limits_.max_depth) + " levels"));
  }
  bool Leave(bool ok) {
    --depth_;
    return Value(ok);
  }
  // A value ended: when it is the root, anything but whitespace after it is an error.
  bool Value(bool ok) {
    if (depth_ == 0) complete_ = true;
    return ok;
  }
  bool Fail(Status status) {
    error_ = std::move(status);
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  const JsonLimits& limits_;
  size_t size_;  // of the text
  int depth_ = 0;
  std::vector<size_t> keys_;  // members so far in each open object
  bool complete_ = false;
  Status error_;
};

// The checks on the raw bytes, before the parser sees them.
Status CheckText(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::PayloadTooLarge("Invalid JSON: text over " + std::to_string(limits.max_bytes) +
                                   " bytes");
  }
  const size_t bad = FirstBadByte(text);
  if (bad != std::string_view::npos) {
    return Invalid((text[bad] == '\0' ? "NUL byte" : "invalid UTF-8") + std::string(" at byte ") +
                   std::to_string(bad + 1));  // 1-based, as nlohmann counts
  }
  std::string_view rest = text.substr(0, kBom.size()) == kBom ? text.substr(kBom.size()) : text;
  if (rest.find_first_not_of(" \t\r\n") == std::string_view::npos) return Invalid("empty text");
  return Status::OK();
}

}  // namespace

Status ParseJson(std::string_view text, Json* out, const JsonLimits& limits) {
  Status status = CheckText(text, limits);
  if (!status.ok()) return status;
  Json result;
  LimitedDomParser handler(&result, text.size(), limits);
  try {
    if (!Json::sax_parse(text.data(), text.data() + text.size(), &handler)) {
      return handler.error().ok() ? Invalid("syntax error") : handler.error();
    }
  } catch (const std::exception&) {  // allocation failures: the parser reports its own errors
    return Status::GeneralError("could not parse JSON");
  }
  *out = std::move(result);
  return Status::OK();
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string StringField(const Json& object, const char* key) {
  auto it = object.is_object() ? object.find(key) : object.end();
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace agor
