#include "server/wire/http_types.h"

namespace agor {

const std::string& HttpRequest::Header(const std::string& name) const {
  static const std::string kEmpty;
  for (const auto& h : headers) {
    if (h.first == name) return h.second;
  }
  return kEmpty;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
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

}  // namespace

std::string SerializeHttpResponse(const HttpResponse& response, bool keep_alive, bool with_body) {
  std::string out;
  out.reserve(128 + (with_body ? response.body.size() : 0));
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(ReasonPhrase(response.status)).append("\r\n");
  if (!response.content_type.empty()) {
    out.append("Content-Type: ").append(response.content_type).append("\r\n");
  }
  // A 304 may only carry the Content-Length its 200 would have (RFC 9110 8.6): none at all.
  if (response.status != 304)
    out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  for (const auto& h : response.headers)
    out.append(h.first).append(": ").append(h.second).append("\r\n");
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  if (with_body && response.status != 304) out.append(response.body);
  return out;
}

bool PercentDecode(const std::string& in, std::string* out, bool plus_is_space) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else if (c != '%') {
      out->push_back(c);
    } else {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
  }
  return true;
}

std::string QueryParam(const std::string& query, const std::string& name) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    size_t eq = query.find('=', pos);
    if (eq != std::string::npos && eq < end && query.compare(pos, eq - pos, name) == 0 &&
        eq - pos == name.size()) {
      std::string value;
      if (PercentDecode(query.substr(eq + 1, end - eq - 1), &value, true)) return value;
      return "";
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace agor
