// API keys: their shape, what LooksLikeApiKey lets through, and the stored hash.
#include "server/api/api_key.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "server/api/jwt.h"

namespace agor {
namespace {

TEST_CASE("api key: agor_sk_ and 32 random bytes, a recognisable prefix, a hash", "[api_key]") {
  const NewApiKey key = MakeApiKey();
  REQUIRE(key.key.rfind("agor_sk_", 0) == 0);
  std::string secret;
  REQUIRE(Base64UrlDecode(key.key.substr(8), &secret));
  REQUIRE(secret.size() == 32);
  REQUIRE(key.prefix == key.key.substr(0, 12));
  REQUIRE(key.hash == HashApiKey(key.key));
  REQUIRE(key.hash.size() == 64);
  REQUIRE(key.hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  REQUIRE(key.hash.find(key.key.substr(8)) == std::string::npos);
  REQUIRE(LooksLikeApiKey(key.key));

  const NewApiKey other = MakeApiKey();
  REQUIRE(other.key != key.key);
  REQUIRE(other.hash != key.hash);
}

TEST_CASE("api key: the shape check refuses everything else", "[api_key]") {
  const std::string key = MakeApiKey().key;
  std::string bad_char = key;
  bad_char[20] = '+';
  std::string wrong_prefix = key;
  wrong_prefix[5] = 'p';
  for (const std::string& text :
       {std::string(), std::string("agor_sk_"), key.substr(0, key.size() - 1), key + "A", bad_char,
        wrong_prefix, "Bearer " + key, key.substr(8), std::string(key.size(), 'a')}) {
    CAPTURE(text);
    REQUIRE_FALSE(LooksLikeApiKey(text));
  }
  // A JWT never looks like a key: the two are told apart by shape alone.
  JwtConfig config;
  config.secret = std::string(32, 's');
  JwtClaims claims;
  claims.sub = "u";
  claims.jti = "j";
  REQUIRE_FALSE(LooksLikeApiKey(SignJwt(config, claims)));
}

TEST_CASE("api key: random bytes and first-start passwords", "[api_key]") {
  REQUIRE(RandomBytes(32).size() == 32);
  REQUIRE(RandomBytes(32) != RandomBytes(32));
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    const std::string password = RandomPassword(20);
    REQUIRE(password.size() == 20);
    REQUIRE(password.find_first_of("0O1lI") == std::string::npos);
    for (char c : password) REQUIRE(std::isalnum(static_cast<unsigned char>(c)));
    seen.insert(password);
  }
  REQUIRE(seen.size() == 20);
}

}  // namespace
}  // namespace agor
