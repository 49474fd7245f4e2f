#include "base/status.h"

#include <catch2/catch.hpp>

#include "base/utf8.h"

namespace agor {

TEST_CASE("status: a message echoing invalid UTF-8 is made valid", "[status]") {
  Status s = Status::NotFound("No record found for id '\xFF\xC3\x28'");
  CHECK(s.message() == "No record found for id '\xEF\xBF\xBD\xEF\xBF\xBD('");
  CHECK(IsValidUtf8(s.ToJson().dump()));  // the strict writer no longer throws
  CHECK(Status::BadRequest("plain").message() == "plain");
}

TEST_CASE("status: ToJsonText writes data holding invalid UTF-8 without throwing", "[status]") {
  Status s = Status::BadRequest("unknown field", Json{{"field", "a\xFF"}});
  CHECK(s.ToJsonText() ==
        "{\"name\":\"BadRequest\",\"message\":\"unknown field\",\"code\":400,"
        "\"className\":\"bad-request\",\"data\":{\"field\":\"a\xEF\xBF\xBD\"}}");
}

TEST_CASE("status: FromJson reads any answer without throwing", "[status]") {
  CHECK(Status::FromJson(Json("a\xFF")).message() == "\"a\xEF\xBF\xBD\"");
  Status odd = Status::FromJson(Json{{"message", 5}, {"code", "404"}});
  CHECK(odd.code() == Code::kGeneralError);
  CHECK(odd.message() == "unknown error");
  Status found = Status::FromJson(Json{{"message", "gone"}, {"code", 404}});
  CHECK(found.code() == Code::kNotFound);
  CHECK(found.message() == "gone");
}

}  // namespace agor
