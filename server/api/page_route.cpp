#include "server/api/page_route.h"

#include <string_view>

#include "base/status.h"
#include "server/api/page_assets.h"

namespace agor {
namespace {

// Own origin only. connect-src 'self' covers the same-origin ws:// of the socket (CSP 3);
// img-src data: for inline icons; no inline script or style, nothing framed or framing.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

HttpResponse ErrorResponse(const Status& s) {
  HttpResponse res;
  res.status = s.http_status();
  res.body = s.ToJsonText();
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return res;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 13.1.2: If-None-Match is a list of entity tags (or "*"), compared weakly, so a
// "W/" prefix (which proxies may add) does not matter.
bool MatchesIfNoneMatch(const std::string& header, std::string_view etag) {
  std::string_view rest = header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view tag = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

}  // namespace

bool IsPagePath(const std::string& path) {
  return path == "/" || path == "/index.html" || path.rfind("/assets/", 0) == 0;
}

HttpResponse PageResponse(const HttpRequest& req) {
  if (req.method != "GET")
    return ErrorResponse(
        Status::MethodNotAllowed("Method " + req.method + " is not supported by " + req.path));
  const PageAsset* asset = FindPageAsset(req.path);
  if (!asset) return ErrorResponse(Status::NotFound("Path " + req.path + " not found"));
  HttpResponse res;
  res.headers.emplace_back("ETag", std::string(asset->etag));
  // index.html names the current assets: always revalidated, so a new binary's page is
  // picked up at once; the assets' names change with their content.
  res.headers.emplace_back("Cache-Control",
                           asset->immutable ? "public, max-age=31536000, immutable" : "no-cache");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!asset->immutable) {
    res.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    res.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  if (MatchesIfNoneMatch(req.Header("if-none-match"), asset->etag)) {
    res.status = 304;
    res.content_type.clear();  // a 304 has no content; the cached one keeps its type
    return res;
  }
  res.content_type = std::string(asset->content_type);
  res.body = std::string(asset->body);
  return res;
}

}  // namespace agor
