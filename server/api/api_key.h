// ApiKey: personal API keys, `agor_sk_` + base64url of 32 random bytes (libsodium
// randombytes). Stored only as their hash: a key has 256 bits of entropy, so a fast keyed-free
// hash (BLAKE2b-256, crypto_generichash, hex) is enough to make a leaked database useless for
// logging in, and lets a request find its key by one indexed lookup.
//
// Thread-safety: pure functions (randombytes is thread-safe).
#pragma once

#include <string>

namespace agor {

constexpr const char* kApiKeyPrefix = "agor_sk_";

struct NewApiKey {
  std::string key;     // shown once
  std::string prefix;  // the first 12 characters ("agor_sk_AbCd"), to recognise it in lists
  std::string hash;    // what the store keeps
};

NewApiKey MakeApiKey();
// Whether `text` has a key's shape (prefix, then exactly the 43 base64url characters of 32
// bytes, as MakeApiKey makes them): what to try as a key.
bool LooksLikeApiKey(const std::string& text);
std::string HashApiKey(const std::string& key);
// `bytes` random bytes (the JWT secret, first-start passwords).
std::string RandomBytes(size_t bytes);
// A random password of `length` characters from an unambiguous alphabet.
std::string RandomPassword(size_t length);

// Calls sodium_init() once (a function-local static); every user of libsodium in this layer
// calls it first. Aborts when libsodium cannot start: no secure randomness, nothing to do.
void InitSodium();

}  // namespace agor
