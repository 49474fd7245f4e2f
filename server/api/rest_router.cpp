#include "server/api/rest_router.h"

#include <exception>

#include "base/json.h"
#include "base/log.h"
#include "base/utf8.h"
#include "server/wire/query_string.h"

namespace agor {
namespace {

// Splits "/boards/abc" into {"boards", "abc"}; empty segments (double or trailing slashes)
// are dropped. A segment must be valid percent-encoding of valid UTF-8: ids are echoed in
// messages and compared with stored text.
Status SplitPath(const std::string& path, std::vector<std::string>* parts) {
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) {
      std::string segment;
      if (!PercentDecode(path.substr(pos, next - pos), &segment))
        return Status::BadRequest("malformed percent-encoding in path");
      if (!IsValidUtf8(segment)) return Status::BadRequest("invalid UTF-8 in path");
      parts->push_back(segment);
    }
    pos = next + 1;
  }
  return Status::OK();
}

void WriteError(const Status& s, HttpResponse* res) {
  res->status = s.http_status();
  res->body = s.ToJsonText();
}

// An empty body is {} (as Feathers' body parser makes it); anything else follows the one
// JSON entry rule (base/json.h).
Status ParseBody(const HttpRequest& req, Json* data) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) {
    *data = Json::object();
    return Status::OK();
  }
  return ParseJson(req.body, data);
}

// The answer to a request that threw: nothing of the half-built response survives.
void WriteInternalError(const HttpRequest& req, const char* what, HttpResponse* res) {
  Log(LogLevel::kError, "REST " + ToValidUtf8(req.method, 16) + " " + ToValidUtf8(req.path, 200) +
                            " threw: " + ToValidUtf8(what, 200));
  *res = HttpResponse();
  WriteError(Status::GeneralError("internal error"), res);
}

const char* MethodFor(const std::string& http, bool has_id) {
  if (http == "GET") return has_id ? "get" : "find";
  if (http == "POST") return has_id ? nullptr : "create";
  if (http == "PUT") return "update";
  if (http == "PATCH") return "patch";
  if (http == "DELETE") return "remove";
  return nullptr;
}

}  // namespace

// Defence in depth: the boundaries translate library errors into Status, and whatever still
// throws is answered here instead of unwinding the event loop.
void RestRouter::Handle(const HttpRequest& req, HttpResponse* res) {
  ++stats_->http_requests;
  try {
    Status s = Route(req, res);
    if (!s.ok()) WriteError(s, res);
  } catch (const std::exception& e) {
    WriteInternalError(req, e.what(), res);
  } catch (...) {
    WriteInternalError(req, "an exception that is not a std::exception", res);
  }
  if (res->status >= 400) ++stats_->http_errors;
}

Status RestRouter::Route(const HttpRequest& req, HttpResponse* res) {
  std::vector<std::string> parts;
  Status split = SplitPath(req.path, &parts);
  if (!split.ok()) return split;
  if (req.method == "OPTIONS") {
    res->status = 204;
    res->headers.emplace_back("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE");
    return Status::OK();
  }
  if (parts.size() == 1 && parts[0] == "health" && req.method == "GET") {
    Health(res);
    return Status::OK();
  }
  if (parts.size() == 1 && parts[0] == "metrics" && req.method == "GET") return Metrics(res);
  if (parts.size() == 3 && dispatcher_->HasService(parts[0] + "/" + parts[1] + "/" + parts[2])) {
    parts = {parts[0] + "/" + parts[1] + "/" + parts[2]};  // a custom route: one service path
  }
  if (parts.empty() || parts.size() > 2 || !dispatcher_->HasService(parts[0]))
    return Status::NotFound("Path " + req.path + " not found");
  ServiceCall call;
  int ok_status = 200;
  Status s = BuildCall(req, parts[0], parts.size() == 2 ? parts[1] : "", parts.size() == 2, &call,
                       &ok_status);
  Json result;
  std::string result_json;
  if (s.ok()) s = dispatcher_->Call(call, &result, &result_json);
  if (!s.ok()) return s;
  res->status = ok_status;
  res->body = result_json.empty() ? DumpJson(result) : std::move(result_json);
  return Status::OK();
}

Status RestRouter::BuildCall(const HttpRequest& req, const std::string& service,
                             const std::string& id, bool has_id, ServiceCall* call,
                             int* ok_status) {
  const char* method = MethodFor(req.method, has_id);
  if (!method) {
    return Status::MethodNotAllowed("Method " + req.method + " is not supported by " + req.path);
  }
  call->method = method;
  call->path = service;
  call->id = has_id ? Json(id) : Json(nullptr);
  Status s = ParseQueryString(req.query, &call->query);
  if (!s.ok()) return s;
  if (call->method == "create" || call->method == "update" || call->method == "patch") {
    s = ParseBody(req, &call->data);
    if (!s.ok()) return s;
  }
  if (call->method == "create") *ok_status = 201;
  return Status::OK();
}

void RestRouter::Health(HttpResponse* res) {
  int64_t uptime_ms = clock_->NowMillis() - stats_->started_ms;
  res->body =
      Json{{"status", "ok"}, {"version", AGOR_VERSION}, {"uptime_s", uptime_ms / 1000}}.dump();
}

Status RestRouter::Metrics(HttpResponse* res) {
  if (!metrics_) return Status::NotFound("Path /metrics not found");
  res->content_type = "text/plain; version=0.0.4";
  res->body = metrics_();
  return Status::OK();
}

}  // namespace agor
