// OriginPolicy: which browser origins may talk to the daemon (REST, polling, WebSocket
// upgrades), against cross-site WebSocket hijacking and cross-site REST. A request without
// an Origin header (the CLI, scripts, server-side clients) is allowed; a browser request
// from an origin not in the list is refused with 403. Allowed origins get CORS headers.
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

  // OK, or Forbidden naming the origin.
  Status Check(const HttpRequest& req) const;
  // Adds Access-Control-Allow-Origin (and credentials, Vary) for an allowed Origin.
  void AddCorsHeaders(const HttpRequest& req, HttpResponse* res) const;

 private:
  std::vector<std::string> allowed_;
};

}  // namespace agor
