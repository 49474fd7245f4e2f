// The REST router and the dispatcher over a real in-memory store, with real credentials (the
// Authenticator's tokens and keys): what still throws below them is answered, never unwound
// into the event loop; credentials come from Authorization or X-API-Key, and a refused one is
// 401 everywhere but the login itself.
#include "server/api/rest_router.h"

#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>

#include "base/utf8.h"
#include "server/api/api_key.h"
#include "server/api/authenticator.h"
#include "tests/server/api/api_fixture.h"

namespace agor {
namespace {

struct Fixture : test::ApiFixture {
  Fixture() {
    hasher = std::make_unique<PasswordHasher>(
        [this](std::function<void()> fn) { loop.Post(std::move(fn)); }, PasswordHasher::Options());
    REQUIRE(Authenticator::Create(store.get(), hasher.get(), SystemClock(), 3600, &auth).ok());
    dispatcher->SetAuthentication(auth.get(), hasher.get(), &stats);
    router = std::make_unique<RestRouter>(dispatcher.get(), SystemClock(), &stats);
    router->SetCredentials(auth.get());
    token = auth->Issue(admin.user_id);
  }
  HttpResponse Send(HttpRequest req) {
    bool answered = false;
    HttpResponse res;
    router->Handle(req, [&](const HttpResponse& r) {
      answered = true;
      res = r;
    });
    loop.RunUntil([&] { return answered; });
    store->Commit();
    return res;
  }
  // A request with the admin's token (or `auth_header` as the Authorization header).
  HttpResponse Handle(const std::string& method, const std::string& path,
                      const std::string& body = "", const std::string* auth_header = nullptr) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.remote_address = "192.0.2.7";
    req.headers.emplace_back("authorization", auth_header ? *auth_header : "Bearer " + token);
    return Send(req);
  }

  test::TestLoop loop;
  std::unique_ptr<PasswordHasher> hasher;
  std::unique_ptr<Authenticator> auth;
  ServerStats stats;
  std::unique_ptr<RestRouter> router;
  std::string token;
};

}  // namespace

TEST_CASE("rest: a route that throws is a 500 GeneralError, and the next call works", "[api]") {
  Fixture f;
  f.dispatcher->AddRecordRoute("boards", "boom",
                               [](const std::string&, const Json&, const Caller&, Json*) {
                                 throw std::runtime_error("library failure");
                                 return Status::OK();
                               });
  f.dispatcher->AddRecordRoute("boards", "odd",
                               [](const std::string&, const Json&, const Caller&, Json*) {
                                 throw 42;
                                 return Status::OK();
                               });
  for (const char* path : {"/boards/x/boom", "/boards/x/odd"}) {
    HttpResponse res = f.Handle("POST", path, "{}");
    CHECK(res.status == 500);
    CHECK(Json::parse(res.body) == Json{{"name", "GeneralError"},
                                        {"message", "internal error"},
                                        {"code", 500},
                                        {"className", "general-error"}});
  }
  CHECK(f.Handle("POST", "/boards", R"({"name":"after"})").status == 201);
  CHECK(f.stats.http_errors == 2);
}

TEST_CASE("rest: the dispatcher itself answers a throwing call with a GeneralError", "[api]") {
  Fixture f;
  f.dispatcher->AddRecordRoute("boards", "prompt",
                               [](const std::string&, const Json&, const Caller&, Json*) {
                                 throw std::out_of_range("vector::at");
                                 return Status::OK();
                               });
  ServiceCall call;
  call.method = "create";
  call.path = "boards/abc/prompt";
  call.caller = f.admin;
  Json result;
  Status s;
  REQUIRE_NOTHROW(s = f.dispatcher->Call(call, &result));
  CHECK(s.code() == Code::kGeneralError);
}

TEST_CASE("rest: ids from the path and bodies are checked before they are echoed", "[api]") {
  Fixture f;
  HttpResponse bad_id = f.Handle("GET", "/boards/%ff");
  CHECK(bad_id.status == 400);
  CHECK(Json::parse(bad_id.body)["message"] == "invalid UTF-8 in path");
  HttpResponse raw = f.Handle("G\xff", "/boards");  // the method is echoed in the message
  CHECK(raw.status == 405);
  CHECK(IsValidUtf8(raw.body));
  HttpResponse body = f.Handle("POST", "/boards", "{\"name\":\"\xff\"}");
  CHECK(body.status == 400);
  CHECK(Json::parse(body.body)["message"] == "Invalid JSON: invalid UTF-8 at byte 10");
  CHECK(f.Handle("POST", "/boards", "  \r\n").status == 400);  // {}: name is required
}

TEST_CASE("rest: credentials from Authorization or X-API-Key, refused ones are 401", "[api]") {
  Fixture f;
  HttpRequest req;
  req.method = "GET";
  req.path = "/boards";
  HttpResponse none = f.Send(req);
  CHECK(none.status == 401);
  CHECK(Json::parse(none.body)["className"] == "not-authenticated");
  for (std::string bad : {std::string("Bearer nonsense"), std::string("Bearer ") + f.token + "x",
                          std::string("Bearer agor_sk_") + std::string(43, 'A'),
                          std::string("bearer ") + std::string(5000, 'a')}) {
    HttpResponse res = f.Handle("GET", "/boards", "", &bad);
    CHECK(res.status == 401);
    CHECK(res.body.find("nonsense") == std::string::npos);  // never echoed
  }
  std::string lower = "bearer " + f.token;
  CHECK(f.Handle("GET", "/boards", "", &lower).status == 200);
  // An API key, as a Bearer credential or in X-API-Key.
  Json key;
  REQUIRE(f.Call(f.member, "create", "api-keys", nullptr, {{"name", "k"}}, &key).ok());
  std::string bearer_key = "Bearer " + key["key"].get<std::string>();
  CHECK(f.Handle("GET", "/boards", "", &bearer_key).status == 200);
  req.headers = {{"x-api-key", key["key"].get<std::string>()}};
  CHECK(f.Send(req).status == 200);
  // The login itself needs no credential, and a stale one does not stop it.
  std::string stale = "Bearer stale";
  HttpResponse login = f.Handle(
      "POST", "/authentication",
      R"({"strategy":"api-key","api_key":")" + key["key"].get<std::string>() + "\"}", &stale);
  CHECK(login.status == 201);
  CHECK(Json::parse(login.body).contains("accessToken"));
  CHECK(f.stats.logins_ok == 1);
}

TEST_CASE("rest: /metrics off loopback needs an admin, /health stays open", "[api]") {
  Fixture f;
  f.router->SetMetricsPage([] { return std::string("agor_up 1\n"); }, false);
  HttpRequest req;
  req.method = "GET";
  req.path = "/metrics";
  CHECK(f.Send(req).status == 401);
  std::string member = "Bearer " + f.auth->Issue(f.member.user_id);
  CHECK(f.Handle("GET", "/metrics", "", &member).status == 403);
  HttpResponse admin = f.Handle("GET", "/metrics");
  CHECK(admin.status == 200);
  CHECK(admin.body == "agor_up 1\n");
  req.path = "/health";
  CHECK(f.Send(req).status == 200);
  f.router->SetMetricsPage([] { return std::string("agor_up 1\n"); }, true);  // loopback bind
  req.path = "/metrics";
  CHECK(f.Send(req).status == 200);
}

TEST_CASE("rest: the page is served without credentials and shadows no service", "[api]") {
  Fixture f;
  HttpRequest req;
  req.method = "GET";
  req.path = "/";
  HttpResponse page = f.Send(req);  // no Authorization: the page is public, its data is not
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  req.path = "/boards";
  CHECK(f.Send(req).status == 401);  // still the service, which wants a user
  CHECK(f.Handle("GET", "/boards").status == 200);
  req.path = "/health";
  CHECK(f.Send(req).status == 200);
  req.path = "/assets/nothing-00000000.js";
  CHECK(f.Send(req).status == 404);
}

}  // namespace agor
