// The plain HTTP request and response the routers see, independent of the server library,
// and the response's bytes. Value types and pure functions: thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace agor {

struct HttpRequest {
  std::string method;  // "GET"
  bool head = false;   // a HEAD, handed up as its GET (method "GET"); the answer loses its body
  std::string path;    // "/boards/abc", still percent-encoded
  std::string query;   // the raw text after '?', "" when none
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  // The peer's IP address as text ("127.0.0.1", "::1"), set by the server from the socket
  // (never from a header); "" when unknown. Login rate limits count per address.
  std::string remote_address;

  // The header's value, "" when absent. `name` must be lowercase.
  const std::string& Header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// The decoded value of `name` in a raw query string ("a=1&b=2"), "" when absent.
std::string QueryParam(const std::string& query, const std::string& name);

// The response's bytes: status line, Content-Type, Content-Length, the extra headers,
// "Connection: close" when !keep_alive, then the body unless `with_body` is false (the answer
// to HEAD keeps the GET's Content-Length but sends no body). A 304 has neither body nor
// Content-Length.
std::string SerializeHttpResponse(const HttpResponse& response, bool keep_alive,
                                  bool with_body = true);

// Percent-decodes a path segment ("%20" -> " "); false on a malformed escape.
bool PercentDecode(const std::string& in, std::string* out, bool plus_is_space = false);

}  // namespace agor
