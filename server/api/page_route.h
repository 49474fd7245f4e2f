// PageRoute: the HTTP answers for the board page (server/api/page_assets.h) on the REST port.
//
//   GET/HEAD /, /index.html -> the page: Cache-Control: no-cache, ETag, a strict
//                              Content-Security-Policy (own origin only, no inline script
//                              or style, no framing)
//   GET/HEAD /assets/<name> -> a content-hashed asset: Cache-Control: public, max-age=31536000,
//                              immutable
//   If-None-Match naming the current ETag (or *) -> 304 without a body
//   an unknown /assets/ name -> 404, another method -> 405 (Feathers error JSON)
// Every answer carries X-Content-Type-Options: nosniff.
//
// The page's paths are "/", "/index.html" and "/assets/...": none is a service name or one of
// /health, /metrics, /socket.io/ (no service may be called "assets" or "index.html").
//
// Thread-safety: pure functions over immutable data.
#pragma once

#include <string>

#include "server/wire/http_types.h"

namespace agor {

// True when `path` (the raw request path) belongs to the page.
bool IsPagePath(const std::string& path);

// The answer to `req`, whose path IsPagePath. A HEAD arrives as its GET (req.head): the
// server drops the body of the answer.
HttpResponse PageResponse(const HttpRequest& req);

}  // namespace agor
