#include "server/net/host_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "base/utf8.h"

namespace agor {
namespace {

constexpr size_t kEchoBytes = 200;  // of a refused Host quoted in the error message

// The Host header, or nullptr when the request has none.
const std::string* FindHost(const HttpRequest& req) {
  for (const auto& [name, value] : req.headers) {
    if (name == "host") return &value;
  }
  return nullptr;
}

// Splits "name[:port]" (the name possibly a bracketed IPv6 literal); false when malformed.
bool SplitHost(std::string_view host, std::string_view* name, std::string_view* port) {
  size_t colon = std::string_view::npos;
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return false;
      colon = close + 1;
    }
  } else {
    colon = host.find(':');
  }
  *name = host.substr(0, colon);
  *port = colon == std::string_view::npos ? std::string_view() : host.substr(colon + 1);
  return !name->empty() && (colon == std::string_view::npos || !port->empty());
}

}  // namespace

HostPolicy::HostPolicy(const std::string& bind_host, int port,
                       const std::vector<std::string>& allowed)
    : enforced_(IsLoopback(bind_host)), port_(std::to_string(port)) {
  names_ = {"localhost", "127.0.0.1", "[::1]", Normalize(bind_host)};
  for (const auto& entry : allowed) {
    std::string_view name, ignored_port;
    std::string normalized = Normalize(entry);
    if (SplitHost(normalized, &name, &ignored_port)) names_.emplace_back(name);
  }
}

bool HostPolicy::IsLoopback(const std::string& address) {
  unsigned char bytes[16];
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) return bytes[0] == 127;
  if (inet_pton(AF_INET6, address.c_str(), bytes) != 1) return false;
  static const unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(bytes, bytes + 16, kLoopback)) return true;
  return std::equal(bytes, bytes + 12, kMapped) && bytes[12] == 127;
}

std::string HostPolicy::Normalize(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Two colons make an IPv6 literal (a name with a port has one).
  if (!out.empty() && out[0] != '[' && std::count(out.begin(), out.end(), ':') > 1) {
    out = "[" + out + "]";
  }
  return out;
}

bool HostPolicy::Allowed(std::string_view host) const {
  std::string_view name, port;
  if (!SplitHost(host, &name, &port)) return false;
  if (!port.empty() && port != port_) return false;
  std::string lower = Normalize(name);
  return std::find(names_.begin(), names_.end(), lower) != names_.end();
}

Status HostPolicy::Check(const HttpRequest& req) const {
  const std::string* host = FindHost(req);
  if (!enforced_ || host == nullptr || Allowed(*host)) return Status::OK();
  return Status::Forbidden("Host '" + ToValidUtf8(*host, kEchoBytes) +
                           "' is not allowed (see --allowed-host)");
}

}  // namespace agor
