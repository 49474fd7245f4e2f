// The REST router and the dispatcher over a real in-memory store: what still throws below them
// is answered, never unwound into the event loop.
#include "server/api/rest_router.h"

#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>

#include "base/clock.h"
#include "base/utf8.h"
#include "store/store.h"

namespace agor {
namespace {

struct Fixture {
  Fixture() {
    StoreOptions options;
    options.path = ":memory:";
    REQUIRE(Store::Open(options, SystemClock(), &store).ok());
    dispatcher = std::make_unique<Dispatcher>(store.get());
    router = std::make_unique<RestRouter>(dispatcher.get(), SystemClock(), &stats);
  }
  HttpResponse Handle(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.body = body;
    HttpResponse res;
    router->Handle(req, &res);
    return res;
  }

  std::unique_ptr<Store> store;
  std::unique_ptr<Dispatcher> dispatcher;
  ServerStats stats;
  std::unique_ptr<RestRouter> router;
};

}  // namespace

TEST_CASE("rest: a route that throws is a 500 GeneralError, and the next call works", "[api]") {
  Fixture f;
  f.dispatcher->AddRecordRoute("boards", "boom", [](const std::string&, const Json&, Json*) {
    throw std::runtime_error("library failure");
    return Status::OK();
  });
  f.dispatcher->AddRecordRoute("boards", "odd", [](const std::string&, const Json&, Json*) {
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
  f.dispatcher->AddRecordRoute("sessions", "prompt", [](const std::string&, const Json&, Json*) {
    throw std::out_of_range("vector::at");
    return Status::OK();
  });
  ServiceCall call;
  call.method = "create";
  call.path = "sessions/abc/prompt";
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

}  // namespace agor
