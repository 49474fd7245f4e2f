// HostPolicy: against DNS rebinding. A page on evil.example whose name is then rebound to
// 127.0.0.1 talks to a loopback daemon as same-origin, so neither CORS nor the Origin check
// stops it; but its requests still carry `Host: evil.example`. On a daemon bound to a loopback
// address the Host header must therefore name the daemon itself: `localhost`, `127.0.0.1`,
// `[::1]`, the bound address or an --allowed-host name, without a port or with the daemon's
// own. Anything else is refused with 403, on HTTP requests and WebSocket upgrades alike.
// A request without Host (HTTP/1.0 tools) passes: browsers always send one. A daemon bound to
// another address is reached by names this policy cannot know, and is not checked.
//
// Thread-safety: immutable after construction.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/wire/http_types.h"

namespace agor {

class HostPolicy {
 public:
  // `bind_host`: the address listened on; `port`: the daemon's own port; `allowed`: the
  // --allowed-host names (a port, if given with one, is ignored: the daemon's own is used).
  HostPolicy(const std::string& bind_host, int port, const std::vector<std::string>& allowed);

  // OK, or Forbidden naming the Host (made valid UTF-8, shortened).
  Status Check(const HttpRequest& req) const;
  // True when bound to a loopback address, where Check applies.
  bool enforced() const { return enforced_; }
  // The names a Host may carry: lowercase, IPv6 literals in brackets.
  const std::vector<std::string>& names() const { return names_; }

  // True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
  static bool IsLoopback(const std::string& address);
  // `name` lowercased, an IPv6 literal put in brackets ("::1" -> "[::1]").
  static std::string Normalize(std::string_view name);

 private:
  bool Allowed(std::string_view host) const;

  bool enforced_ = false;
  std::string port_;
  std::vector<std::string> names_;
};

}  // namespace agor
