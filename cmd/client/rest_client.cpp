#include "cmd/client/rest_client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "cmd/error_text.h"

namespace agor {
namespace {

constexpr const char* kScheme = "http://";
constexpr time_t kConnectTimeoutSec = 5;
constexpr time_t kIoTimeoutSec = 10;

bool IsUnreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Parses a decimal TCP port; false unless 1..65535.
bool ParsePort(const std::string& text, int* port) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text) {
    if (!isdigit(static_cast<unsigned char>(c))) return false;
  }
  *port = std::atoi(text.c_str());
  return *port >= 1 && *port <= 65535;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port" into out->host / out->port (default 80).
bool ParseAuthority(const std::string& authority, BaseUrl* out) {
  bool bracketed = !authority.empty() && authority[0] == '[';
  size_t host_end = authority.find(bracketed ? ']' : ':');
  if (bracketed && host_end == std::string::npos) return false;
  size_t host_begin = bracketed ? 1 : 0;
  out->host = authority.substr(host_begin, host_end - host_begin);
  size_t tail_begin = std::min(authority.size(), bracketed ? host_end + 1 : host_end);
  std::string tail = authority.substr(tail_begin);
  out->port = 80;
  if (out->host.empty()) return false;
  return tail.empty() || (tail[0] == ':' && ParsePort(tail.substr(1), &out->port));
}

std::string NormalizedText(const BaseUrl& url) {
  bool v6 = url.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + url.host + "]" : url.host;
  return kScheme + host + ":" + std::to_string(url.port) + url.prefix;
}

Status Unreachable(const BaseUrl& base, httplib::Error error) {
  std::string message = "cannot reach agor at " + base.text + ": is 'agor serve' running?";
  if (error != httplib::Error::Connection && error != httplib::Error::ConnectionTimeout) {
    message = "no answer from agor at " + base.text + " (" + httplib::to_string(error) + ")";
  }
  return Status(Code::kUnavailable, message, Json{{"unreachable", base.text}});
}

// Turns an HTTP answer into the Status/result contract of RestClient.
Status ReadAnswer(const BaseUrl& base, const httplib::Response& res, Json* result) {
  Json body = Json::parse(res.body, nullptr, /*allow_exceptions=*/false);
  if (res.body.empty()) body = nullptr;
  bool parsed = res.body.empty() || !body.is_discarded();
  if (res.status >= 200 && res.status < 300) {
    if (!parsed) return Status::GeneralError("the server answered something other than JSON");
    *result = std::move(body);
    return Status::OK();
  }
  Status server =
      parsed && body.is_object() && body.contains("message")
          ? Status::FromJson(body)
          : Status(Code::kGeneralError, "the server answered HTTP " + std::to_string(res.status));
  return res.status == 401 ? NotLoggedIn(base, server.message(), server.data()) : server;
}

}  // namespace

Status ParseBaseUrl(const std::string& url, BaseUrl* out) {
  const std::string scheme = kScheme;
  if (url.rfind("https://", 0) == 0) {
    return Status::BadRequest("https is not supported (agor serves plain http): " + url);
  }
  if (url.rfind(scheme, 0) != 0) {
    return Status::BadRequest("the URL must look like http://host:port, not '" + url + "'");
  }
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  BaseUrl parsed;
  if (!ParseAuthority(rest.substr(0, slash), &parsed)) {
    return Status::BadRequest("bad host or port in URL '" + url + "'");
  }
  if (slash != std::string::npos) parsed.prefix = rest.substr(slash);
  while (!parsed.prefix.empty() && parsed.prefix.back() == '/') parsed.prefix.pop_back();
  parsed.text = NormalizedText(parsed);
  *out = std::move(parsed);
  return Status::OK();
}

std::string ChooseUrl(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("AGOR_URL");
  return env && *env ? env : kDefaultUrl;
}

std::string UrlEncode(const std::string& text, const std::string& keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (IsUnreserved(c) || keep.find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string PathJoin(const std::string& service, const std::string& id) {
  return "/" + UrlEncode(service) + "/" + UrlEncode(id);
}

std::string EncodeQuery(const QueryParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    out += out.empty() ? "?" : "&";
    out += UrlEncode(key, "$[]") + "=" + UrlEncode(value);
  }
  return out;
}

bool IsUnreachable(const Status& status) {
  return status.code() == Code::kUnavailable && status.data().is_object() &&
         status.data().contains("unreachable");
}

Status NotLoggedIn(const BaseUrl& base, const std::string& reason, Json server_data) {
  std::string why = reason.empty() ? "not authenticated" : reason;
  std::string message = "not logged in to " + base.text + ": run 'agor login' or set AGOR_TOKEN (" +
                        LowerFirst(why) + ")";
  Json data = {{"not_authenticated", base.text}, {"reason", why}, {"data", std::move(server_data)}};
  return Status(Code::kNotAuthenticated, message, std::move(data));
}

bool IsNotAuthenticated(const Status& status) {
  return status.code() == Code::kNotAuthenticated && status.data().is_object() &&
         status.data().contains("not_authenticated");
}

std::string NotAuthenticatedReason(const Status& status) {
  const Json& data = status.data();
  auto it = data.is_object() ? data.find("reason") : data.end();
  return it != data.end() && it->is_string() ? it->get<std::string>() : status.message();
}

RestClient::RestClient(BaseUrl base)
    : base_(std::move(base)), http_(std::make_unique<httplib::Client>(base_.host, base_.port)) {
  http_->set_tcp_nodelay(true);
  http_->set_connection_timeout(kConnectTimeoutSec);
  http_->set_read_timeout(kIoTimeoutSec);
  http_->set_write_timeout(kIoTimeoutSec);
  http_->set_url_encode(false);  // paths and queries arrive encoded (PathJoin, EncodeQuery)
  http_->set_keep_alive(false);  // agor answers with Connection: close anyway
}

RestClient::~RestClient() = default;

Status RestClient::Get(const std::string& path, const QueryParams& query, Json* result) {
  return Send("GET", path, query, nullptr, result);
}
Status RestClient::Post(const std::string& path, const Json& body, Json* result) {
  return Send("POST", path, {}, &body, result);
}
Status RestClient::Put(const std::string& path, const Json& body, Json* result) {
  return Send("PUT", path, {}, &body, result);
}
Status RestClient::Patch(const std::string& path, const Json& body, Json* result) {
  return Send("PATCH", path, {}, &body, result);
}
Status RestClient::Delete(const std::string& path, Json* result) {
  return Send("DELETE", path, {}, nullptr, result);
}

Status RestClient::Send(const std::string& method, const std::string& path,
                        const QueryParams& query, const Json* body, Json* result) {
  httplib::Request req;
  req.method = method;
  req.path = base_.prefix + path + EncodeQuery(query);
  req.set_header("Accept", "application/json");
  if (!base_.token.empty()) req.set_header("Authorization", "Bearer " + base_.token);
  if (body) {
    req.body = body->dump();
    req.set_header("Content-Type", "application/json");
  }
  httplib::Result res = http_->send(req);
  if (!res) return Unreachable(base_, res.error());
  return ReadAnswer(base_, res.value(), result);
}

}  // namespace agor
