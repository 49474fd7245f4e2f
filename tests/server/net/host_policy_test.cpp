// Tests of server/net/host_policy: which Host headers a loopback daemon answers (the DNS
// rebinding defence), and that a refusal quotes the Host as valid UTF-8.
#include "server/net/host_policy.h"

#include <catch2/catch.hpp>

#include "base/utf8.h"

namespace agor {
namespace {

HttpRequest WithHost(const std::string& host) {
  HttpRequest req;
  req.method = "GET";
  req.path = "/boards";
  req.headers.emplace_back("host", host);
  return req;
}

bool Passes(const HostPolicy& policy, const std::string& host) {
  return policy.Check(WithHost(host)).ok();
}

}  // namespace

TEST_CASE("host policy: the loopback names pass, with or without the daemon's port",
          "[server][net]") {
  HostPolicy policy("127.0.0.1", 3030, {});
  REQUIRE(policy.enforced());
  for (const char* host : {"localhost", "localhost:3030", "127.0.0.1", "127.0.0.1:3030", "[::1]",
                           "[::1]:3030", "LocalHost:3030"}) {
    INFO(host);
    CHECK(Passes(policy, host));
  }
  HttpRequest no_host;
  no_host.method = "GET";
  CHECK(policy.Check(no_host).ok());  // HTTP/1.0 tools; browsers always send Host
}

TEST_CASE("host policy: other names, other ports and malformed hosts are refused with 403",
          "[server][net]") {
  HostPolicy policy("127.0.0.1", 3030, {});
  for (const char* host :
       {"evil.example", "evil.example:3030", "localhost:3031", "127.0.0.1:80",
        "localhost:", "localhost:3030:3030", "[::1", "[::1]x", "[::1]:", "::1", "127.0.0.2",
        "localhost.", "", "localhost.evil.example", "127.0.0.1.nip.io:3030"}) {
    INFO(host);
    Status s = policy.Check(WithHost(host));
    CHECK(s.http_status() == 403);
  }
}

TEST_CASE("host policy: --allowed-host names and the bound address pass", "[server][net]") {
  HostPolicy policy("127.0.0.5", 8080, {"Agor.Internal", "dev.box:9999", "::1"});
  CHECK(Passes(policy, "agor.internal"));
  CHECK(Passes(policy, "agor.internal:8080"));
  CHECK_FALSE(Passes(policy, "agor.internal:9999"));  // the daemon's own port only
  CHECK(Passes(policy, "dev.box:8080"));
  CHECK(Passes(policy, "127.0.0.5:8080"));
  CHECK_FALSE(Passes(policy, "other.internal"));
}

TEST_CASE("host policy: only a loopback-bound daemon checks the Host", "[server][net]") {
  for (const char* address : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    INFO(address);
    CHECK(HostPolicy::IsLoopback(address));
  }
  for (const char* address : {"0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "::ffff:10.0.0.1", ""}) {
    INFO(address);
    CHECK_FALSE(HostPolicy::IsLoopback(address));
    CHECK(Passes(HostPolicy(address, 3030, {}), "evil.example"));
  }
}

TEST_CASE("host policy: a Host with invalid bytes is refused, quoted as valid UTF-8",
          "[server][net]") {
  HostPolicy policy("127.0.0.1", 3030, {});
  for (std::string host : {std::string("\xff\xfe"), std::string("local\x01host"),
                           std::string("localhost\xc3\x28:3030"), std::string(5000, '\xff')}) {
    Status s = policy.Check(WithHost(host));
    REQUIRE(s.http_status() == 403);
    CHECK(IsValidUtf8(s.message()));
    CHECK(s.message().size() < 1000);
    CHECK_NOTHROW(s.ToJson().dump());
  }
}

}  // namespace agor
