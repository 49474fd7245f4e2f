// Brute-force bounds: per email, per address, the sliding window, and bounded memory.
#include "server/api/login_limiter.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kWindow = 15 * kMinute;

TEST_CASE("login limiter: 10 failures for one email, whatever its case", "[login_limiter]") {
  LoginLimiter limiter{LoginLimiter::Options()};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(limiter.Check("Ann@Example.com", "10.0.0." + std::to_string(i), i).ok());
    limiter.Failed(i % 2 ? "ann@example.com" : "ANN@EXAMPLE.COM", "10.0.0." + std::to_string(i), i);
  }
  Status s = limiter.Check("ann@example.com", "10.9.9.9", 100);
  REQUIRE(s.code() == Code::kTooManyRequests);
  REQUIRE(s.http_status() == 429);
  REQUIRE(s.message() == "Too many failed logins, try again later");
  REQUIRE(limiter.Check("bob@example.com", "10.9.9.9", 100).ok());
}

TEST_CASE("login limiter: 50 failures from one address, over any emails", "[login_limiter]") {
  LoginLimiter limiter{LoginLimiter::Options()};
  for (int i = 0; i < 49; ++i) limiter.Failed("user" + std::to_string(i) + "@x", "1.2.3.4", i);
  REQUIRE(limiter.Check("new@x", "1.2.3.4", 60).ok());
  limiter.Failed("user49@x", "1.2.3.4", 60);
  REQUIRE(limiter.Check("new@x", "1.2.3.4", 61).code() == Code::kTooManyRequests);
  REQUIRE(limiter.Check("new@x", "1.2.3.5", 61).ok());
  // Unknown addresses are counted per email only, never as one shared address.
  for (int i = 0; i < 60; ++i) limiter.Failed("anon" + std::to_string(i) + "@x", "", 70);
  REQUIRE(limiter.Check("other@x", "", 71).ok());
}

TEST_CASE("login limiter: failures leave the window one by one", "[login_limiter]") {
  LoginLimiter limiter{LoginLimiter::Options()};
  for (int i = 0; i < 10; ++i) limiter.Failed("a@x", "", i * kMinute);
  // The first failure (t=0) counts until t=15 min; the second (t=1 min) until 16 min.
  REQUIRE(limiter.Check("a@x", "", kWindow - 1).code() == Code::kTooManyRequests);
  REQUIRE(limiter.Check("a@x", "", kWindow).ok());
  limiter.Failed("a@x", "", kWindow);
  REQUIRE(limiter.Check("a@x", "", kWindow + 1).code() == Code::kTooManyRequests);
  REQUIRE(limiter.Check("a@x", "", kWindow + kMinute).ok());
  REQUIRE(limiter.Check("a@x", "", 10 * kWindow).ok());
  REQUIRE(limiter.tracked_keys() == 0);  // nothing left in the window: the key is gone
}

TEST_CASE("login limiter: memory is bounded in keys and stamps", "[login_limiter]") {
  LoginLimiter::Options options;
  options.max_keys = 100;
  LoginLimiter limiter{options};
  for (int i = 0; i < 10000; ++i) {
    limiter.Failed("e" + std::to_string(i) + "@x", "addr" + std::to_string(i), i);
  }
  REQUIRE(limiter.tracked_keys() == 100);
  // The least recently failed keys went first; a key that keeps failing stays.
  LoginLimiter kept{options};
  for (int i = 0; i < 10; ++i) kept.Failed("target@x", "", i);
  for (int i = 0; i < 1000; ++i) {
    kept.Failed("spray" + std::to_string(i) + "@x", "", 100 + i);
    if (i % 50 == 0) kept.Failed("target@x", "", 100 + i);
  }
  REQUIRE(kept.tracked_keys() == 100);
  REQUIRE(kept.Check("target@x", "", 2000).code() == Code::kTooManyRequests);
  // An endless email shares the counter of its first kMaxKeyBytes bytes.
  LoginLimiter long_keys{LoginLimiter::Options()};
  const std::string huge(1 << 20, 'x');
  for (int i = 0; i < 10; ++i) long_keys.Failed(huge + std::to_string(i), "", i);
  REQUIRE(long_keys.Check(huge, "", 20).code() == Code::kTooManyRequests);
}

}  // namespace
}  // namespace agor
