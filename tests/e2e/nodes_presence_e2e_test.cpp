// Presence across nodes (issue 14): two real `agor serve` nodes on one PostgreSQL store and
// one Redis, with a short presence heartbeat. A client on each joins the same board: each
// gets the other's `presence created` and finds the other on the roster; a cursor moved on
// one node reaches the client on the other as cursor-moved; a private board's entry reaches a
// member on the other node but never a non-member; a node killed with SIGKILL has its
// entries removed on the other within the timeout (3 heartbeats).
//
// "Never arrives" is checked without sleeping: one node's relay messages reach the other in
// the order they were published, so once a later one's frame arrived, an earlier one that
// did not never will.
#include <signal.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/presence_client.h"
#include "tests/support/daemon.h"
#include "tests/support/postgres_server.h"
#include "tests/support/redis_server.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::PresenceClient;
using test::RestApi;

constexpr const char* kHeartbeatMs = "200";

// Two nodes sharing the store and Redis, beating every kHeartbeatMs.
struct PresenceNodes {
  PresenceNodes() : store(test::PostgresServer::Shared().CreateDatabase("presence_nodes")) {
    for (int i = 0; i < 2; ++i) {
      nodes.push_back(std::make_unique<Daemon>(std::vector<std::string>{
          "--store", store, "--broker", redis.url(), "--presence-heartbeat-ms", kHeartbeatMs}));
    }
    admin = nodes[0]->token();
    REQUIRE_FALSE(admin.empty());
  }
  // A member made on node 0, logged in on node 1 (the JWT secret is the shared store's).
  std::string Member(const std::string& name) {
    RestApi(nodes[0]->url(), admin)
        .Post("/users", {{"email", name + "@example.com"},
                         {"password", "password-of-" + name},
                         {"name", name},
                         {"role", "member"}});
    return RestApi(nodes[1]->url())
        .Post("/authentication", {{"strategy", "local"},
                                  {"email", name + "@example.com"},
                                  {"password", "password-of-" + name}})["accessToken"];
  }

  test::RedisServer redis;
  std::string store;
  std::vector<std::unique_ptr<Daemon>> nodes;
  std::string admin;
};

TEST_CASE("presence spans nodes: roster, events, cursors, privacy and a killed node's leave",
          "[e2e][nodes][presence]") {
  PresenceNodes c;
  RestApi api(c.nodes[0]->url(), c.admin);
  std::string board = api.Post("/boards", {{"name", "shared"}, {"visibility", "team"}})["board_id"];
  std::string hidden =
      api.Post("/boards", {{"name", "hidden"}, {"visibility", "private"}})["board_id"];
  std::string bob_token = c.Member("bob");
  // The admin on node 0 listens to the board's channel; bob on node 1 joins first.
  PresenceClient on0(c.nodes[0]->port(), c.admin, "&board_id=" + board);
  PresenceClient bob(c.nodes[1]->port(), bob_token);
  std::string bob_id = bob.Ok("create", {{{"board_id", board}}})["presence_id"];
  CHECK(on0.WaitFor("presence created", {{"presence_id", bob_id}})["name"] == "bob");
  std::string admin_id = on0.Ok("create", {{{"board_id", board}}})["presence_id"];
  CHECK(bob.WaitFor("presence created", {{"presence_id", admin_id}})["board_id"] == board);
  CHECK(bob.Ok("find", {{{"board_id", board}}}).size() == 2);
  CHECK(on0.Ok("find", {{{"board_id", board}}}).size() == 2);

  // A cursor on node 0 reaches bob on node 1, coalesced like a local one.
  on0.Emit("cursor-move", {{"boardId", board}, {"x", 12.5}, {"y", -3}});
  Json moved = bob.WaitFor("cursor-moved", {{"presenceId", admin_id}});
  CHECK(moved["x"] == 12.5);
  CHECK(moved["y"] == -3.0);
  CHECK(moved["boardId"] == board);

  // A private board's entry made on node 0 reaches an admin watching it on node 1, never bob.
  PresenceClient watcher(c.nodes[1]->port(), c.admin, "&board_id=" + hidden);
  PresenceClient secret(c.nodes[0]->port(), c.admin);
  std::string secret_id = secret.Ok("create", {{{"board_id", hidden}}})["presence_id"];
  watcher.WaitFor("presence created", {{"presence_id", secret_id}});
  on0.Ok("patch", {admin_id, {{"cursor", {{"x", 1}, {"y", 1}}}}});  // published after it
  bob.WaitFor("presence patched", {{"presence_id", admin_id}});
  for (const auto& e : bob.events) CHECK(e[1].value("presence_id", "") != secret_id);
  CHECK(bob.ErrorCode("find", {{{"board_id", hidden}}}) == 404);

  // Each node counts what it published and received (messages already came both ways).
  for (const auto& node : c.nodes) {
    std::string metrics = RestApi(node->port()).http().Get("/metrics")->body;
    for (const char* direction : {"published", "received"}) {
      std::string sample =
          "agor_broker_presence_messages_total{direction=\"" + std::string(direction) + "\"} ";
      size_t at = metrics.find(sample);
      REQUIRE(at != std::string::npos);
      CHECK(metrics.compare(at + sample.size(), 2, "0\n") != 0);
    }
  }

  // Node 0 dies: its entries leave node 1's rosters within the timeout.
  REQUIRE(c.nodes[0]->Stop(SIGKILL) != 0);
  CHECK(bob.WaitFor("presence removed", {{"presence_id", admin_id}})["board_id"] == board);
  watcher.WaitFor("presence removed", {{"presence_id", secret_id}});
  Json roster = bob.Ok("find", {{{"board_id", board}}});
  REQUIRE(roster.size() == 1);
  CHECK(roster[0]["presence_id"] == bob_id);
}

}  // namespace
}  // namespace agor
