// End-to-end tests of cmd/socket_client.h against the real `agor serve`: Feathers calls and their
// error acks, events with their offsets, recovery of a session on reconnect, and Stop().
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "cmd/client/rest_client.h"
#include "cmd/client/socket_client.h"
#include "tests/support/daemon.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;

struct Received {
  std::string name;
  Json arg;
  std::string offset;
};

// As the daemon's admin: the API key rides in the CONNECT auth payload.
SocketOptions Options(const Daemon& daemon) {
  SocketOptions options;
  options.url = daemon.url();
  if (!daemon.token().empty()) options.auth = {{"token", daemon.token()}};
  return options;
}

SocketOptions Options(const std::string& url) {
  SocketOptions options;
  options.url = url;
  return options;
}

}  // namespace

TEST_CASE("SocketClient: calls, error acks, events with offsets", "[watch][e2e]") {
  Daemon daemon({"--channels", "everybody"});
  SocketClient client(Options(daemon));
  std::vector<Received> events;
  std::vector<bool> connects;
  Status find_status, get_status, create_status;
  Json found, created;
  client.OnEvent([&](const std::string& name, Json arg, const std::string& offset) {
    if (name.rfind("activity ", 0) == 0) return;  // the feed's entry for it (no offset)
    events.push_back({name, std::move(arg), offset});
  });
  client.OnConnect([&](bool recovered) {
    connects.push_back(recovered);
    client.Call("find", "boards", Json::array({Json::object()}), [&](const Status& s, Json r) {
      find_status = s;
      found = std::move(r);
    });
    client.Call("get", "boards", Json::array({"missing", Json::object()}),
                [&](const Status& s, Json) { get_status = s; });
    client.Call("create", "boards", Json::array({{{"name", "over the socket"}}, Json::object()}),
                [&](const Status& s, Json r) {
                  create_status = s;
                  created = std::move(r);
                  client.Stop();  // the event came before this ack
                });
  });
  REQUIRE(client.Run().ok());
  CHECK(connects == std::vector<bool>{false});
  CHECK(find_status.ok());
  CHECK(found["total"] == 0);
  CHECK(get_status.code() == Code::kNotFound);
  CHECK_FALSE(get_status.message().empty());
  REQUIRE(create_status.ok());
  CHECK(created["name"] == "over the socket");
  REQUIRE(events.size() == 1);
  CHECK(events[0].name == "boards created");
  CHECK(events[0].arg == created);
  CHECK(events[0].offset == "3");  // after the first start's two events (the admin, its key)
  CHECK(client.offset() == "3");
  CHECK_FALSE(client.pid().empty());
  CHECK_FALSE(client.connected());
}

TEST_CASE("SocketClient: a dropped connection is recovered with its pid and offset",
          "[watch][e2e]") {
  Daemon daemon({"--channels", "everybody"});
  test::RestApi rest(daemon);  // as the admin
  SocketClient client(Options(daemon));
  std::vector<bool> connects;
  std::vector<std::string> offsets;
  int lost = 0;
  client.OnLost([&](const Status&) { ++lost; });
  client.OnEvent([&](const std::string& name, Json, const std::string& offset) {
    if (name.rfind("activity ", 0) == 0) return;  // seq-less: nothing to recover
    offsets.push_back(offset);
    if (offsets.size() == 1) {
      client.Reconnect();                          // from now on the client is away...
      rest.Post("/boards", {{"name", "missed"}});  // ...and misses this
    }
    if (offsets.size() == 2) client.Stop();
  });
  client.OnConnect([&](bool recovered) {
    connects.push_back(recovered);
    if (connects.size() > 1) return;
    rest.Post("/boards", {{"name", "seen"}});
  });
  REQUIRE(client.Run().ok());
  CHECK(connects == std::vector<bool>{false, true});
  CHECK(lost == 1);
  CHECK(offsets == std::vector<std::string>{"3", "4"});
}

TEST_CASE("SocketClient: the first attempt fails fast when nothing listens", "[watch][e2e]") {
  SocketClient client(Options("http://127.0.0.1:1"));
  Status status = client.Run();
  CHECK(IsUnreachable(status));
  CHECK(status.message() == "cannot reach agor at http://127.0.0.1:1: is 'agor serve' running?");
}

TEST_CASE("SocketClient: an exception out of a handler ends Run() in agor's words",
          "[watch][e2e]") {
  Daemon daemon;
  SECTION("nlohmann's") {
    SocketClient client(Options(daemon));
    client.OnConnect([](bool) { (void)Json("text").get<int>(); });
    Status status = client.Run();
    CHECK(status.code() == Code::kGeneralError);
    CHECK(status.message() == "the server sent JSON agor cannot use");
  }
  SECTION("any other") {
    SocketClient client(Options(daemon));
    client.OnConnect([](bool) { throw std::runtime_error("basic_string::_M_create"); });
    Status status = client.Run();
    CHECK(status.code() == Code::kGeneralError);
    CHECK(status.message().find("_M_create") == std::string::npos);
    CHECK(status.message().find("failed unexpectedly") != std::string::npos);
  }
}

}  // namespace agor
