#include "base/json.h"

#include <catch2/catch.hpp>
#include <string>

#include "base/utf8.h"

namespace agor {
namespace {

Status Refuse(const std::string& text, const JsonLimits& limits = JsonLimits()) {
  Json out = "untouched";
  Status s = ParseJson(text, &out, limits);
  CHECK(out == "untouched");  // an error leaves the output alone
  CHECK(IsValidUtf8(s.message()));
  CHECK(s.message().find("json.exception") == std::string::npos);  // no library text
  return s;
}

Json Accept(const std::string& text) {
  Json out;
  Status s = ParseJson(text, &out);
  INFO(text.substr(0, 80) << " -> " << s.ToString());
  REQUIRE(s.ok());
  return out;
}

std::string Arrays(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::string Objects(int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += "{\"a\":";
  return text + "1" + std::string(depth, '}');
}

}  // namespace

TEST_CASE("json: one value of any type is accepted, whitespace around it too", "[json]") {
  CHECK(Accept(R"({"name":"x","n":[1,-2,3.5,true,null]})") ==
        Json{{"name", "x"}, {"n", {1, -2, 3.5, true, nullptr}}});
  CHECK(Accept(" \t\r\n[] \n") == Json::array());
  CHECK(Accept("\"\xC3\xA9\"") == "\xC3\xA9");
  CHECK(Accept("18446744073709551615") == Json(18446744073709551615ull));
  CHECK(Accept("-9223372036854775808") == Json(INT64_MIN));
  CHECK(Accept("1e-400") == Json(0.0));  // underflow is zero, as in JavaScript
  CHECK(Accept("1e308").is_number_float());
}

TEST_CASE("json: a byte order mark at the start is skipped", "[json]") {
  CHECK(Accept("\xEF\xBB\xBF{\"a\":1}") == Json{{"a", 1}});
  CHECK(Refuse("\xEF\xBB\xBF").message() == "Invalid JSON: empty text");
  CHECK(Refuse("[\xEF\xBB\xBF]").code() == Code::kBadRequest);  // only at the start
}

TEST_CASE("json: empty text is refused", "[json]") {
  CHECK(Refuse("").message() == "Invalid JSON: empty text");
  CHECK(Refuse(" \r\n\t").message() == "Invalid JSON: empty text");
}

TEST_CASE("json: nesting at the depth limit passes, one level more is refused", "[json]") {
  CHECK(Accept(Arrays(kMaxJsonDepth)).is_array());
  CHECK(Accept(Objects(kMaxJsonDepth)).is_object());
  CHECK(Refuse(Arrays(kMaxJsonDepth + 1)).message() ==
        "Invalid JSON: nested deeper than 64 levels");
  CHECK(Refuse(Objects(kMaxJsonDepth + 1)).message() ==
        "Invalid JSON: nested deeper than 64 levels");
  JsonLimits two;
  two.max_depth = 2;
  Json out;
  CHECK(ParseJson("[[1]]", &out, two).ok());
  CHECK(Refuse("[[[1]]]", two).code() == Code::kBadRequest);
}

TEST_CASE("json: a body 60,000 levels deep is refused without building it", "[json]") {
  CHECK(Refuse(Arrays(60000)).message() == "Invalid JSON: nested deeper than 64 levels");
  CHECK(Refuse("{\"position\":" + Objects(100000) + "}").code() == Code::kBadRequest);
  CHECK(Refuse(std::string(1000000, '[')).code() == Code::kBadRequest);  // unterminated
}

TEST_CASE("json: numbers out of range are refused", "[json]") {
  CHECK(Refuse("1e400").message() == "Invalid JSON: number out of range: '1e400'");
  CHECK(Refuse("-1e400").message() == "Invalid JSON: number out of range: '-1e400'");
  CHECK(Refuse("[1,1E+999]").code() == Code::kBadRequest);
  CHECK(Refuse("18446744073709551616").message() ==
        "Invalid JSON: number out of range: '18446744073709551616'");
  CHECK(Refuse("-9223372036854775809").code() == Code::kBadRequest);
  CHECK(Refuse(R"({"x":)" + std::string(400, '9') + "}").message() ==
        "Invalid JSON: number out of range: '" + std::string(32, '9') + "...'");
}

TEST_CASE("json: bytes after the value are refused", "[json]") {
  CHECK(Refuse("{} x").message() == "Invalid JSON: unexpected text after the value at byte 4");
  CHECK(Refuse("1 2").message() == "Invalid JSON: unexpected text after the value at byte 3");
  CHECK(Refuse("{}}").code() == Code::kBadRequest);
  CHECK(Refuse("[]\"").code() == Code::kBadRequest);
  CHECK(Refuse(std::string("{}\0junk", 7)).message() == "Invalid JSON: NUL byte at byte 3");
  CHECK(Refuse(std::string("1\0", 2)).message() == "Invalid JSON: NUL byte at byte 2");
}

TEST_CASE("json: invalid UTF-8 is refused in keys, values and between tokens", "[json]") {
  CHECK(Refuse("{\"name\":\"\xFF\"}").message() == "Invalid JSON: invalid UTF-8 at byte 10");
  CHECK(Refuse("{\"\xC3\x28\":1}").message() == "Invalid JSON: invalid UTF-8 at byte 3");
  CHECK(Refuse("[\"\xED\xA0\x80\"]").code() == Code::kBadRequest);    // a surrogate
  CHECK(Refuse("[\"ok\xF0\x9F\x98\"]").code() == Code::kBadRequest);  // truncated
  CHECK(Refuse("\xFF").code() == Code::kBadRequest);
  CHECK(Refuse(R"(["\ud800"])").code() == Code::kBadRequest);  // a lone surrogate escape
}

TEST_CASE("json: syntax errors name the place, never the library", "[json]") {
  CHECK(Refuse(R"({"a":tru})").message() ==
        R"(Invalid JSON: syntax error at byte 9 near '"a":tru}')");
  CHECK(Refuse("{").message() == "Invalid JSON: syntax error at byte 1 near '{'");
  CHECK(Refuse("[1,]").code() == Code::kBadRequest);
  CHECK(Refuse("\"a\x01\"").message().find("<U+0001>") != std::string::npos);
  // The token shown stops inside a character: what is shown is still valid UTF-8.
  CHECK(Refuse("[tr\xC3\xA9]").code() == Code::kBadRequest);
}

TEST_CASE("json: text over max_bytes is refused before parsing", "[json]") {
  JsonLimits small;
  small.max_bytes = 8;
  CHECK(Refuse("[1,2,3,4]", small).code() == Code::kPayloadTooLarge);
  CHECK(Refuse("[1,2,3,4]", small).message() == "Invalid JSON: text over 8 bytes");
  Json out;
  CHECK(ParseJson("[1,2,3]", &out, small).ok());
}

TEST_CASE("json: objects with more members than the limit are refused", "[json]") {
  std::string text = "{";
  for (size_t i = 0; i <= kMaxJsonObjectKeys; ++i) {
    text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  }
  CHECK(Refuse(text + "}").message() == "Invalid JSON: an object has more than 1000 members");
  const size_t cut = text.rfind(',');
  CHECK(Accept(text.substr(0, cut) + "}").size() == kMaxJsonObjectKeys);
  // The bound is per object, not per text.
  CHECK(Accept("[" + text.substr(0, cut) + "}," + text.substr(0, cut) + "}]").size() == 2);
}

TEST_CASE("json: DumpJson replaces invalid UTF-8 instead of throwing", "[json]") {
  CHECK(DumpJson(Json{{"id", "a\xFF"}}) == "{\"id\":\"a\xEF\xBF\xBD\"}");
  CHECK(DumpJson(Json::array({1, "x"})) == R"([1,"x"])");
}

}  // namespace agor
