#include "base/ids.h"

#include <sys/random.h>

#include <cctype>
#include <cstring>

namespace agor {

namespace {

// Bytes from the OS's random source (getrandom), drawn 512 at a time: one syscall per 32
// ids instead of four per id. Per thread, so no lock.
void RandomBytes(unsigned char* out, size_t n) {
  thread_local unsigned char pool[512];
  thread_local size_t left = 0;
  while (n > 0) {
    if (left == 0) {
      size_t got = 0;
      while (got < sizeof pool) {
        ssize_t r = getrandom(pool + got, sizeof pool - got, 0);
        if (r > 0) got += static_cast<size_t>(r);  // EINTR: try again
      }
      left = sizeof pool;
    }
    size_t take = n < left ? n : left;
    memcpy(out, pool + sizeof pool - left, take);
    memset(pool + sizeof pool - left, 0, take);  // used bytes do not linger
    left -= take, out += take, n -= take;
  }
}

}  // namespace

std::string NewUuid() {
  unsigned char b[16];
  RandomBytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

std::string NewToken() {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char b[20];
  RandomBytes(b, sizeof b);
  std::string out;
  for (unsigned char c : b) out.push_back(kAlphabet[c & 63]);
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
