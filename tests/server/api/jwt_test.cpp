// Access tokens: a round trip, then every refusal of VerifyJwt with the token that must be
// refused (forged with the right secret where the rule is not the signature's), and the strict
// base64url under it.
#include "server/api/jwt.h"

#include <sodium.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "base/json.h"

namespace agor {
namespace {

constexpr int64_t kNow = 1800000000;  // 2027-01-15

JwtConfig Config() {
  JwtConfig config;
  config.secret = std::string(32, 'k');
  return config;
}

JwtClaims Claims(const std::string& sub = "user-a", int64_t iat = kNow, int64_t exp = kNow + 60) {
  JwtClaims claims;
  claims.sub = sub;
  claims.jti = "jti-" + sub;
  claims.iat = iat;
  claims.exp = exp;
  return claims;
}

std::string Hmac(const std::string& key, const std::string& input) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                                input.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return std::string(reinterpret_cast<char*>(mac), sizeof mac);
}

// A token over any header and payload text, signed with HS256 and `secret`: what an attacker
// who knew the secret could make, so each test reaches the rule it is about.
std::string Forge(const std::string& header, const std::string& payload,
                  const std::string& secret = std::string(32, 'k')) {
  const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(Hmac(secret, input));
}

std::string PayloadText(const JwtClaims& claims, const JwtConfig& config = Config()) {
  JwtClaims stamped = claims;
  stamped.aud = config.audience;
  stamped.iss = config.issuer;
  return DumpJson(JwtPayload(stamped));
}

constexpr const char* kGoodHeader = R"({"alg":"HS256","typ":"access"})";

Status Verify(const std::string& token, int64_t now = kNow) {
  JwtClaims claims;
  return VerifyJwt(Config(), token, now, &claims);
}

void RequireRefused(const std::string& token, const std::string& message) {
  Status s = Verify(token);
  CAPTURE(token);
  REQUIRE(s.code() == Code::kNotAuthenticated);
  REQUIRE(s.message() == message);
  if (!token.empty()) REQUIRE(s.message().find(token) == std::string::npos);
}

TEST_CASE("jwt: a signed token verifies and carries its claims", "[jwt]") {
  const std::string token = SignJwt(Config(), Claims());
  JwtClaims claims;
  REQUIRE(VerifyJwt(Config(), token, kNow, &claims).ok());
  REQUIRE(claims.sub == "user-a");
  REQUIRE(claims.jti == "jti-user-a");
  REQUIRE(claims.aud == "https://agor.local");
  REQUIRE(claims.iss == "agor");
  REQUIRE(claims.iat == kNow);
  REQUIRE(claims.exp == kNow + 60);

  std::string header;
  REQUIRE(Base64UrlDecode(token.substr(0, token.find('.')), &header));
  REQUIRE(header == kGoodHeader);
  // Feathers' authentication.payload order.
  REQUIRE(DumpJson(JwtPayload(claims)) ==
          R"({"iat":1800000000,"exp":1800000060,"aud":"https://agor.local","iss":"agor",)"
          R"("sub":"user-a","jti":"jti-user-a"})");
  REQUIRE(Forge(kGoodHeader, PayloadText(Claims())) == token);
}

TEST_CASE("jwt: refuses other algorithms, none included", "[jwt]") {
  const std::string payload = PayloadText(Claims());
  const std::string none =
      Base64UrlEncode(R"({"alg":"none","typ":"access"})") + "." + Base64UrlEncode(payload) + ".";
  RequireRefused(none, "jwt signature is required");
  RequireRefused(Forge(R"({"alg":"none","typ":"access"})", payload), "invalid algorithm");
  RequireRefused(Forge(R"({"alg":"HS512","typ":"access"})", payload), "invalid algorithm");
  RequireRefused(Forge(R"({"alg":"hs256","typ":"access"})", payload), "invalid algorithm");
  RequireRefused(Forge(R"({"typ":"access"})", payload), "invalid algorithm");
  RequireRefused(Forge(R"({"alg":["HS256"],"typ":"access"})", payload), "invalid algorithm");
}

TEST_CASE("jwt: refuses a token of another type", "[jwt]") {
  const std::string payload = PayloadText(Claims());
  RequireRefused(Forge(R"({"alg":"HS256","typ":"refresh"})", payload),
                 "jwt typ invalid. expected: access");
  RequireRefused(Forge(R"({"alg":"HS256"})", payload), "jwt typ invalid. expected: access");
}

TEST_CASE("jwt: refuses a wrong audience or issuer", "[jwt]") {
  JwtConfig other = Config();
  other.audience = "https://elsewhere";
  RequireRefused(Forge(kGoodHeader, PayloadText(Claims(), other)),
                 "jwt audience invalid. expected: https://agor.local");
  other = Config();
  other.issuer = "someone";
  RequireRefused(Forge(kGoodHeader, PayloadText(Claims(), other)),
                 "jwt issuer invalid. expected: agor");
}

TEST_CASE("jwt: an expired token answers jwt expired with TokenExpiredError", "[jwt]") {
  const std::string token = SignJwt(Config(), Claims("user-a", kNow - 100, kNow));
  Status s = Verify(token, kNow);
  REQUIRE(s.code() == Code::kNotAuthenticated);
  REQUIRE(s.message() == "jwt expired");
  REQUIRE(s.data()["name"] == "TokenExpiredError");
  REQUIRE(s.data()["message"] == "jwt expired");
  REQUIRE(s.data()["expiredAt"] == "2027-01-15T08:00:00.000Z");
  REQUIRE(Verify(token, kNow - 1).ok());
}

TEST_CASE("jwt: refuses a bad signature", "[jwt]") {
  const std::string token = SignJwt(Config(), Claims());
  SECTION("one bit of the signature flipped") {
    std::string sig;
    REQUIRE(Base64UrlDecode(token.substr(token.rfind('.') + 1), &sig));
    sig[5] ^= 0x01;
    RequireRefused(token.substr(0, token.rfind('.') + 1) + Base64UrlEncode(sig),
                   "invalid signature");
  }
  SECTION("signed with another secret") {
    RequireRefused(Forge(kGoodHeader, PayloadText(Claims()), std::string(32, 'x')),
                   "invalid signature");
  }
  SECTION("the payload swapped with another user's token's") {
    const std::string other = SignJwt(Config(), Claims("user-b"));
    const size_t a1 = token.find('.'), a2 = token.rfind('.');
    const size_t b1 = other.find('.'), b2 = other.rfind('.');
    RequireRefused(token.substr(0, a1) + other.substr(b1, b2 - b1) + token.substr(a2),
                   "invalid signature");
  }
  SECTION("a truncated or lengthened signature") {
    RequireRefused(token.substr(0, token.size() - 4), "invalid signature");
    RequireRefused(token + "AAAA", "invalid signature");
  }
}

TEST_CASE("jwt: refuses padding and non-canonical base64url", "[jwt]") {
  const std::string token = SignJwt(Config(), Claims());
  RequireRefused(token + "=", "invalid signature");
  const size_t dot = token.find('.');
  RequireRefused(token.substr(0, dot) + "=" + token.substr(dot), "invalid token");
  // 32 signature bytes take 43 characters whose last 2 bits must be zero: setting one spells
  // the same bytes a second way, which a lenient decoder would accept.
  std::string respelled = token;
  char& last = respelled.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  last = alphabet[alphabet.find(last) + 1];
  RequireRefused(respelled, "invalid signature");
  std::string plus = token;
  plus[plus.rfind('.') + 2] = '+';
  RequireRefused(plus, "invalid signature");
}

TEST_CASE("jwt: refuses malformed and oversized tokens", "[jwt]") {
  const std::string token = SignJwt(Config(), Claims());
  RequireRefused("", "jwt must be provided");
  RequireRefused("abc", "jwt malformed");
  RequireRefused("a.b", "jwt malformed");
  RequireRefused(token + ".x", "jwt malformed");
  RequireRefused(std::string(kMaxTokenBytes + 1, 'a'), "jwt malformed");
  RequireRefused("..", "invalid token");
  RequireRefused("e30.e30.", "jwt signature is required");  // {} and {}
  JwtClaims big = Claims();
  big.sub = std::string(kMaxTokenBytes, 'u');
  RequireRefused(SignJwt(Config(), big), "jwt malformed");
}

TEST_CASE("jwt: refuses payloads that are not strict JSON claims", "[jwt]") {
  auto payload_of = [](const std::string& claims_json) { return Forge(kGoodHeader, claims_json); };
  const std::string common = R"("aud":"https://agor.local","iss":"agor","jti":"j","iat":1,)";
  SECTION("not valid UTF-8") {
    RequireRefused(payload_of("{" + common + "\"exp\":1900000000,\"sub\":\"\xff\xfe\"}"),
                   "invalid token");
  }
  SECTION("not an object, or not JSON") {
    RequireRefused(payload_of("[1]"), "invalid token");
    RequireRefused(payload_of("{"), "invalid token");
    RequireRefused(payload_of("{}"), "invalid token");
  }
  SECTION("claims of the wrong type or missing") {
    RequireRefused(payload_of("{" + common + R"("exp":1900000000,"sub":7})"), "invalid token");
    RequireRefused(payload_of("{" + common + R"("exp":1900000000,"sub":""})"), "invalid token");
    RequireRefused(payload_of("{" + common + R"("sub":"u"})"), "invalid exp value");
    RequireRefused(payload_of("{" + common + R"("exp":1.9e9,"sub":"u"})"), "invalid exp value");
    RequireRefused(payload_of("{" + common + R"("exp":-5,"sub":"u"})"), "invalid exp value");
    RequireRefused(payload_of("{" + common + R"("exp":18446744073709551615,"sub":"u"})"),
                   "invalid exp value");
  }
  SECTION("a deep header") {
    RequireRefused(Forge(R"({"alg":"HS256","typ":"access","x":[[[[[]]]]]})", PayloadText(Claims())),
                   "invalid token");
  }
}

TEST_CASE("jwt: the signature is compared in constant time", "[jwt]") {
  // Timing is not measurable in a test; the rule is: one compare, libsodium's constant-time one.
  std::ifstream in(std::string(AGOR_SOURCE_DIR) + "/server/api/jwt.cpp");
  std::stringstream text;
  text << in.rdbuf();
  REQUIRE(text.str().find("sodium_memcmp(signature.data(), expected.data()") != std::string::npos);
  REQUIRE(text.str().find("signature == expected") == std::string::npos);
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = text.str().find(what); at != std::string::npos;
         at = text.str().find(what, at + 1)) {
      ++n;
    }
    return n;
  };
  REQUIRE(count("memcmp(") == count("sodium_memcmp("));
}

TEST_CASE("base64url: round trips and refuses every other spelling", "[jwt]") {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    std::string decoded;
    REQUIRE(Base64UrlDecode(Base64UrlEncode(bytes), &decoded));
    REQUIRE(decoded == bytes);
    bytes.push_back(static_cast<char>(n * 37 + 250));
  }
  REQUIRE(Base64UrlEncode("\xfb\xff") == "-_8");
  std::string out = "unchanged";
  for (const char* bad : {"A", "AB", "AAA=", "AA==", "+/8", "AA A", "AAB", "Zg=", "\xc3\xa9"}) {
    CAPTURE(bad);
    REQUIRE_FALSE(Base64UrlDecode(bad, &out));
  }
  REQUIRE_FALSE(Base64UrlDecode(std::string("AA\0A", 4), &out));
  REQUIRE(out == "unchanged");
  REQUIRE(Base64UrlDecode("Zg", &out));
  REQUIRE(out == "f");
}

}  // namespace
}  // namespace agor
