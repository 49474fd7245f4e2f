#include "server/wire/http_request_parser.h"

#include <cctype>

namespace agor {
namespace {

constexpr std::string_view kCrlf = "\r\n";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HttpParse Error(Status status) {
  HttpParse p;
  p.result = HttpParse::kError;
  p.error = std::move(status);
  return p;
}

// "GET /path?q HTTP/1.1" into method, path and query; false when malformed.
bool ParseRequestLine(std::string_view line, HttpRequest* req, bool* http10) {
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || sp1 == 0) return false;
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  *http10 = version == "HTTP/1.0";
  req->method.assign(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.find(' ') != std::string_view::npos) return false;
  size_t scheme = target.find("://");  // absolute-form: keep the path only
  if (target[0] != '/' && scheme != std::string_view::npos) {
    size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? "/" : target.substr(slash);
  }
  size_t q = target.find('?');
  req->path.assign(target.substr(0, q));
  req->query.assign(q == std::string_view::npos ? "" : target.substr(q + 1));
  return req->path[0] == '/' || req->path == "*";
}

bool ParseHeaders(std::string_view block, HttpRequest* req) {
  req->headers.clear();
  while (!block.empty()) {
    size_t end = block.find(kCrlf);
    std::string_view line = block.substr(0, end);
    block.remove_prefix(end == std::string_view::npos ? block.size() : end + 2);
    size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    std::string_view name = line.substr(0, colon);
    if (name.find_first_of(" \t") != std::string_view::npos) return false;
    req->headers.emplace_back(Lower(name), std::string(Trim(line.substr(colon + 1))));
  }
  return true;
}

// Content-Length as a number; false when it is not one (or too long to be one).
bool ParseLength(const std::string& text, size_t* length) {
  if (text.empty() || text.size() > 15) return false;
  *length = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    *length = *length * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

// The hex size at the start of a chunk-size line ("1a;ext"); false when malformed.
bool ParseChunkSize(std::string_view line, size_t* size) {
  line = Trim(line.substr(0, line.find(';')));  // chunk extensions are ignored
  if (line.empty() || line.size() > 15) return false;
  *size = 0;
  for (char c : line) {
    if (!isxdigit(static_cast<unsigned char>(c))) return false;
    int v = isdigit(static_cast<unsigned char>(c)) ? c - '0' : tolower(c) - 'a' + 10;
    *size = *size * 16 + static_cast<size_t>(v);
  }
  return true;
}

HttpParse TooLarge(size_t max_body) {
  return Error(Status::PayloadTooLarge("request body over " + std::to_string(max_body) + " bytes"));
}

HttpParse Complete(size_t consumed) {
  HttpParse p;
  p.result = HttpParse::kComplete;
  p.consumed = consumed;
  return p;
}

HttpParse HeadersTooLarge(size_t max) {
  return Error(Status::BadRequest("request headers over " + std::to_string(max) + " bytes"));
}

// Skips the trailer lines after the last chunk, at most max_bytes of them; kIncomplete until
// the empty line arrived.
HttpParse SkipTrailers(std::string_view in, size_t pos, size_t max_bytes) {
  size_t start = pos;
  for (;;) {
    size_t end = in.find(kCrlf, pos);
    if ((end == std::string_view::npos ? in.size() : end) - start > max_bytes) {
      return HeadersTooLarge(max_bytes);
    }
    if (end == std::string_view::npos) return HttpParse{};
    if (end == pos) return Complete(end + 2);
    pos = end + 2;
  }
}

// Decodes the chunked body starting at in[pos] into *body. kIncomplete until the last chunk
// and its trailers arrived; consumed counts from the start of in.
HttpParse DecodeChunked(std::string_view in, size_t pos, const HttpLimits& limits,
                        std::string* body) {
  const size_t max_body = limits.max_body_bytes;
  body->clear();
  for (;;) {
    size_t eol = in.find(kCrlf, pos);
    if (eol == std::string_view::npos) {
      if (in.size() - pos > 1024) return Error(Status::BadRequest("malformed chunk size"));
      return HttpParse{};
    }
    size_t size = 0;
    if (!ParseChunkSize(in.substr(pos, eol - pos), &size)) {
      return Error(Status::BadRequest("malformed chunk size"));
    }
    if (body->size() + size > max_body) return TooLarge(max_body);
    pos = eol + 2;
    if (size == 0) return SkipTrailers(in, pos, limits.max_header_bytes);
    if (in.size() < pos + size + 2) return HttpParse{};
    if (in.substr(pos + size, 2) != kCrlf) return Error(Status::BadRequest("malformed chunk"));
    body->append(in.substr(pos, size));
    pos += size + 2;
  }
}

// Reads the body framing headers and the body that follows the header block at in[start].
HttpParse ParseBody(std::string_view in, size_t start, const HttpLimits& limits, HttpRequest* req) {
  const std::string& te = req->Header("transfer-encoding");
  const std::string& cl = req->Header("content-length");
  if (!te.empty()) {
    if (!cl.empty()) return Error(Status::BadRequest("both Content-Length and Transfer-Encoding"));
    if (Lower(te) != "chunked") return Error(Status::BadRequest("unsupported Transfer-Encoding"));
    return DecodeChunked(in, start, limits, &req->body);
  }
  size_t length = 0;
  if (!cl.empty() && !ParseLength(cl, &length)) {
    return Error(Status::BadRequest("invalid Content-Length"));
  }
  for (const auto& h : req->headers) {  // RFC 9112 6.3: differing lengths are a smuggling try
    if (h.first == "content-length" && h.second != cl) {
      return Error(Status::BadRequest("conflicting Content-Length headers"));
    }
  }
  if (length > limits.max_body_bytes) return TooLarge(limits.max_body_bytes);
  if (in.size() - start < length) return HttpParse{};
  req->body.assign(in.substr(start, length));
  return Complete(start + length);
}

bool KeepAlive(const HttpRequest& req, bool http10) {
  std::string connection = Lower(req.Header("connection"));
  if (connection.find("close") != std::string::npos) return false;
  return !http10 || connection.find("keep-alive") != std::string::npos;
}

}  // namespace

HttpParse ParseHttpRequest(std::string_view in, const HttpLimits& limits, HttpRequest* request) {
  size_t skipped = 0;  // RFC 9112: empty lines before a request are ignored (and counted)
  while (in.substr(skipped, 2) == kCrlf) skipped += 2;
  size_t end = in.find("\r\n\r\n", skipped);
  if ((end == std::string_view::npos ? in.size() : end + 4) > limits.max_header_bytes) {
    return HeadersTooLarge(limits.max_header_bytes);
  }
  if (end == std::string_view::npos) return HttpParse{};
  in.remove_prefix(skipped);
  end -= skipped;
  size_t line_end = in.find(kCrlf);
  bool http10 = false;
  if (!ParseRequestLine(in.substr(0, line_end), request, &http10)) {
    return Error(Status::BadRequest("malformed request line"));
  }
  std::string_view block = line_end == end ? "" : in.substr(line_end + 2, end - line_end - 2);
  if (!ParseHeaders(block, request)) return Error(Status::BadRequest("malformed header line"));
  HttpParse p = ParseBody(in, end + 4, limits, request);
  if (p.result == HttpParse::kComplete) p.consumed += skipped;
  p.expects_continue =
      p.result == HttpParse::kIncomplete && Lower(request->Header("expect")) == "100-continue";
  p.keep_alive = KeepAlive(*request, http10);
  return p;
}

static const char* ReasonPhrase(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

std::string SerializeHttpResponse(const HttpResponse& response, bool keep_alive) {
  std::string out;
  out.reserve(128 + response.body.size());
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(ReasonPhrase(response.status)).append("\r\n");
  if (!response.content_type.empty()) {
    out.append("Content-Type: ").append(response.content_type).append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  for (const auto& h : response.headers)
    out.append(h.first).append(": ").append(h.second).append("\r\n");
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n").append(response.body);
  return out;
}

}  // namespace agor
