// LoginFailureRelay (server/realtime/login_failure_relay.h): the message format, every refusal
// of hostile bytes, and two relays ("two nodes") on a real redis-server sharing failures, each
// skipping its own.
#include "server/realtime/login_failure_relay.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/loop_runner.h"
#include "tests/support/redis_server.h"

namespace agor {
namespace {

LoginFailure Sample() {
  return {"node-a", "alice@example.com", "10.0.0.7", 1764700000000};
}

TEST_CASE("login failure: a message decodes to what was encoded", "[relay]") {
  LoginFailure out;
  REQUIRE(DecodeLoginFailure(EncodeLoginFailure(Sample()), &out).ok());
  CHECK(out.node == "node-a");
  CHECK(out.email == "alice@example.com");
  CHECK(out.address == "10.0.0.7");
  CHECK(out.at_ms == 1764700000000);
}

TEST_CASE("login failure: hostile messages are refused, naming why", "[relay]") {
  const std::string ok = R"({"v":1,"node":"n","email":"e","address":"a","at":1})";
  LoginFailure out;
  REQUIRE(DecodeLoginFailure(ok, &out).ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "Invalid login-failure message"},
      {"[1,2]", "not an object of 5 fields"},
      {R"({"v":1,"node":"n","email":"e","address":"a"})", "not an object of 5 fields"},
      {R"({"v":1,"node":"n","email":"e","address":"a","at":1,"x":2})", "not an object"},
      {R"({"v":1,"node":"n","email":"e","addr":"a","at":1})", "no address"},
      {R"({"v":2,"node":"n","email":"e","address":"a","at":1})", "unknown version"},
      {R"({"v":1,"node":"n","email":"e","address":"a","at":-1})", "at is not a time"},
      {R"({"v":1,"node":"n","email":"e","address":"a","at":"1"})", "at is not a time"},
      {R"({"v":1,"node":"n","email":"e","address":"a","at":1.5})", "at is not a time"},
      {R"({"v":1,"node":"n","email":7,"address":"a","at":1})", "email is not a string"},
      {R"({"v":1,"node":"n","email":")" + std::string(321, 'e') + R"(","address":"a","at":1})",
       "email is not a string of at most 320"},
      {R"({"v":1,"node":"n","email":"e","address":")" + std::string(65, 'a') + R"(","at":1})",
       "address is not a string of at most 64"},
      {"{\"v\":1,\"node\":\"n\",\"email\":\"\xff\",\"address\":\"a\",\"at\":1}",
       "Invalid login-failure message"},
      {std::string(kMaxLoginFailureBytes + 1, ' '), "too long"},
  };
  for (const auto& [bytes, why] : bad) {
    INFO(bytes.substr(0, 80));
    Status s = DecodeLoginFailure(bytes, &out);
    CHECK(s.code() == Code::kBadRequest);
    CHECK(s.message().find(why) != std::string::npos);
  }
  CHECK(out.node == "n");  // untouched by the refusals
}

RedisConnectionOptions Options(const std::string& url) {
  RedisConnectionOptions o;
  o.url = url;
  return o;
}

TEST_CASE("login failure relay: each node counts the others' failures, never its own twice",
          "[relay]") {
  test::RedisServer server;
  test::LoopRunner loop;
  std::vector<LoginFailure> at_a, at_b;
  auto make = [&](const char* id, std::vector<LoginFailure>* counted) {
    return std::make_unique<LoginFailureRelay>(
        std::make_unique<RedisConnection>(loop.io, Options(server.url())), "agor:", id,
        [counted](const LoginFailure& f) { counted->push_back(f); });
  };
  auto a = make("node-a", &at_a);
  auto b = make("node-b", &at_b);
  REQUIRE(a->Start().ok());
  REQUIRE(b->Start().ok());
  REQUIRE(loop.RunUntil([&] { return a->up() && b->up(); }, 10000));
  // Both subscriptions confirmed: a PUBLISH reaches every subscriber.
  REQUIRE(loop.RunUntil(
      [&] {
        if (!at_b.empty()) return true;
        a->Publish("alice@example.com", "10.0.0.7", 5);
        loop.io.run_one_for(std::chrono::milliseconds(50));
        return !at_b.empty();
      },
      10000));
  CHECK(at_b.front().email == "alice@example.com");
  CHECK(at_b.front().address == "10.0.0.7");
  CHECK(at_b.front().node == "node-a");
  b->Publish("bob@example.com", "", 6);
  REQUIRE(loop.RunUntil([&] { return !at_a.empty() && b->stats().published == 1; }, 10000));
  CHECK(at_a.size() == 1);
  CHECK(at_a.front().email == "bob@example.com");
  for (const auto& f : at_b) CHECK(f.node == "node-a");  // b never counted its own
  a->Close();
  b->Close();
}

}  // namespace
}  // namespace agor
