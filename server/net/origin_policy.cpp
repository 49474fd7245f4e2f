#include "server/net/origin_policy.h"

#include <algorithm>

namespace agor {

Status OriginPolicy::Check(const HttpRequest& req) const {
  const std::string& origin = req.Header("origin");
  if (origin.empty()) return Status::OK();
  if (std::find(allowed_.begin(), allowed_.end(), origin) != allowed_.end()) return Status::OK();
  return Status::Forbidden("Origin '" + origin + "' is not allowed (see --cors-origin)");
}

void OriginPolicy::AddCorsHeaders(const HttpRequest& req, HttpResponse* res) const {
  const std::string& origin = req.Header("origin");
  if (origin.empty() || !Check(req).ok()) return;
  res->headers.emplace_back("Access-Control-Allow-Origin", origin);
  res->headers.emplace_back("Access-Control-Allow-Credentials", "true");
  res->headers.emplace_back("Vary", "Origin");
}

}  // namespace agor
