#include "server/api/jwt.h"

#include <sodium.h>

#include "base/clock.h"
#include "base/json.h"
#include "server/api/api_key.h"

namespace agor {
namespace {

constexpr const char* kJwtHeader = R"({"alg":"HS256","typ":"access"})";
// Claims are small: a header or payload needs no deep or wide JSON.
constexpr JsonLimits kClaimLimits{kMaxTokenBytes, 4, 32};
// Times past this (year ~36812) are refused, so exp * 1000 cannot overflow.
constexpr int64_t kMaxSeconds = int64_t{1} << 40;

// Feathers wraps jsonwebtoken's error: message, and data {name, message} of the library error.
Status Refuse(const std::string& message) {
  return Status(Code::kNotAuthenticated, message,
                Json{{"name", "JsonWebTokenError"}, {"message", message}});
}

Status Expired(int64_t exp_s) {
  const std::string at = FormatIso8601(exp_s * 1000);
  return Status(Code::kNotAuthenticated, "jwt expired",
                Json{{"name", "TokenExpiredError"}, {"message", "jwt expired"}, {"expiredAt", at}});
}

bool IsJwtBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

std::string Hmac(const std::string& secret, const std::string& signing_input) {
  InitSodium();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

// One base64url segment holding a JSON object, or false.
bool DecodeObject(const std::string& segment, Json* out) {
  std::string text;
  if (!Base64UrlDecode(segment, &text)) return false;
  Json json;
  if (!ParseJson(text, &json, kClaimLimits).ok() || !json.is_object()) return false;
  *out = std::move(json);
  return true;
}

bool GetString(const Json& payload, const char* name, std::string* out) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool GetSeconds(const Json& payload, const char* name, int64_t* out) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number_integer()) return false;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(kMaxSeconds)) {
    return false;
  }
  *out = it->get<int64_t>();
  return *out >= 0 && *out <= kMaxSeconds;
}

// The header: HS256 and typ "access", nothing else (alg "none" included).
Status CheckHeader(const Json& header) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || *alg != "HS256") {
    return Refuse("invalid algorithm");
  }
  auto typ = header.find("typ");
  if (typ == header.end() || !typ->is_string() || *typ != "access") {
    return Refuse("jwt typ invalid. expected: access");
  }
  return Status::OK();
}

Status ReadClaims(const Json& payload, JwtClaims* claims) {
  if (!GetString(payload, "sub", &claims->sub) || claims->sub.empty() ||
      !GetString(payload, "jti", &claims->jti) || claims->jti.empty() ||
      !GetString(payload, "aud", &claims->aud) || !GetString(payload, "iss", &claims->iss) ||
      !GetSeconds(payload, "iat", &claims->iat)) {
    return Refuse("invalid token");
  }
  if (!GetSeconds(payload, "exp", &claims->exp)) return Refuse("invalid exp value");
  return Status::OK();
}

// jsonwebtoken's order once the signature holds: exp, then aud, then iss.
Status CheckClaims(const JwtConfig& config, const JwtClaims& claims, int64_t now_s) {
  if (now_s >= claims.exp) return Expired(claims.exp);
  if (claims.aud != config.audience) {
    return Refuse("jwt audience invalid. expected: " + config.audience);
  }
  if (claims.iss != config.issuer) return Refuse("jwt issuer invalid. expected: " + config.issuer);
  return Status::OK();
}

}  // namespace

std::string SignJwt(const JwtConfig& config, const JwtClaims& claims) {
  JwtClaims stamped = claims;
  stamped.aud = config.audience;
  stamped.iss = config.issuer;
  const std::string input =
      Base64UrlEncode(kJwtHeader) + "." + Base64UrlEncode(DumpJson(JwtPayload(stamped)));
  return input + "." + Base64UrlEncode(Hmac(config.secret, input));
}

// The header is checked and the signature verified before the payload is even decoded: an
// unsigned payload never reaches the JSON parser.
Status VerifyJwt(const JwtConfig& config, const std::string& token, int64_t now_s,
                 JwtClaims* claims) {
  if (token.empty()) return Refuse("jwt must be provided");
  if (token.size() > kMaxTokenBytes) return Refuse("jwt malformed");
  const size_t first = token.find('.');
  const size_t second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos) {
    return Refuse("jwt malformed");
  }
  Json header;
  if (!DecodeObject(token.substr(0, first), &header)) return Refuse("invalid token");
  const std::string signature_text = token.substr(second + 1);
  if (signature_text.empty()) return Refuse("jwt signature is required");
  Status s = CheckHeader(header);
  if (!s.ok()) return s;
  std::string signature;
  const std::string expected = Hmac(config.secret, token.substr(0, second));
  if (!Base64UrlDecode(signature_text, &signature) || signature.size() != expected.size() ||
      sodium_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return Refuse("invalid signature");
  }
  Json payload;
  if (!DecodeObject(token.substr(first + 1, second - first - 1), &payload)) {
    return Refuse("invalid token");
  }
  JwtClaims read;
  s = ReadClaims(payload, &read);
  if (s.ok()) s = CheckClaims(config, read, now_s);
  if (s.ok()) *claims = std::move(read);
  return s;
}

Json JwtPayload(const JwtClaims& claims) {
  return Json{{"iat", claims.iat}, {"exp", claims.exp}, {"aud", claims.aud},
              {"iss", claims.iss}, {"sub", claims.sub}, {"jti", claims.jti}};
}

std::string Base64UrlEncode(const std::string& bytes) {
  InitSodium();
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

// The alphabet is checked here: libsodium 1.0.18 compares characters as ints, so some bytes
// over 0x7F (a negative char) pass as '-' or '_' (found by tests/fuzz/jwt_fuzz.cpp). Its
// decoder then refuses a length of 1 mod 4 and non-zero trailing bits (a second spelling of
// the same bytes).
bool Base64UrlDecode(const std::string& text, std::string* bytes) {
  InitSodium();
  for (char c : text) {
    if (!IsJwtBase64Char(c)) return false;
  }
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t length = 0;
  // No end pointer: libsodium then refuses input it did not consume to the end.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return false;
  }
  out.resize(length);
  *bytes = std::move(out);
  return true;
}

}  // namespace agor
