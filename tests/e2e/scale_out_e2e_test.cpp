// `agor serve --broker redis://...` with the real binary and a real redis-server: the node's
// events pass the Redis broker (subscriptions driven by its connections, an EventOrderer in
// front of the hub), its clients keep getting every event exactly once while Redis is down
// and after it comes back, and GET /health and /metrics tell the broker's state; --data-dir
// places the node's own files. Bad flags are refused with one line. (Several nodes need the
// PostgreSQL store: issue 14's next step.)
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/redis_server.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::EventStream;
using test::PushedEvent;
using test::RedisServer;
using test::RestApi;

// Reads GET /health until `done` holds (Redis's state has no event a client can wait on; the
// daemon's health is the observable). Fails after 10 s.
Json WaitForHealth(const Daemon& d, const std::function<bool(const Json&)>& done) {
  RestApi api(d.port());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  Json health = api.Get("/health");
  while (!done(health) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    health = api.Get("/health");
  }
  INFO(health.dump());
  REQUIRE(done(health));
  return health;
}

bool BrokerUp(const Json& h) {
  return h["broker"]["up"] == true && h["status"] == "ok";
}
bool BrokerDown(const Json& h) {
  return h["broker"]["up"] == false && h["status"] == "degraded";
}

std::string Say(RestApi& api, const std::string& session, const std::string& text) {
  return api
      .Post("/messages",
            {{"session_id", session}, {"role", "user"}, {"content", text}})["message_id"]
      .get<std::string>();
}

TEST_CASE("a node on the Redis broker delivers every event once, Redis down or up",
          "[e2e][broker]") {
  RedisServer redis;
  Daemon d({"--broker", redis.url()});
  Json health = WaitForHealth(d, BrokerUp);
  CHECK(health["broker"]["kind"] == "redis");
  CHECK(health["store"] == Json{{"engine", "sqlite"}});

  RestApi api(d);
  std::string session = api.Session("codex");
  std::string board = api.Get("/sessions/" + session)["board_id"].get<std::string>();
  EventStream stream(d, "&board_id=" + board);
  std::set<std::string> said;
  said.insert(Say(api, session, "before"));
  redis.Stop();
  WaitForHealth(d, BrokerDown);
  said.insert(Say(api, session, "while Redis is down"));
  redis.Start();
  WaitForHealth(d, BrokerUp);
  said.insert(Say(api, session, "after"));

  std::multiset<std::string> got;
  PushedEvent ev;
  while (got.size() < said.size() && stream.WaitFor("messages created", Json::object(), &ev))
    got.insert(ev.record["message_id"].get<std::string>());
  CHECK(std::set<std::string>(got.begin(), got.end()) == said);
  CHECK(got.size() == said.size());

  auto metrics = api.http().Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("agor_broker_up 1") != std::string::npos);
  CHECK(metrics->body.find("agor_broker_publishes_total{result=\"sent\"}") != std::string::npos);
}

TEST_CASE("a node whose Redis is unreachable starts, serves, and says it is degraded",
          "[e2e][broker]") {
  int port = test::FreeLoopbackPort();
  Daemon d({"--broker", "redis://127.0.0.1:" + std::to_string(port)});
  WaitForHealth(d, BrokerDown);
  RestApi api(d);
  std::string session = api.Session("codex");
  std::string board = api.Get("/sessions/" + session)["board_id"].get<std::string>();
  EventStream stream(d, "&board_id=" + board);
  std::string id = Say(api, session, "own events need no Redis");
  PushedEvent ev;
  REQUIRE(stream.WaitFor("messages created", {{"message_id", id}}, &ev));
}

// What another node's relay publishes when a login fails there (login_failure_relay.h).
std::string PublishFailure(const RedisServer& redis, const std::string& email) {
  std::string message =
      Json{{"v", 1}, {"node", "another-node"}, {"email", email}, {"address", "10.1.2.3"}, {"at", 1}}
          .dump();
  auto r = test::RunProgram({"/usr/bin/redis-cli", "-p", std::to_string(redis.port()), "PUBLISH",
                             "agor:login-failed", message});
  REQUIRE(r.exit_code == 0);
  return r.out;  // how many subscribers got it: "1\n" once the node listens
}

TEST_CASE("failed logins on another node count in this node's limits", "[e2e][broker]") {
  RedisServer redis;
  Daemon d({"--broker", redis.url()});
  // Until the node's subscription is confirmed a message reaches nobody ("0"): not counted.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (PublishFailure(redis, "victim@example.com") != "1\n") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int i = 1; i < 10; ++i) CHECK(PublishFailure(redis, "victim@example.com") == "1\n");
  RestApi anonymous(d.port());
  // Counted once the node has read them (its own login failures would count too: wait here).
  const std::string received = "agor_login_failures_shared_total{direction=\"received\"} 10";
  while (anonymous.http().Get("/metrics")->body.find(received) == std::string::npos) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto login = [&](const std::string& email, int want) {
    anonymous.Post("/authentication",
                   {{"strategy", "local"}, {"email", email}, {"password", "wrong-password"}}, want);
  };
  login("victim@example.com", 429);  // ten failures elsewhere: refused before any hash
  login("other@example.com", 401);   // another email is only checked
}

TEST_CASE("agor serve refuses a bad --broker URL and everybody mode with a broker",
          "[e2e][broker]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db";
  auto bad = test::RunProgram(
      {AGOR_BINARY, "serve", "--port", "0", "--db", db, "--broker", "http://127.0.0.1:6379"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--broker") != std::string::npos);
  auto everybody = test::RunProgram({AGOR_BINARY, "serve", "--port", "0", "--db", db, "--channels",
                                     "everybody", "--broker", "redis://127.0.0.1:1"});
  CHECK(everybody.exit_code == 1);
  CHECK(everybody.err == "agor: --channels everybody cannot run with --broker\n");
}

TEST_CASE("agor serve refuses a --store that is no postgresql:// URL, and --store with --db",
          "[e2e][broker]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db";
  auto file = test::RunProgram({AGOR_BINARY, "serve", "--port", "0", "--store", db});
  CHECK(file.exit_code == 2);
  CHECK(file.err.find("a postgresql:// URL (a SQLite file is --db)") != std::string::npos);
  auto both = test::RunProgram(
      {AGOR_BINARY, "serve", "--port", "0", "--db", db, "--store", "postgresql://a@127.0.0.1/x"});
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("excludes") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("a node's files go to --data-dir, created if missing, not beside the database",
          "[e2e][broker]") {
  test::TempDir data;
  std::string folder = data.path() + "/node-1";
  Daemon d({"--data-dir", folder});
  CHECK(std::filesystem::exists(folder + "/admin-credentials"));
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(d.db_path()).parent_path() /
                                      "admin-credentials"));
}

}  // namespace
}  // namespace agor
