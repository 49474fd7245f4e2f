// Tests of store/query: Feathers queries → parameterized SQL, every operator, filter, error
// message and limit, plus a run of the produced SQL on SQLite and PostgreSQL.
#include "store/query.h"

#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/pg_connection.h"
#include "store/pg_session.h"
#include "store/record_codec.h"
#include "store/sqlite_session.h"
#include "tests/store/engine_fixture.h"
#include "tests/support/postgres_server.h"

namespace agor {
namespace {

Json J(const char* text) {
  return Json::parse(text);
}

const ServiceSchema& Service(const char* name) {
  const ServiceSchema* s = FindService(name);
  REQUIRE(s != nullptr);
  return *s;
}

SqlQuery Translate(const char* service, const Json& query, const QueryLimits& limits = {}) {
  SqlQuery out;
  Status s = TranslateQuery(Service(service), query, limits, &out);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return out;
}

Status Refuse(const char* service, const Json& query, const QueryLimits& limits = {}) {
  SqlQuery out;
  Status s = TranslateQuery(Service(service), query, limits, &out);
  CHECK(s.code() == Code::kBadRequest);
  return s;
}

std::vector<Json> Params(std::vector<Json> values) {
  return values;
}

// An object {"$or": [{"$or": [... {"name": "x"} ...]}]} with `levels` levels.
Json NestedOr(int levels) {
  Json q = J(R"({"name": "x"})");
  for (int i = 0; i < levels; ++i) q = Json{{"$or", Json::array({q})}};
  return q;
}

}  // namespace

TEST_CASE("query: empty and null queries select everything with the default limit") {
  for (const Json& q : {Json(nullptr), Json::object()}) {
    SqlQuery out = Translate("boards", q);
    CHECK(out.where.empty());
    CHECK(out.params.empty());
    CHECK(out.order_by.empty());
    CHECK(out.select.empty());
    CHECK(out.limit == 100);
    CHECK(out.skip == 0);
  }
}

TEST_CASE("query: a query that is not an object is refused") {
  for (const char* q : {R"([1])", R"("name")", "3", "true"}) {
    CHECK(Refuse("boards", J(q)).message() == "The query must be an object");
  }
}

TEST_CASE("query: equality binds the value and quotes the column") {
  SqlQuery out = Translate("boards", J(R"({"name": "first", "slug": "f"})"));
  CHECK(out.where == R"( WHERE "name" = ? AND "slug" = ?)");
  CHECK(out.params == Params({"first", "f"}));
}

TEST_CASE("query: null means IS NULL") {
  SqlQuery out = Translate("sessions", J(R"({"repo_id": null})"));
  CHECK(out.where == R"( WHERE "repo_id" IS NULL)");
  CHECK(out.params.empty());
}

TEST_CASE("query: REST strings on an integer field become integers (messages.index)") {
  SqlQuery out = Translate("messages", J(R"({"index": "3", "session_id": "s"})"));
  CHECK(out.where == R"( WHERE "index" = ? AND "session_id" = ?)");
  REQUIRE(out.params.size() == 2);
  CHECK(out.params[0].is_number_integer());
  CHECK(out.params[0] == 3);
  CHECK(out.params[1] == "s");
  out = Translate("messages", J(R"({"index": {"$gte": "-2", "$lt": 10}})"));
  CHECK(out.where == R"( WHERE "index" >= ? AND "index" < ?)");
  CHECK(out.params == Params({-2, 10}));
}

TEST_CASE("query: numbers on string and id fields become decimal strings") {
  SqlQuery out = Translate("boards", J(R"({"name": 42, "board_id": {"$in": [7, "x"]}})"));
  CHECK(out.params == Params({"42", R"(["7","x"])"}));
}

TEST_CASE("query: comparison operators") {
  struct Case {
    const char* op;
    const char* sql;
  };
  for (const Case& c : {Case{"$lt", "<"}, Case{"$lte", "<="}, Case{"$gt", ">"}, Case{"$gte", ">="},
                        Case{"$ne", "<>"}}) {
    SECTION(c.op) {
      SqlQuery out = Translate("messages", Json{{"index", Json{{c.op, 5}}}});
      CHECK(out.where == std::string(R"( WHERE "index" )") + c.sql + " ?");
      CHECK(out.params == Params({5}));
    }
  }
}

TEST_CASE("query: $ne null means IS NOT NULL") {
  SqlQuery out = Translate("tasks", J(R"({"error": {"$ne": null}})"));
  CHECK(out.where == R"( WHERE "error" IS NOT NULL)");
  CHECK(out.params.empty());
}

TEST_CASE("query: $in and $nin") {
  SqlQuery out = Translate("sessions", J(R"({"board_id": {"$in": ["a", "b", "c"]}})"));
  CHECK(out.where == R"( WHERE "board_id" IN (SELECT value FROM json_each(?)))");
  CHECK(out.params == Params({R"(["a","b","c"])"}));
  out = Translate("sessions", J(R"({"status": {"$nin": ["idle", "failed"]}})"));
  CHECK(out.where == R"( WHERE "status" NOT IN (SELECT value FROM json_each(?)))");
  CHECK(out.params == Params({R"(["idle","failed"])"}));
}

TEST_CASE("query: empty $in matches nothing, empty $nin everything") {
  CHECK(Translate("boards", J(R"({"name": {"$in": []}})")).where == " WHERE 1 = 0");
  CHECK(Translate("boards", J(R"({"name": {"$nin": []}})")).where == " WHERE 1 = 1");
}

TEST_CASE("query: a lone value in $in counts as a one-element list") {
  SqlQuery out = Translate("boards", J(R"({"visibility": {"$in": "team"}})"));
  CHECK(out.where == R"( WHERE "visibility" IN (SELECT value FROM json_each(?)))");
  CHECK(out.params == Params({R"(["team"])"}));
}

TEST_CASE("query: several operators on one field are ANDed") {
  SqlQuery out = Translate("messages", J(R"({"index": {"$gt": 1, "$lte": "4", "$ne": 3}})"));
  CHECK(out.where == R"( WHERE "index" > ? AND "index" <= ? AND "index" <> ?)");
  CHECK(out.params == Params({1, 4, 3}));
}

TEST_CASE("query: an empty operator object adds no condition") {
  CHECK(Translate("boards", J(R"({"name": {}})")).where.empty());
}

TEST_CASE("query: $or and $and") {
  SqlQuery out = Translate("boards", J(R"({"$or": [{"name": "x"}, {"slug": "y"}]})"));
  CHECK(out.where == R"( WHERE ("name" = ? OR "slug" = ?))");
  CHECK(out.params == Params({"x", "y"}));

  out = Translate("boards", J(R"({"$and": [{"name": "x"}, {"slug": "y"}]})"));
  CHECK(out.where == R"( WHERE ("name" = ? AND "slug" = ?))");

  out = Translate("boards",
                  J(R"({"color": "red", "$or": [{"name": "x", "slug": "y"}, {"icon": null}]})"));
  CHECK(out.where == R"( WHERE "color" = ? AND (("name" = ? AND "slug" = ?) OR "icon" IS NULL))");
  CHECK(out.params == Params({"red", "x", "y"}));
}

TEST_CASE("query: nested $or/$and keep their grouping") {
  SqlQuery out = Translate(
      "messages",
      J(R"({"$or": [{"$and": [{"index": 1}, {"role": "user"}]}, {"$or": [{"type": "a"}, {"type": "b"}]}]})"));
  CHECK(out.where == R"( WHERE (("index" = ? AND "role" = ?) OR ("type" = ? OR "type" = ?)))");
  CHECK(out.params == Params({1, "user", "a", "b"}));
}

TEST_CASE("query: empty $or/$and and empty sub-queries add nothing (as knex)") {
  CHECK(Translate("boards", J(R"({"$or": []})")).where.empty());
  CHECK(Translate("boards", J(R"({"$and": [{}, {}]})")).where.empty());
  SqlQuery out = Translate("boards", J(R"({"$or": [{}, {"name": "x"}]})"));
  CHECK(out.where == R"( WHERE "name" = ?)");
}

TEST_CASE("query: $or/$and must be arrays of objects") {
  for (const char* q : {R"({"$or": {"name": "x"}})", R"({"$or": "name"})", R"({"$or": ["x"]})",
                        R"({"$and": [[{"name": "x"}]]})", R"({"$or": [null]})"}) {
    INFO(q);
    Status s = Refuse("boards", J(q));
    CHECK((s.message() == "$or must be an array of queries" ||
           s.message() == "$and must be an array of queries"));
  }
}

TEST_CASE("query: $or/$and nesting is bounded by max_depth") {
  QueryLimits limits;
  CHECK(limits.max_depth == 6);
  CHECK(Translate("boards", NestedOr(6)).params == Params({"x"}));
  CHECK(Refuse("boards", NestedOr(7)).message() ==
        "Query is nested too deeply (max 6 levels of $or/$and)");
  limits.max_depth = 1;
  CHECK(Translate("boards", NestedOr(1), limits).where == R"( WHERE "name" = ?)");
  CHECK(Refuse("boards", NestedOr(2), limits).message() ==
        "Query is nested too deeply (max 1 levels of $or/$and)");
  limits.max_depth = 0;
  Refuse("boards", NestedOr(1), limits);
}

TEST_CASE("query: filters are refused inside $or/$and and operators at the top level") {
  CHECK(Refuse("boards", J(R"({"$or": [{"$limit": 1}]})")).message() ==
        "Invalid query operator $limit");
  CHECK(Refuse("boards", J(R"({"$or": [{"$foo": 1}]})")).message() ==
        "Invalid query operator $foo");
  CHECK(Refuse("boards", J(R"({"$in": ["a"]})")).message() == "Invalid filter value $in");
}

TEST_CASE("query: unknown top-level $ keys are invalid filters (Feathers message)") {
  Status s = Refuse("boards", J(R"({"$foo": 1})"));
  CHECK(s.message() == "Invalid filter value $foo");
  CHECK(s.data().is_null());
  CHECK(s.ToJson().dump() ==
        R"({"name":"BadRequest","message":"Invalid filter value $foo","code":400,)"
        R"("className":"bad-request"})");
  CHECK(Refuse("boards", J(R"({"$": 1})")).message() == "Invalid filter value $");
  CHECK(Refuse("boards", J(R"({"$populate": "x"})")).message() == "Invalid filter value $populate");
}

TEST_CASE("query: unknown operators inside a field") {
  CHECK(Refuse("boards", J(R"({"name": {"$like": "x%"}})")).message() ==
        "Invalid query operator $like");
  CHECK(Refuse("boards", J(R"({"name": {"$or": [{"name": "x"}]}})")).message() ==
        "Invalid query operator $or");
  CHECK(Refuse("boards", J(R"({"name": {"$limit": 1}})")).message() ==
        "Invalid query operator $limit");
  Status s = Refuse("boards", J(R"({"name": {"foo": 1}})"));
  CHECK(s.message().rfind("Invalid value for 'name': expected a value or an object", 0) == 0);
  CHECK(s.data() == J(R"({"field": "name"})"));
}

TEST_CASE("query: unknown fields are refused with their name") {
  Status s = Refuse("boards", J(R"({"junk": 1})"));
  CHECK(s.message() == "Unknown field 'junk' in query");
  CHECK(s.data() == J(R"({"field": "junk"})"));
  CHECK(s.ToJson()["data"] == J(R"({"field": "junk"})"));
  // Fields of another service are unknown here.
  CHECK(Refuse("boards", J(R"({"session_id": "x"})")).message() ==
        "Unknown field 'session_id' in query");
  CHECK(Refuse("boards", J(R"({"": "x"})")).message() == "Unknown field '' in query");
  CHECK(Refuse("boards", J(R"({"$or": [{"nope": 1}]})")).data() == J(R"({"field": "nope"})"));
}

TEST_CASE("query: JSON and content fields are not queryable") {
  for (const char* field : {"content", "tool_uses", "metadata"}) {
    INFO(field);
    Status s = Refuse("messages", Json{{field, "x"}});
    CHECK(s.message() == std::string("Field '") + field + "' can not be used in a query");
    CHECK(s.data() == Json{{"field", field}});
  }
  CHECK(Refuse("sessions", J(R"({"position": {"$ne": null}})")).data() ==
        J(R"({"field": "position"})"));
  CHECK(Refuse("tasks", J(R"({"$sort": {"message_range": 1}})")).message() ==
        "Field 'message_range' can not be used in a query");
}

TEST_CASE("query: values must be scalars") {
  CHECK(Refuse("boards", J(R"({"name": ["a", "b"]})")).message() ==
        "Invalid value for 'name': expected a single value (use $in to match several)");
  CHECK(Refuse("boards", J(R"({"name": {"$gt": ["a"]}})")).message() ==
        "Invalid value for 'name': expected a string");
  CHECK(Refuse("boards", J(R"({"name": {"$ne": {"a": 1}}})")).message() ==
        "Invalid value for 'name': expected a string");
  CHECK(Refuse("boards", J(R"({"name": {"$in": [["a"]]}})")).message() ==
        "Invalid value for 'name': expected a string");
  CHECK(Refuse("boards", J(R"({"name": {"$in": [{"a": 1}]}})")).message() ==
        "Invalid value for 'name': expected a string");
  CHECK(Refuse("boards", J(R"({"name": {"$nin": {"a": 1}}})")).message() ==
        "Invalid value for 'name': expected an array of values for $nin");
  CHECK(Refuse("messages", J(R"({"index": {"$in": [1, [2]]}})")).message() ==
        "Invalid value for 'index': expected an integer");
}

TEST_CASE("query: integer fields refuse bools, fractions and non-numeric strings") {
  for (const char* v :
       {"true", "1.5", R"("abc")", R"("3.0")", R"("")", R"(" 3")", R"("3 ")", R"("+3")",
        R"("0x10")", R"("99999999999999999999")", "18446744073709551615"}) {
    INFO(v);
    Status s = Refuse("messages", J((std::string(R"({"index": )") + v + "}").c_str()));
    CHECK(s.message() == "Invalid value for 'index': expected an integer");
    CHECK(s.data() == J(R"({"field": "index"})"));
  }
  CHECK(Translate("tasks", J(R"({"duration_ms": "-9223372036854775808"})")).params ==
        Params({INT64_MIN}));
}

TEST_CASE("query: string fields refuse bools") {
  CHECK(Refuse("boards", J(R"({"name": true})")).message() ==
        "Invalid value for 'name': expected a string");
  CHECK(Refuse("boards", J(R"({"board_id": false})")).message() ==
        "Invalid value for 'board_id': expected a string");
}

TEST_CASE("query: enum values must be one of the choices") {
  CHECK(Translate("sessions", J(R"({"status": "running"})")).params == Params({"running"}));
  Status s = Refuse("sessions", J(R"({"status": "bogus"})"));
  CHECK(s.message() ==
        "Invalid value for 'status': expected one of idle, running, awaiting_permission, "
        "completed, failed");
  CHECK(s.data() == J(R"({"field": "status"})"));
  CHECK(Refuse("boards", J(R"({"visibility": {"$in": ["team", "secret"]}})")).message() ==
        "Invalid value for 'visibility': expected one of team, private");
  Refuse("boards", J(R"({"visibility": 1})"));
  Refuse("messages", J(R"({"role": "User"})"));
  CHECK(Translate("boards", J(R"({"visibility": null})")).where ==
        R"( WHERE "visibility" IS NULL)");
}

TEST_CASE("query: injection attempts in values stay bound parameters") {
  const std::string evil = "'; DROP TABLE boards; --";
  Json query = {{"name", evil}, {"slug", {{"$in", Json::array({evil, "\" OR 1=1"})}}}};
  SqlQuery out = Translate("boards", query);
  CHECK(out.where == R"( WHERE "name" = ? AND "slug" IN (SELECT value FROM json_each(?)))");
  CHECK(out.params == Params({evil, Json::array({evil, "\" OR 1=1"}).dump()}));
  CHECK(out.where.find("DROP") == std::string::npos);
}

TEST_CASE("query: injection attempts in field names are unknown fields") {
  for (const char* name :
       {"name\" OR 1=1 --", "name[", "name]", "name[$in]", "\"name\"", "name; DROP TABLE boards",
        "boards.name", "NAME", " name", "or", "1=1", "*"}) {
    INFO(name);
    Status s = Refuse("boards", Json{{name, "x"}});
    CHECK(s.message() == std::string("Unknown field '") + name + "' in query");
    CHECK(s.data() == Json{{"field", name}});
    Refuse("boards", Json{{"$sort", {{name, 1}}}});
    Refuse("boards", Json{{"$select", Json::array({name})}});
  }
}

TEST_CASE("query: $limit defaults, clamps, accepts 0 and REST strings") {
  CHECK(Translate("boards", J("{}")).limit == 100);
  CHECK(Translate("boards", J(R"({"$limit": 2})")).limit == 2);
  CHECK(Translate("boards", J(R"({"$limit": "2"})")).limit == 2);
  CHECK(Translate("boards", J(R"({"$limit": 0})")).limit == 0);
  CHECK(Translate("boards", J(R"({"$limit": "0"})")).limit == 0);
  CHECK(Translate("boards", J(R"({"$limit": 1000})")).limit == 1000);
  CHECK(Translate("boards", J(R"({"$limit": 5000})")).limit == 1000);
  CHECK(Translate("boards", J(R"({"$limit": "9223372036854775807"})")).limit == 1000);
  QueryLimits limits;
  limits.default_limit = 10;
  limits.max_limit = 50;
  CHECK(Translate("boards", J("{}"), limits).limit == 10);
  CHECK(Translate("boards", J(R"({"$limit": 51})"), limits).limit == 50);
  limits.default_limit = 500;
  CHECK(Translate("boards", J("{}"), limits).limit == 50);
}

TEST_CASE("query: $limit and $skip must be non-negative integers") {
  for (const char* v : {"-1", R"("-1")", R"("abc")", R"("5abc")", "1.5", "true", "null", "[1]",
                        R"({"a": 1})", R"("")", "18446744073709551615"}) {
    INFO(v);
    CHECK(Refuse("boards", J((std::string(R"({"$limit": )") + v + "}").c_str())).message() ==
          "$limit must be a non-negative integer");
    CHECK(Refuse("boards", J((std::string(R"({"$skip": )") + v + "}").c_str())).message() ==
          "$skip must be a non-negative integer");
  }
}

TEST_CASE("query: $skip") {
  CHECK(Translate("boards", J(R"({"$skip": 20})")).skip == 20);
  CHECK(Translate("boards", J(R"({"$skip": "7", "$limit": "3"})")).skip == 7);
  CHECK(Translate("boards", J(R"({"$skip": 0})")).skip == 0);
}

TEST_CASE("query: $sort keeps the order of its keys") {
  SqlQuery out = Translate("boards", J(R"({"$sort": {"created_at": -1, "name": 1}})"));
  CHECK(out.order_by == R"( ORDER BY "created_at" DESC, "name" ASC)");
  out = Translate("boards", J(R"({"$sort": {"name": "1", "created_at": "-1"}})"));
  CHECK(out.order_by == R"( ORDER BY "name" ASC, "created_at" DESC)");
  out = Translate("messages", J(R"({"$sort": {"index": 1}})"));
  CHECK(out.order_by == R"( ORDER BY "index" ASC NULLS LAST)");  // a queued message's null
  CHECK(out.where.empty());
  out = Translate("messages", J(R"({"$sort": {"index": -1}})"));
  CHECK(out.order_by == R"( ORDER BY "index" DESC NULLS FIRST)");
  CHECK(Translate("boards", J(R"({"$sort": {}})")).order_by.empty());
  CHECK(Translate("boards", J(R"({"$sort": null})")).order_by.empty());
}

TEST_CASE("query: $sort refuses other directions and unknown fields") {
  for (const char* v : {"0", "2", R"("asc")", R"("desc")", R"("")", "1.0", "true", "null", "[1]"}) {
    INFO(v);
    Status s = Refuse("boards", J((std::string(R"({"$sort": {"name": )") + v + "}}").c_str()));
    CHECK(s.message() == "Invalid $sort direction for 'name': expected 1 or -1");
    CHECK(s.data() == J(R"({"field": "name"})"));
  }
  CHECK(Refuse("boards", J(R"({"$sort": {"junk": 1}})")).message() ==
        "Unknown field 'junk' in query");
  CHECK(Refuse("boards", J(R"({"$sort": "name"})")).message() ==
        "$sort must be an object of field: 1 or -1");
  Refuse("boards", J(R"({"$sort": [["name", 1]]})"));
}

TEST_CASE("query: $select always includes the id field") {
  SqlQuery out =
      Translate("messages", J(R"({"$select": ["index", "role", "content", "task_id"]})"));
  CHECK(out.select ==
        std::vector<std::string>{"index", "role", "content", "task_id", "message_id"});
  out = Translate("boards", J(R"({"$select": ["board_id", "name"]})"));
  CHECK(out.select == std::vector<std::string>{"board_id", "name"});
  out = Translate("boards", J(R"({"$select": ["name", "board_id"]})"));
  CHECK(out.select == std::vector<std::string>{"name", "board_id"});
  out = Translate("boards", J(R"({"$select": "name"})"));
  CHECK(out.select == std::vector<std::string>{"name", "board_id"});
  out = Translate("boards", J(R"({"$select": ["name", "name", "slug", "name"]})"));
  CHECK(out.select == std::vector<std::string>{"name", "slug", "board_id"});
  out = Translate("boards", J(R"({"$select": []})"));
  CHECK(out.select == std::vector<std::string>{"board_id"});
  CHECK(Translate("boards", J(R"({"$select": null})")).select.empty());
}

TEST_CASE("query: $select refuses unknown fields and non-strings") {
  Status s = Refuse("boards", J(R"({"$select": ["name", "junk"]})"));
  CHECK(s.message() == "Unknown field 'junk' in query");
  CHECK(s.data() == J(R"({"field": "junk"})"));
  CHECK(Refuse("boards", J(R"({"$select": ""})")).message() == "Unknown field '' in query");
  for (const char* v : {"[1]", R"([["name"]])", R"({"name": 1})", "true", "[null]"}) {
    INFO(v);
    CHECK(Refuse("boards", J((std::string(R"({"$select": )") + v + "}").c_str())).message() ==
          "$select must be an array of field names");
  }
}

TEST_CASE("query: filters and conditions together") {
  SqlQuery out = Translate(
      "messages",
      J(R"({"session_id": "s1", "$sort": {"index": 1}, "$limit": "2", "$skip": "4", "$select": ["index"], "role": {"$ne": "system"}})"));
  CHECK(out.where == R"( WHERE "session_id" = ? AND "role" <> ?)");
  CHECK(out.params == Params({"s1", "system"}));
  CHECK(out.order_by == R"( ORDER BY "index" ASC NULLS LAST)");
  CHECK(out.select == std::vector<std::string>{"index", "message_id"});
  CHECK(out.limit == 2);
  CHECK(out.skip == 4);
}

TEST_CASE("query: $in/$nin size is bounded by max_values") {
  QueryLimits limits;
  limits.max_values = 3;
  CHECK(Translate("boards", J(R"({"name": {"$in": ["a", "b", "c"]}})"), limits).params.size() == 1);
  Status s = Refuse("boards", J(R"({"name": {"$in": ["a", "b", "c", "d"]}})"), limits);
  CHECK(s.message() == "Too many values in $in for 'name' (max 3)");
  CHECK(s.data() == J(R"({"field": "name"})"));
  CHECK(Refuse("boards", J(R"({"name": {"$nin": ["a", "b", "c", "d"]}})"), limits).message() ==
        "Too many values in $nin for 'name' (max 3)");
  Json big = Json::array();
  for (int i = 0; i < 1001; ++i) big.push_back(std::to_string(i));
  Refuse("boards", Json{{"name", {{"$in", big}}}});
  big.erase(big.size() - 1);
  CHECK(Translate("boards", Json{{"name", {{"$in", big}}}}).params[0] == big.dump());
}

TEST_CASE("query: the number of terms is bounded by max_values") {
  QueryLimits limits;
  limits.max_values = 4;
  CHECK(Translate("boards", J(R"({"$or": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})"), limits)
            .params.size() == 3);
  CHECK(Refuse("boards",
               J(R"({"$or": [{"name": "a"}, {"name": "b"}, {"slug": {"$gt": "c", "$lt": "d"}}]})"),
               limits)
            .message() == "Query has too many terms (max 4)");
  Json many = Json::array();
  for (int i = 0; i < 1001; ++i) many.push_back({{"name", std::to_string(i)}});
  Refuse("boards", Json{{"$or", many}});
}

TEST_CASE("query: bound parameters stay under SQLite's variable limit") {
  QueryLimits limits;
  limits.max_values = 100000;
  Json terms = Json::array();
  for (int i = 0; i < 40000; ++i) terms.push_back({{"name", "v"}});
  CHECK(Refuse("boards", Json{{"$or", terms}}, limits).message() ==
        "Query has too many values (max 32000)");
}

TEST_CASE("query: a refused query leaves the output untouched") {
  SqlQuery out;
  out.where = "keep";
  out.limit = 7;
  Status s =
      TranslateQuery(Service("boards"), J(R"({"$limit": 3, "junk": 1})"), QueryLimits(), &out);
  CHECK_FALSE(s.ok());
  CHECK(out.where == "keep");
  CHECK(out.limit == 7);
}

TEST_CASE("query: CoerceQueryValue") {
  const ServiceSchema& messages = Service("messages");
  const Field& index = *messages.FindField("index");
  const Field& role = *messages.FindField("role");
  const Field& id = *messages.FindField("message_id");
  const Field& content = *messages.FindField("content");
  const Field& metadata = *messages.FindField("metadata");
  Json out;
  CHECK(CoerceQueryValue(index, Json("12"), &out).ok());
  CHECK(out == 12);
  CHECK(out.is_number_integer());
  CHECK(CoerceQueryValue(index, Json(-4), &out).ok());
  CHECK(out == -4);
  CHECK(CoerceQueryValue(index, Json("007"), &out).ok());
  CHECK(out == 7);
  CHECK(CoerceQueryValue(index, Json(nullptr), &out).ok());
  CHECK(out.is_null());
  CHECK_FALSE(CoerceQueryValue(index, Json(true), &out).ok());
  CHECK(CoerceQueryValue(id, Json(12), &out).ok());
  CHECK(out == "12");
  CHECK(CoerceQueryValue(id, Json(1.5), &out).ok());
  CHECK(out == "1.5");
  CHECK(CoerceQueryValue(role, Json("assistant"), &out).ok());
  CHECK(out == "assistant");
  CHECK(CoerceQueryValue(role, Json(nullptr), &out).ok());
  Status s = CoerceQueryValue(role, Json("robot"), &out);
  CHECK(s.message() == "Invalid value for 'role': expected one of user, assistant, system");
  CHECK(s.data() == J(R"({"field": "role"})"));
  // For record validation: JSON fields take objects/arrays, content a string or blocks.
  CHECK(CoerceQueryValue(metadata, J(R"({"a": 1})"), &out).ok());
  CHECK(CoerceQueryValue(metadata, J("[1]"), &out).ok());
  CHECK(CoerceQueryValue(metadata, Json("x"), &out).message() ==
        "Invalid value for 'metadata': expected an object or array");
  CHECK(CoerceQueryValue(content, Json("text"), &out).ok());
  CHECK(CoerceQueryValue(content, J(R"([{"type": "text", "text": "hi"}])"), &out).ok());
  CHECK(CoerceQueryValue(content, Json(3), &out).message() ==
        "Invalid value for 'content': expected a string or array");
}

// The produced SQL, run on each engine through its SqlSession (SQLite in memory, a PostgreSQL
// database of its own): the quoting, NULL handling and binding really work on both.
namespace {

class Db {
 public:
  Db(const std::string& engine, const std::string& name) {
    if (engine == "sqlite") {
      sqlite_ = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
      session_ = std::make_unique<SqliteSession>(sqlite_.get());
    } else {
      pg_ = std::make_unique<PgConnection>();
      REQUIRE(pg_->Open(test::PostgresServer::Shared().CreateDatabase(name)).ok());
      session_ = std::make_unique<PgSession>(pg_.get());
    }
    const SqlDialect& d = session_->dialect();
    const std::string text = d.text_type();
    Exec("CREATE TABLE messages (message_id " + text + " PRIMARY KEY, session_id " + text +
         ", task_id " + text + ", \"index\" " + d.integer_type() + ", role " + text + ", type " +
         text + ", content " + text + ", tool_uses " + text + ", metadata " + text +
         ", timestamp " + text + ")");
    Exec(R"(INSERT INTO messages (message_id, session_id, task_id, "index", role, type) VALUES
            ('m0', 's1', 't1', 0, 'user', NULL), ('m1', 's1', 't1', 1, 'assistant', 'text'),
            ('m2', 's1', NULL, 2, 'assistant', 'tool'), ('m3', 's2', 't2', 0, 'system', 'text'),
            ('m4', 's2', 't2', 10, 'user', NULL))");
  }

  // message_ids matching `query`, in the query's order (or by id when it has none).
  std::vector<std::string> Ids(const Json& query) {
    SqlQuery q;
    REQUIRE(TranslateQuery(Service("messages"), query, {}, &q, session_->dialect()).ok());
    std::string sql = "SELECT message_id FROM messages" + q.where +
                      (q.order_by.empty() ? " ORDER BY message_id" : q.order_by) +
                      " LIMIT ? OFFSET ?";
    std::vector<SqlValue> params;
    for (const Json& p : q.params) params.push_back(QueryParam(p));
    params.emplace_back(q.limit);
    params.emplace_back(q.skip);
    SqlResult r;
    Status s = session_->Query(sql, params, &r);
    INFO(sql << ": " << s.ToString());
    REQUIRE(s.ok());
    std::vector<std::string> ids;
    for (const SqlRow& row : r.rows) ids.push_back(row[0].text());
    return ids;
  }

 private:
  void Exec(const std::string& sql) {
    Status s = session_->Exec(sql);
    INFO(sql << ": " << s.ToString());
    REQUIRE(s.ok());
  }

  std::unique_ptr<SQLite::Database> sqlite_;
  std::unique_ptr<PgConnection> pg_;
  std::unique_ptr<SqlSession> session_;
};

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("query: the SQL runs on both engines with the expected rows", "[pg]") {
  const std::string engine = test::EachEngine();
  CAPTURE(engine);
  Db db(engine, "query_rows");
  CHECK(db.Ids(J("{}")) == Ids{"m0", "m1", "m2", "m3", "m4"});
  CHECK(db.Ids(J(R"({"index": "0"})")) == Ids{"m0", "m3"});
  CHECK(db.Ids(J(R"({"index": {"$gt": "1"}})")) == Ids{"m2", "m4"});
  CHECK(db.Ids(J(R"({"index": {"$gte": 1, "$lt": 10}})")) == Ids{"m1", "m2"});
  CHECK(db.Ids(J(R"({"index": {"$lte": 0}})")) == Ids{"m0", "m3"});
  CHECK(db.Ids(J(R"({"task_id": null})")) == Ids{"m2"});
  CHECK(db.Ids(J(R"({"task_id": {"$ne": null}})")) == Ids{"m0", "m1", "m3", "m4"});
  // knex semantics: $ne and $nin do not match NULLs.
  CHECK(db.Ids(J(R"({"type": {"$ne": "text"}})")) == Ids{"m2"});
  CHECK(db.Ids(J(R"({"type": {"$nin": ["tool"]}})")) == Ids{"m1", "m3"});
  CHECK(db.Ids(J(R"({"role": {"$in": ["user", "system"]}})")) == Ids{"m0", "m3", "m4"});
  CHECK(db.Ids(J(R"({"role": {"$in": []}})")).empty());
  CHECK(db.Ids(J(R"({"role": {"$nin": []}})")).size() == 5);
  CHECK(db.Ids(J(R"({"$or": [{"index": 10}, {"session_id": "s1", "role": "user"}]})")) ==
        Ids{"m0", "m4"});
  CHECK(
      db.Ids(J(
          R"({"$and": [{"session_id": "s2"}, {"$or": [{"index": 0}, {"role": "assistant"}]}]})")) ==
      Ids{"m3"});
  CHECK(db.Ids(J(R"({"$sort": {"index": -1, "message_id": 1}})")) ==
        Ids{"m4", "m2", "m1", "m0", "m3"});
  CHECK(
      db.Ids(J(R"({"$sort": {"index": "1", "session_id": "-1"}, "$limit": "2", "$skip": "1"})")) ==
      Ids{"m0", "m1"});
  CHECK(db.Ids(J(R"({"session_id": "'; DROP TABLE messages; --"})")).empty());
  CHECK(db.Ids(J("{}")).size() == 5);
}

}  // namespace agor

namespace agor {

TEST_CASE("query: $in/$nin of any length share one SQL text") {
  const std::string first = Translate("sessions", J(R"({"board_id": {"$in": ["a"]}})")).where;
  Json list = Json::array();
  for (int n = 1; n <= 999; ++n) {
    list.push_back("b" + std::to_string(n));
    SqlQuery out = Translate("sessions", Json{{"board_id", {{"$in", list}}}});
    REQUIRE(out.where == first);
    REQUIRE(out.params.size() == 1);
  }
  CHECK(Translate("sessions", Json{{"board_id", {{"$nin", list}}}}).params.size() == 1);
}

TEST_CASE("query: an $in list with text that is not UTF-8 is refused") {
  Json query = {{"name", {{"$in", Json::array({"ok", std::string("\xff\xfe")})}}}};
  CHECK(Refuse("boards", query).message() == "Invalid value for 'name': expected valid UTF-8 text");
}

TEST_CASE("query: $in/$nin lists run on both engines with integers, text and NULL", "[pg]") {
  const std::string engine = test::EachEngine();
  CAPTURE(engine);
  Db db(engine, "query_lists");
  CHECK(db.Ids(J(R"({"index": {"$in": [0, "10"]}})")) == Ids{"m0", "m3", "m4"});
  CHECK(db.Ids(J(R"({"index": {"$nin": [0, 1, 2]}})")) == Ids{"m4"});
  CHECK(db.Ids(J(R"({"index": {"$in": "2"}})")) == Ids{"m2"});
  // As with bound lists, a NULL in the list matches nothing, and NOT IN with it nothing at all.
  CHECK(db.Ids(J(R"({"type": {"$in": ["tool", null]}})")) == Ids{"m2"});
  CHECK(db.Ids(J(R"({"type": {"$nin": ["tool", null]}})")).empty());
  CHECK(db.Ids(J(R"({"session_id": {"$in": ["s2", "s2", "ünï"]}, "role": {"$nin": ["user"]}})")) ==
        Ids{"m3"});
}

}  // namespace agor
