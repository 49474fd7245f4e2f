// libFuzzer target for access tokens from outside (server/api/jwt.h): the input is a token as
// a client sends it (Authorization header, CONNECT auth payload, `create authentication`).
//
// Checked: Base64UrlDecode accepts only the canonical spelling (what it decodes encodes back
// to the same text); VerifyJwt never accepts a token this secret did not sign (the input is
// refused unless it is exactly what SignJwt makes of the claims it found); and a token signed
// over claims made from the input verifies to the same claims.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/utf8.h"
#include "server/api/jwt.h"

namespace {

constexpr int64_t kNow = 1800000000;

const agor::JwtConfig& Config() {
  static const agor::JwtConfig config = [] {
    agor::JwtConfig c;
    c.secret = std::string(32, 'f');
    return c;
  }();
  return config;
}

void CheckBase64(const std::string& input) {
  std::string bytes;
  if (agor::Base64UrlDecode(input, &bytes) && agor::Base64UrlEncode(bytes) != input) {
    __builtin_trap();
  }
}

void CheckVerify(const std::string& input) {
  agor::JwtClaims claims;
  if (!agor::VerifyJwt(Config(), input, kNow, &claims).ok()) return;
  if (agor::SignJwt(Config(), claims) != input) __builtin_trap();  // only our own spelling
}

void CheckRoundTrip(const std::string& input) {
  if (input.empty() || input.size() > 512 || !agor::IsValidUtf8(input)) return;
  agor::JwtClaims claims;
  claims.sub = input;
  claims.jti = input;
  claims.iat = kNow;
  claims.exp = kNow + 1;
  agor::JwtClaims read;
  const std::string token = agor::SignJwt(Config(), claims);
  if (!agor::VerifyJwt(Config(), token, kNow, &read).ok()) __builtin_trap();
  if (read.sub != input || read.jti != input || read.exp != kNow + 1) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  CheckBase64(input);
  CheckVerify(input);
  CheckRoundTrip(input);
  return 0;
}
