// Jwt: the access tokens of `authentication`, as @feathersjs/authentication makes them: JWS
// compact form, HS256 only, header {"alg":"HS256","typ":"access"}, claims
// {aud, iss, sub (the user id), jti (a random UUID), iat, exp} in seconds.
//
// Verify is a pure function over hostile text: bounded (a token over kMaxTokenBytes is refused
// before any decoding), strict base64url without padding, JSON by the one entry rule, and it
// refuses any algorithm but HS256 (`none` included), a wrong `typ`, `aud` or `iss`, a bad
// signature (compared in constant time, sodium_memcmp), and an expired token (answering
// "jwt expired" with data {name: "TokenExpiredError", message, expiredAt}) as Feathers' jwt
// strategy does. Other refusals carry jsonwebtoken's messages ("jwt malformed", "invalid
// token", "jwt signature is required", "invalid algorithm", "invalid signature", "jwt audience
// invalid. expected: ...") with data {name: "JsonWebTokenError", message}. The header and the
// signature are checked before the payload is decoded: unsigned claims never reach the JSON
// parser. Revocation (jti, removed users) is the caller's business: it needs the store.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace agor {

constexpr size_t kMaxTokenBytes = 4096;

struct JwtClaims {
  std::string sub;  // user id
  std::string jti;
  std::string aud;
  std::string iss;
  int64_t iat = 0;  // seconds since the epoch
  int64_t exp = 0;
};

struct JwtConfig {
  std::string secret;  // at least 32 bytes
  std::string audience = "https://agor.local";
  std::string issuer = "agor";
  int64_t ttl_s = 24 * 3600;  // --token-ttl
};

// A signed token for `claims` (aud and iss taken from `config`).
std::string SignJwt(const JwtConfig& config, const JwtClaims& claims);
// Checks `token` at `now_s`; on success fills `claims`. NotAuthenticated (401) on any refusal,
// with a message that says which rule refused it but never echoes the token.
Status VerifyJwt(const JwtConfig& config, const std::string& token, int64_t now_s,
                 JwtClaims* claims);
// The decoded payload of a verified token, as Feathers' `authentication.payload` shows it.
Json JwtPayload(const JwtClaims& claims);

// base64url without padding (RFC 4648 §5), and its strict inverse (false on any other byte,
// on padding, or on non-canonical trailing bits).
std::string Base64UrlEncode(const std::string& bytes);
bool Base64UrlDecode(const std::string& text, std::string* bytes);

}  // namespace agor
