#include "server/net/origin_policy.h"

#include <algorithm>
#include <cctype>

#include "base/utf8.h"

namespace agor {
namespace {

constexpr size_t kOriginEchoBytes = 200;  // of a refused Origin quoted in the error message
// The request headers a browser app may send: the API reads no others.
const char* const kAllowedHeaders[] = {"content-type", "authorization"};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Of the comma-separated headers a preflight asks for, those in kAllowedHeaders, in the order
// of that list ("" when none): a header outside it is left out, so the browser refuses.
std::string AllowedRequestHeaders(const std::string& requested) {
  std::vector<std::string> asked;
  size_t start = 0;
  while (start <= requested.size()) {
    size_t end = std::min(requested.find(',', start), requested.size());
    asked.push_back(Lower(Trim(requested.substr(start, end - start))));
    start = end + 1;
  }
  std::string out;
  for (const char* name : kAllowedHeaders) {
    if (std::find(asked.begin(), asked.end(), name) == asked.end()) continue;
    out += (out.empty() ? "" : ", ") + std::string(name);
  }
  return out;
}

}  // namespace

std::vector<std::string> OriginPolicy::OwnOrigins(int port, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    // A wildcard address is where the daemon listens, never what a browser shows.
    if (name == "0.0.0.0" || name == "[::]") continue;
    std::string origin = "http://" + name + ":" + std::to_string(port);
    if (std::find(out.begin(), out.end(), origin) == out.end()) out.push_back(std::move(origin));
  }
  return out;
}

Status OriginPolicy::Check(const HttpRequest& req) const {
  const std::string& origin = req.Header("origin");
  if (origin.empty()) return Status::OK();
  if (std::find(allowed_.begin(), allowed_.end(), origin) != allowed_.end()) return Status::OK();
  return Status::Forbidden("Origin '" + ToValidUtf8(origin, kOriginEchoBytes) +
                           "' is not allowed (see --cors-origin)");
}

void OriginPolicy::AddCorsHeaders(const HttpRequest& req, HttpResponse* res) const {
  const std::string& origin = req.Header("origin");
  if (origin.empty() || !Check(req).ok()) return;
  res->headers.emplace_back("Access-Control-Allow-Origin", origin);
  res->headers.emplace_back("Access-Control-Allow-Credentials", "true");
  res->headers.emplace_back("Vary", "Origin");
}

bool OriginPolicy::IsPreflight(const HttpRequest& req) {
  return req.method == "OPTIONS" && !req.Header("origin").empty() &&
         !req.Header("access-control-request-method").empty();
}

HttpResponse OriginPolicy::Preflight(const HttpRequest& req) const {
  HttpResponse res;
  res.status = 204;
  res.content_type.clear();
  AddCorsHeaders(req, &res);
  res.headers.emplace_back("Access-Control-Allow-Methods",
                           "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
  std::string headers = AllowedRequestHeaders(req.Header("access-control-request-headers"));
  if (!headers.empty()) res.headers.emplace_back("Access-Control-Allow-Headers", headers);
  // Ten minutes: browsers cap it anyway (Chromium at two hours), and a changed
  // --cors-origin takes effect soon after a restart.
  res.headers.emplace_back("Access-Control-Max-Age", "600");
  res.headers.emplace_back("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers");
  return res;
}

}  // namespace agor
