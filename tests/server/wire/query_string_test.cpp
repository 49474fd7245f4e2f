// Tests of server/query_string: the qs nested syntax of Feathers REST clients, decoding, and
// every bound and malformed input.
#include "server/wire/query_string.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {
namespace {

Json J(const char* text) {
  return Json::parse(text);
}

Json Parse(const std::string& raw) {
  Json out;
  Status s = ParseQueryString(raw, &out);
  INFO(raw << " -> " << s.ToString());
  REQUIRE(s.ok());
  return out;
}

Status Refuse(const std::string& raw) {
  Json out = "untouched";
  Status s = ParseQueryString(raw, &out);
  INFO(raw);
  CHECK(s.code() == Code::kBadRequest);
  CHECK(out == "untouched");
  return s;
}

std::string Repeat(const std::string& part, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i == 0 ? "" : "&") + part;
  return out;
}

}  // namespace

TEST_CASE("query string: empty input is an empty object") {
  CHECK(Parse("") == Json::object());
  CHECK(Parse("").is_object());
  CHECK(Parse("?") == Json::object());
  CHECK(Parse("&&&") == Json::object());
}

TEST_CASE("query string: plain keys, values stay strings") {
  CHECK(Parse("name=first&$limit=5&index=3") ==
        J(R"({"name": "first", "$limit": "5", "index": "3"})"));
  CHECK(Parse("?name=x") == J(R"({"name": "x"})"));
}

TEST_CASE("query string: keys keep their first-seen order") {
  Json out = Parse("b=1&a=2&c=3");
  CHECK(out.dump() == R"({"b":"1","a":"2","c":"3"})");
  out = Parse("$sort[name]=1&$sort[created_at]=-1&$sort[index]=1");
  CHECK(out.dump() == R"({"$sort":{"name":"1","created_at":"-1","index":"1"}})");
}

TEST_CASE("query string: missing and empty values") {
  CHECK(Parse("a") == J(R"({"a": ""})"));
  CHECK(Parse("a=") == J(R"({"a": ""})"));
  CHECK(Parse("a=&b") == J(R"({"a": "", "b": ""})"));
  CHECK(Parse("a==b") == J(R"({"a": "=b"})"));
}

TEST_CASE("query string: parameters without a key are skipped") {
  CHECK(Parse("=x&a=1") == J(R"({"a": "1"})"));
  CHECK(Parse("&a=1&") == J(R"({"a": "1"})"));
}

TEST_CASE("query string: percent-decoding, + is a space") {
  CHECK(Parse("name=hello+world") == J(R"({"name": "hello world"})"));
  CHECK(Parse("name=a%20b%2Bc%26d%3De") == J(R"({"name": "a b+c&d=e"})"));
  CHECK(Parse("na%6De=x") == J(R"({"name": "x"})"));
  CHECK(Parse("name=%C3%A9t%C3%A9") == J(R"({"name": "été"})"));
  CHECK(Parse("name=%e2%82%ac") == J(R"({"name": "€"})"));
  CHECK(Parse("name=%F0%9F%98%80") == J(R"({"name": "😀"})"));
  CHECK(Parse("a+b=c") == J(R"({"a b": "c"})"));
  CHECK(Parse("name=%00")["name"] == std::string(1, '\0'));
}

TEST_CASE("query string: encoded brackets work like literal ones") {
  CHECK(Parse("%24sort%5Bcreated_at%5D=-1") == J(R"({"$sort": {"created_at": "-1"}})"));
  CHECK(Parse("board_id%5B%24in%5D%5B%5D=a&board_id%5B%24in%5D%5B%5D=b") ==
        J(R"({"board_id": {"$in": ["a", "b"]}})"));
}

TEST_CASE("query string: brackets in values are plain text") {
  CHECK(Parse("name=a[b]c") == J(R"({"name": "a[b]c"})"));
  CHECK(Parse("name=%5B") == J(R"({"name": "["})"));
}

TEST_CASE("query string: nested objects") {
  CHECK(Parse("$sort[created_at]=-1") == J(R"({"$sort": {"created_at": "-1"}})"));
  CHECK(Parse("index[$gt]=1&index[$lte]=4") == J(R"({"index": {"$gt": "1", "$lte": "4"}})"));
  CHECK(Parse("a[b][c][d]=x") == J(R"({"a": {"b": {"c": {"d": "x"}}}})"));
}

TEST_CASE("query string: arrays with []") {
  CHECK(Parse("board_id[$in][]=a&board_id[$in][]=b") == J(R"({"board_id": {"$in": ["a", "b"]}})"));
  CHECK(Parse("$select[]=name") == J(R"({"$select": ["name"]})"));
  CHECK(Parse("$select[]=name&$select[]=slug") == J(R"({"$select": ["name", "slug"]})"));
  CHECK(Parse("a[]=") == J(R"({"a": [""]})"));
}

TEST_CASE("query string: arrays with indices, compacted in index order") {
  CHECK(Parse("board_id[$in][0]=a") == J(R"({"board_id": {"$in": ["a"]}})"));
  CHECK(Parse("board_id[$in][0]=a&board_id[$in][1]=b") ==
        J(R"({"board_id": {"$in": ["a", "b"]}})"));
  CHECK(Parse("a[1]=b&a[0]=a") == J(R"({"a": ["a", "b"]})"));
  CHECK(Parse("a[5]=x&a[1000]=z&a[20]=y") == J(R"({"a": ["x", "y", "z"]})"));
  CHECK(Parse("a[0]=x&a[]=y") == J(R"({"a": ["x", "y"]})"));
  CHECK(Parse("a[]=x&a[1]=y") == J(R"({"a": ["x", "y"]})"));
}

TEST_CASE("query string: $or / $and of objects") {
  CHECK(Parse("$or[0][name]=x&$or[1][slug]=y") == J(R"({"$or": [{"name": "x"}, {"slug": "y"}]})"));
  CHECK(Parse("$or[0][name]=x&$or[0][slug]=y") == J(R"({"$or": [{"name": "x", "slug": "y"}]})"));
  CHECK(Parse("$or[1][slug]=y&$or[0][name]=x") == J(R"({"$or": [{"name": "x"}, {"slug": "y"}]})"));
  CHECK(Parse("$and[0][$or][0][index][$in][]=1&$and[0][$or][1][role]=user") ==
        J(R"({"$and": [{"$or": [{"index": {"$in": ["1"]}}, {"role": "user"}]}]})"));
}

TEST_CASE("query string: repeated plain keys become arrays") {
  CHECK(Parse("a=1&a=2") == J(R"({"a": ["1", "2"]})"));
  CHECK(Parse("a=1&b=x&a=2&a=3") == J(R"({"a": ["1", "2", "3"], "b": "x"})"));
  CHECK(Parse("a=1&a[]=2") == J(R"({"a": ["1", "2"]})"));
  CHECK(Parse("a[]=1&a=2") == J(R"({"a": ["1", "2"]})"));
  CHECK(Parse("a[b]=1&a[b]=2") == J(R"({"a": {"b": ["1", "2"]}})"));
  CHECK(Parse("a[0]=1&a[0]=2") == J(R"({"a": [["1", "2"]]})"));
}

TEST_CASE("query string: keys that look numeric but are not indices stay object keys") {
  CHECK(Parse("a[01]=x") == J(R"({"a": {"01": "x"}})"));
  CHECK(Parse("a[-1]=x") == J(R"({"a": {"-1": "x"}})"));
  CHECK(Parse("0=x") == J(R"({"0": "x"})"));
}

TEST_CASE("query string: a REST find query, end to end") {
  CHECK(Parse("session_id=s1&$sort[index]=1&$select[]=index&$select[]=role&$limit=2&$skip=0") ==
        J(R"({"session_id": "s1", "$sort": {"index": "1"}, "$select": ["index", "role"],)"
          R"( "$limit": "2", "$skip": "0"})"));
}

TEST_CASE("query string: malformed brackets are refused") {
  for (const char* raw :
       {"a[b=1", "a]=1", "a]b=1", "[a]=1", "[]=1", "a[b]c=1", "a[b[c]]=1", "a[b]]=1", "a[[b]]=1",
        "a[][b]=1", "a[][]=1", "a[]x=1", "a[=1", "a%5Bb=1", "%5Da=1"}) {
    Status s = Refuse(raw);
    CHECK(s.message().rfind("Malformed query parameter '", 0) == 0);
  }
  CHECK(Refuse("a[b=1").message() == "Malformed query parameter 'a[b'");
}

TEST_CASE("query string: malformed percent escapes are refused") {
  for (const char* raw : {"a=%", "a=%4", "a=%zz", "a=%4g", "a%=1", "a=1%", "%=1", "a=%%41"}) {
    CHECK(Refuse(raw).message() == "Malformed percent escape in query string");
  }
}

TEST_CASE("query string: invalid UTF-8 is refused") {
  for (const char* raw : {"a=%FF", "a=%C3", "a=%C3%28", "a=%C0%AF", "a=%E0%80%AF", "a=%ED%A0%80",
                          "a=%F4%90%80%80", "%FF=1", "a=%80"}) {
    CHECK(Refuse(raw).message() == "Invalid UTF-8 in query string");
  }
}

TEST_CASE("query string: keys that mix shapes are refused") {
  for (const char* raw : {"a=1&a[b]=2", "a[b]=1&a=2", "a[b]=1&a[]=2", "a[0]=1&a[b]=2",
                          "a[b]=1&a[0]=2", "a[]=1&a[b]=2", "a[b]=1&a[b][c]=2"}) {
    CHECK(Refuse(raw).message().rfind("Conflicting query parameter '", 0) == 0);
  }
}

TEST_CASE("query string: bracket depth is bounded") {
  CHECK(kMaxQueryDepth == 8);
  CHECK(Parse("a[1][2][3][4][5][6][7][]=x").is_object());
  CHECK(Parse("a[b][c][d][e][f][g][h][i]=x")["a"]["b"]["c"]["d"]["e"]["f"]["g"]["h"]["i"] == "x");
  CHECK(Refuse("a[b][c][d][e][f][g][h][i][j]=x").message() ==
        "Query parameter 'a[b][c][d][e][f][g][h][i][j]' is nested too deeply (max 8 levels)");
  Refuse("a[0][0][0][0][0][0][0][0][]=x");
}

TEST_CASE("query string: the number of parameters is bounded") {
  CHECK(Parse(Repeat("a[]=x", 1000))["a"].size() == 1000);
  CHECK(Parse(Repeat("a=x", 1000) + "&&&")["a"].size() == 1000);
  CHECK(Refuse(Repeat("a[]=x", 1001)).message() == "Too many query parameters (max 1000)");
  Refuse(Repeat("a=x", 5000));
}

TEST_CASE("query string: the total size is bounded") {
  const std::string value(kMaxQueryStringBytes - 2, 'x');
  CHECK(Parse("a=" + value)["a"].get<std::string>().size() == value.size());
  CHECK(Refuse("a=" + value + "x").message() == "Query string too long (max 16384 bytes)");
}

TEST_CASE("query string: an $in list is bounded by the parameter count") {
  CHECK(Parse(Repeat("id[$in][]=x", 1000))["id"]["$in"].size() == 1000);
  CHECK(Refuse(Repeat("id[$in][]=x", 1001)).message() == "Too many query parameters (max 1000)");
  std::string indexed;
  for (int i = 0; i <= 1000; ++i) indexed += "id[$in][" + std::to_string(i) + "]=x&";
  CHECK(Refuse(indexed).message() == "Too many query parameters (max 1000)");
}

TEST_CASE("query string: numbers out of range stay strings for the schema to refuse") {
  CHECK(Parse("$limit=99999999999999999999999&$skip=1e400") ==
        J(R"({"$limit": "99999999999999999999999", "$skip": "1e400"})"));
  CHECK(Parse("a[0099]=x") == J(R"({"a": {"0099": "x"}})"));  // not an index
}

TEST_CASE("query string: array indices are bounded") {
  CHECK(Parse("a[1000]=x") == J(R"({"a": ["x"]})"));
  CHECK(Refuse("a[1001]=x").message() ==
        "Array index too large in query parameter 'a[1001]' (max 1000)");
  Refuse("a[99999999999999999999999]=x");
  Refuse("$or[5000][name]=x");
}

TEST_CASE("query string: long keys are cut in error messages at a character boundary") {
  std::string key = "k" + std::string(62, 'a');
  for (int i = 0; i < 10; ++i) key += "%C3%A9";
  Status s = Refuse(key + "]=1");
  CHECK(s.message().size() < 120);
  CHECK(s.message().find("...'") != std::string::npos);
  CHECK_NOTHROW(s.ToJson().dump());
}

TEST_CASE("query string: errors render as Feathers BadRequest JSON") {
  Status s = Refuse("a[1001]=x");
  Json error = s.ToJson();
  CHECK(error["name"] == "BadRequest");
  CHECK(error["code"] == 400);
  CHECK(error["className"] == "bad-request");
}

}  // namespace agor
