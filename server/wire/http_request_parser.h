// HTTP/1.1 request parsing for the daemon's own server: a pure function over the bytes read
// so far, no I/O. A connection keeps unparsed bytes and calls it again when more arrive, so
// pipelined and split requests both work. Bodies come with Content-Length or chunked
// Transfer-Encoding (decoded); both at once is refused, as a smuggling attempt.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "server/wire/http_types.h"

namespace agor {

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // request line and headers; more is 400
  size_t max_body_bytes = 1024 * 1024;  // more is 413
};

struct HttpParse {
  enum Result { kIncomplete, kComplete, kError };
  Result result = kIncomplete;
  size_t consumed = 0;            // kComplete: the bytes the request spans
  bool keep_alive = true;         // kComplete: the client allows another request on the connection
  bool expects_continue = false;  // kIncomplete: headers read, body awaited, 100 wanted
  Status error;                   // kError: 400 or 413 (body) with a message; answer it and close
};

// Parses the request at the start of `in` into *request (overwritten).
HttpParse ParseHttpRequest(std::string_view in, const HttpLimits& limits, HttpRequest* request);

// The response's bytes: status line, Content-Type, Content-Length, the extra headers,
// "Connection: close" when !keep_alive, then the body.
std::string SerializeHttpResponse(const HttpResponse& response, bool keep_alive);

}  // namespace agor
