// OriginPolicy: which browser origins may talk to the daemon (REST, polling, WebSocket
// upgrades), against cross-site WebSocket hijacking and cross-site REST. A request without
// an Origin header (the CLI, scripts, server-side clients) is allowed; a browser request
// from an origin not in the list is refused with 403, its Origin quoted as valid UTF-8 (never
// the raw bytes). The daemon's own origins (http://localhost:<port>, http://127.0.0.1:<port>,
// http://[::1]:<port>, the bound address and the --allowed-host names) are always allowed:
// clients such as Python's websocket-client send them.
//
// Allowed origins get CORS headers, and their preflights (OPTIONS with
// Access-Control-Request-Method) the answer a browser app needs before a JSON POST.
//
// Thread-safety: immutable after construction.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "server/wire/http_types.h"

namespace agor {

class OriginPolicy {
 public:
  explicit OriginPolicy(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}

  // The daemon's own origins, "http://<name>:<port>" for each Host name it answers to
  // (lowercase, IPv6 literals bracketed: HostPolicy::names()), wildcard addresses left out.
  static std::vector<std::string> OwnOrigins(int port, const std::vector<std::string>& names);

  // OK, or Forbidden naming the origin.
  Status Check(const HttpRequest& req) const;
  // Adds Access-Control-Allow-Origin (and credentials, Vary) for an allowed Origin.
  void AddCorsHeaders(const HttpRequest& req, HttpResponse* res) const;

  // True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.
  static bool IsPreflight(const HttpRequest& req);
  // The answer to a preflight from an allowed origin: 204 with the allowed methods, the
  // requested headers among those the API reads (content-type, authorization), a max age.
  HttpResponse Preflight(const HttpRequest& req) const;

 private:
  std::vector<std::string> allowed_;
};

}  // namespace agor
