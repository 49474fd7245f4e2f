// Tests of server/net/web_server's pure parts: the connection limit derived from the file
// limit. (Accepting, refusing and the reserve descriptor run in tests/e2e/web_limits_e2e_test.)
#include "server/net/web_server.h"

#include <catch2/catch.hpp>

namespace agor {

TEST_CASE("web server: the default connection limit leaves a reserve of descriptors",
          "[server][net]") {
  CHECK(MaxConnectionsForFileLimit(1024) == 1024 - 64);
  CHECK(MaxConnectionsForFileLimit(1048576) == 1048576 - 64);
  CHECK(MaxConnectionsForFileLimit(100) == 50);  // a small limit keeps half for the rest
  CHECK(MaxConnectionsForFileLimit(1) == 1);
  CHECK(MaxConnectionsForFileLimit(0) == 1);
}

TEST_CASE("web server: a shared frame exposes its payload", "[server][net]") {
  SharedFrame empty;
  CHECK(empty.empty());
  SharedFrame frame = WebServer::PrepareFrame("42[\"x\"]");
  REQUIRE_FALSE(frame.empty());
  CHECK(frame.text() == "42[\"x\"]");
  SharedFrame copy = frame;
  CHECK(&copy.text() == &frame.text());  // one prepared copy, shared
}

}  // namespace agor
