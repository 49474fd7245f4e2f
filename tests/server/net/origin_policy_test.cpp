// Tests of server/net/origin_policy: allowed and refused origins, the daemon's own origins,
// refusals quoting the Origin as valid UTF-8, CORS headers and the preflight answer.
#include "server/net/origin_policy.h"

#include <catch2/catch.hpp>

#include "base/utf8.h"

namespace agor {
namespace {

HttpRequest From(const std::string& origin, const std::string& method = "GET") {
  HttpRequest req;
  req.method = method;
  req.path = "/boards";
  if (!origin.empty()) req.headers.emplace_back("origin", origin);
  return req;
}

std::string HeaderOf(const HttpResponse& res, const std::string& name) {
  for (const auto& [n, v] : res.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

HttpRequest Preflight(const std::string& origin, const std::string& method,
                      const std::string& headers) {
  HttpRequest req = From(origin, "OPTIONS");
  req.headers.emplace_back("access-control-request-method", method);
  if (!headers.empty()) req.headers.emplace_back("access-control-request-headers", headers);
  return req;
}

}  // namespace

TEST_CASE("origin policy: listed origins and requests without Origin pass", "[server][net]") {
  OriginPolicy policy({"http://localhost:5173"});
  CHECK(policy.Check(From("")).ok());
  CHECK(policy.Check(From("http://localhost:5173")).ok());
  Status s = policy.Check(From("https://evil.example"));
  CHECK(s.http_status() == 403);
  CHECK(s.message().find("https://evil.example") != std::string::npos);
  CHECK(policy.Check(From("http://localhost:5174")).http_status() == 403);
}

TEST_CASE("origin policy: the daemon's own origins", "[server][net]") {
  auto own = OriginPolicy::OwnOrigins(
      3030, {"localhost", "127.0.0.1", "[::1]", "127.0.0.1", "0.0.0.0", "[::]", "agor.internal"});
  CHECK(own == std::vector<std::string>{"http://localhost:3030", "http://127.0.0.1:3030",
                                        "http://[::1]:3030", "http://agor.internal:3030"});
  OriginPolicy policy(own);
  CHECK(policy.Check(From("http://127.0.0.1:3030")).ok());
  CHECK(policy.Check(From("http://127.0.0.1:3031")).http_status() == 403);
}

TEST_CASE("origin policy: an Origin with invalid bytes is refused, quoted as valid UTF-8",
          "[server][net]") {
  OriginPolicy policy({"http://localhost:5173"});
  for (std::string origin : {std::string("\xff"), std::string("http://localhost:5173\xff"),
                             std::string("http://a\x01\x02\x7f"),
                             std::string("http://\xed\xa0\x80"), std::string(10000, '\xfe')}) {
    Status s = policy.Check(From(origin));
    REQUIRE(s.http_status() == 403);
    CHECK(IsValidUtf8(s.message()));
    CHECK(s.message().size() < 1000);
    CHECK_NOTHROW(s.ToJson().dump());
    HttpResponse res;
    policy.AddCorsHeaders(From(origin), &res);
    CHECK(res.headers.empty());  // never echoed
  }
}

TEST_CASE("origin policy: CORS headers only for an allowed Origin", "[server][net]") {
  OriginPolicy policy({"http://localhost:5173"});
  HttpResponse res;
  policy.AddCorsHeaders(From("http://localhost:5173"), &res);
  CHECK(HeaderOf(res, "Access-Control-Allow-Origin") == "http://localhost:5173");
  CHECK(HeaderOf(res, "Access-Control-Allow-Credentials") == "true");
  CHECK(HeaderOf(res, "Vary") == "Origin");
  HttpResponse other;
  policy.AddCorsHeaders(From("https://evil.example"), &other);
  CHECK(other.headers.empty());
}

TEST_CASE("origin policy: a preflight gets methods, the API's headers and a max age",
          "[server][net]") {
  OriginPolicy policy({"http://localhost:5173"});
  CHECK(OriginPolicy::IsPreflight(Preflight("http://localhost:5173", "POST", "")));
  CHECK_FALSE(OriginPolicy::IsPreflight(From("http://localhost:5173", "OPTIONS")));
  CHECK_FALSE(OriginPolicy::IsPreflight(Preflight("", "POST", "")));

  HttpResponse res = policy.Preflight(Preflight("http://localhost:5173", "POST", "Content-Type"));
  CHECK(res.status == 204);
  CHECK(res.body.empty());
  CHECK(HeaderOf(res, "Access-Control-Allow-Origin") == "http://localhost:5173");
  CHECK(HeaderOf(res, "Access-Control-Allow-Methods").find("POST") != std::string::npos);
  CHECK(HeaderOf(res, "Access-Control-Allow-Methods").find("PATCH") != std::string::npos);
  CHECK(HeaderOf(res, "Access-Control-Allow-Headers") == "content-type");
  CHECK(HeaderOf(res, "Access-Control-Max-Age") == "600");

  res = policy.Preflight(
      Preflight("http://localhost:5173", "PATCH", " authorization ,X-Evil,content-type"));
  CHECK(HeaderOf(res, "Access-Control-Allow-Headers") == "content-type, authorization");
  res = policy.Preflight(Preflight("http://localhost:5173", "PATCH", "x-evil, cookie"));
  CHECK(HeaderOf(res, "Access-Control-Allow-Headers") == "<absent>");
}

}  // namespace agor
