#include "server/api/api_key.h"

#include <sodium.h>

#include <cstdlib>

#include "server/api/jwt.h"

namespace agor {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kKeyChars = 43;  // base64url of 32 bytes, unpadded
constexpr size_t kShownPrefix = 12;

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

}  // namespace

void InitSodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
}

std::string RandomBytes(size_t bytes) {
  InitSodium();
  std::string out(bytes, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

NewApiKey MakeApiKey() {
  std::string secret = RandomBytes(kKeyBytes);
  NewApiKey key;
  key.key = kApiKeyPrefix + Base64UrlEncode(secret);
  sodium_memzero(secret.data(), secret.size());
  key.prefix = key.key.substr(0, kShownPrefix);
  key.hash = HashApiKey(key.key);
  return key;
}

bool LooksLikeApiKey(const std::string& text) {
  const std::string prefix = kApiKeyPrefix;
  if (text.size() != prefix.size() + kKeyChars) return false;
  if (text.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < text.size(); ++i) {
    if (!IsBase64UrlChar(text[i])) return false;
  }
  return true;
}

// BLAKE2b-256 as lowercase hex: the key has 256 bits of entropy, so no salt or stretching.
std::string HashApiKey(const std::string& key) {
  InitSodium();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), nullptr, 0);
  char hex[crypto_generichash_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

// No 0/O, 1/l/I: a first-start password may be read off a screen and typed.
std::string RandomPassword(size_t length) {
  InitSodium();
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string out(length, '\0');
  for (char& c : out) c = kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

}  // namespace agor
