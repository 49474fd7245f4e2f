// The dispatcher's write checks (how the node adds the agents' rules): they run before every
// create/update/patch/remove with the id as sent, never before reads, and a refusal is the
// call's answer with nothing written.
#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "tests/server/api/api_fixture.h"

namespace agor {
namespace {

test::ApiFixture* fixture = nullptr;

ServiceCall Call(const std::string& method, const std::string& path, const Json& id = nullptr,
                 const Json& data = nullptr) {
  ServiceCall call;
  call.method = method;
  call.path = path;
  call.id = id;
  call.data = data;
  call.query = Json::object();
  call.caller = fixture->admin;
  return call;
}

TEST_CASE("dispatcher: write checks run before each write, and a refusal writes nothing", "[api]") {
  test::ApiFixture f;
  fixture = &f;
  Dispatcher& dispatcher = *f.dispatcher;
  std::vector<std::string> seen;
  dispatcher.AddWriteCheck([&](const ServiceCall& call, const std::string& id) {
    seen.push_back(call.method + " " + call.path + " " + id);
    if (call.data.is_object() && call.data.contains("name") && call.data["name"] == "refused")
      return Status::BadRequest("name refused", Json{{"field", "name"}});
    return Status::OK();
  });
  Json board, result;
  REQUIRE(dispatcher.Call(Call("create", "boards", nullptr, {{"name", "b"}}), &board).ok());
  std::string id = board["board_id"];
  std::string prefix = id.substr(0, 8);
  REQUIRE(dispatcher.Call(Call("get", "boards", prefix), &result).ok());
  REQUIRE(dispatcher.Call(Call("find", "boards"), &result).ok());
  Status refused = dispatcher.Call(Call("patch", "boards", prefix, {{"name", "refused"}}), &result);
  CHECK(refused.code() == Code::kBadRequest);
  CHECK(refused.data() == Json{{"field", "name"}});
  REQUIRE(dispatcher.Call(Call("get", "boards", id), &result).ok());
  CHECK(result["name"] == "b");
  CHECK(dispatcher.Call(Call("create", "boards", nullptr, {{"name", "refused"}}), &result).code() ==
        Code::kBadRequest);
  REQUIRE(dispatcher.Call(Call("find", "boards"), &result).ok());
  CHECK(result["total"] == 1);
  REQUIRE(dispatcher.Call(Call("update", "boards", id, {{"name", "c"}}), &result).ok());
  REQUIRE(dispatcher.Call(Call("remove", "boards", prefix), &result).ok());
  // A check sees the full id: prefixes are resolved (as the caller sees them) before it runs.
  CHECK(seen == std::vector<std::string>{"create boards ", "patch boards " + id, "create boards ",
                                         "update boards " + id, "remove boards " + id});
}

}  // namespace
}  // namespace agor
