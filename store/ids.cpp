#include "store/ids.h"

#include <cctype>
#include <cstdio>
#include <random>

namespace agor {

std::string NewUuid() {
  // std::random_device reads getrandom()/urandom on Linux; mt19937 would be predictable.
  thread_local std::random_device rd;
  unsigned char b[16];
  for (int i = 0; i < 16; i += 4) {
    uint32_t r = rd();
    for (int k = 0; k < 4; ++k) b[i + k] = static_cast<unsigned char>(r >> (8 * k));
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char out[37];
  snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
           b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
           b[14], b[15]);
  return out;
}

std::string NewToken() {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    uint32_t r = rd();
    for (int k = 0; k < 5; ++k, r >>= 6) out.push_back(kAlphabet[r & 63]);
  }
  return out;
}

bool IsUuid(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = (i == 8 || i == 13 || i == 18 || i == 23);
    if (dash ? id[i] != '-' : !isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

bool IsIdPrefix(const std::string& id) {
  if (id.size() < 8 || id.size() >= 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash = (i == 8 || i == 13 || i == 18 || i == 23);
    if (dash ? id[i] != '-' : !isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

}  // namespace agor
