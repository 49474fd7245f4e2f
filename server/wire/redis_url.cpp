#include "server/wire/redis_url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>

namespace agor {

namespace {

constexpr std::string_view kScheme = "redis://";
constexpr size_t kMaxHostBytes = 253;  // a DNS name's limit; addresses are shorter
constexpr size_t kMaxLabelBytes = 63;

Status Bad(const std::string& why) {
  return Status::BadRequest("invalid Redis URL: " + why + " (expected redis://HOST:PORT[/DB])");
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// Decimal digits only (no sign, no spaces), within [min, max].
bool ParseNumber(std::string_view text, int min, int max, int* out) {
  if (text.empty() || text.size() > 9) return false;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < min || value > max) return false;
  *out = static_cast<int>(value);
  return true;
}

bool IsAddress(int family, std::string_view text) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(family, std::string(text).c_str(), buf) == 1;
}

// Dot-separated labels of letters, digits and inner hyphens (RFC 1123).
bool IsHostName(std::string_view host) {
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) dot = host.size();
    std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > kMaxLabelBytes) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

// A dotted quad must be a valid IPv4 address ("999.1.1.1" is not a name either).
Status CheckHost(std::string_view host, bool bracketed) {
  if (host.empty()) return Bad("no host");
  if (host.size() > kMaxHostBytes) return Bad("host longer than 253 bytes");
  if (bracketed) {
    return IsAddress(AF_INET6, host) ? Status::OK() : Bad("'[...]' must hold an IPv6 address");
  }
  bool numeric = host.find_first_not_of("0123456789.") == std::string_view::npos;
  if (numeric) return IsAddress(AF_INET, host) ? Status::OK() : Bad("bad IPv4 address");
  return IsHostName(host) ? Status::OK() : Bad("bad host name (IPv6 needs brackets: [::1])");
}

// Splits "HOST[:PORT]" (HOST possibly "[v6]") and checks both.
Status ParseAuthority(std::string_view authority, RedisUrl* url) {
  std::string_view host = authority;
  std::string_view rest;
  bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad("'[' without ']'");
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    rest = authority.substr(colon);
  }
  Status status = CheckHost(host, bracketed);
  if (!status.ok()) return status;
  url->host = std::string(host);
  if (rest.empty()) return Status::OK();
  if (rest.front() != ':') return Bad("unexpected text after the host");
  if (!ParseNumber(rest.substr(1), 1, 65535, &url->port)) return Bad("port must be 1-65535");
  return Status::OK();
}

}  // namespace

std::string RedisUrl::ToString() const {
  bool v6 = host.find(':') != std::string::npos;
  return std::string(kScheme) + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
         std::to_string(db);
}

Status ParseRedisUrl(std::string_view text, RedisUrl* out) {
  if (text.size() > kMaxRedisUrlBytes) return Bad("longer than 1024 bytes");
  if (!StartsWithNoCase(text, kScheme)) return Bad("the scheme must be redis://");
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find('@') != std::string_view::npos) return Bad("credentials are not supported");
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Bad("a query or fragment is not supported");
  }
  size_t slash = rest.find('/');
  RedisUrl url;
  Status status = ParseAuthority(rest.substr(0, slash), &url);
  if (!status.ok()) return status;
  if (slash != std::string_view::npos && slash + 1 < rest.size() &&
      !ParseNumber(rest.substr(slash + 1), 0, kMaxRedisDb, &url.db)) {
    return Bad("the database after '/' must be a number 0-" + std::to_string(kMaxRedisDb));
  }
  *out = std::move(url);
  return Status::OK();
}

}  // namespace agor
