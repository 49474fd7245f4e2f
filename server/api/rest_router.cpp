#include "server/api/rest_router.h"

#include <cctype>
#include <exception>
#include <memory>

#include "base/json.h"
#include "base/log.h"
#include "base/utf8.h"
#include "server/api/page_route.h"
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

HttpResponse RestErrorResponse(const Status& s) {
  HttpResponse res;
  res.status = s.http_status();
  res.body = s.ToJsonText();
  return res;
}

bool EqualsIgnoreCase(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i]; ++i) {
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return i == a.size() && !b[i];
}

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
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
HttpResponse InternalError(const HttpRequest& req, const char* what) {
  Log(LogLevel::kError, "REST " + ToValidUtf8(req.method, 16) + " " + ToValidUtf8(req.path, 200) +
                            " threw: " + ToValidUtf8(what, 200));
  return RestErrorResponse(Status::GeneralError("internal error"));
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
// throws is answered here instead of unwinding the event loop. Counts each answer once.
void RestRouter::Handle(const HttpRequest& req, Reply reply) {
  ++stats_->http_requests;
  auto answered = std::make_shared<bool>(false);
  Reply once = [stats = stats_, reply = std::move(reply), answered](const HttpResponse& res) {
    if (*answered) return;
    *answered = true;
    if (res.status >= 400) ++stats->http_errors;
    reply(res);
  };
  try {
    Route(req, once);
  } catch (const std::exception& e) {
    once(InternalError(req, e.what()));
  } catch (...) {
    once(InternalError(req, "an exception that is not a std::exception"));
  }
}

void RestRouter::Route(const HttpRequest& req, const Reply& reply) {
  std::vector<std::string> parts;
  Status s = SplitPath(req.path, &parts);
  if (!s.ok()) return reply(RestErrorResponse(s));
  HttpResponse res;
  if (req.method == "OPTIONS") {
    res.status = 204;
    res.headers.emplace_back("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE");
    return reply(res);
  }
  if (IsPagePath(req.path)) return reply(PageResponse(req));
  if (parts.size() == 1 && parts[0] == "health" && req.method == "GET") {
    Health(&res);
    return reply(res);
  }
  if (parts.size() == 1 && parts[0] == "metrics" && req.method == "GET") {
    s = Metrics(req, &res);
    return reply(s.ok() ? res : RestErrorResponse(s));
  }
  if (parts.size() == 3 && dispatcher_->HasService(parts[0] + "/" + parts[1] + "/" + parts[2])) {
    parts = {parts[0] + "/" + parts[1] + "/" + parts[2]};  // a custom route: one service path
  }
  if (parts.empty() || parts.size() > 2 || !dispatcher_->HasService(parts[0]))
    return reply(RestErrorResponse(Status::NotFound("Path " + req.path + " not found")));
  ServiceCall call;
  int ok_status = 200;
  s = BuildCall(req, parts[0], parts.size() == 2 ? parts[1] : "", parts.size() == 2, &call,
                &ok_status);
  if (s.ok()) s = Authenticate(req, &call.caller);
  // A login needs no valid credential: its body is the credential.
  if (!s.ok() && !(s.code() == Code::kNotAuthenticated && call.path == "authentication" &&
                   call.method == "create")) {
    return reply(RestErrorResponse(s));
  }
  dispatcher_->Call(call, [reply, ok_status](const Status& done, Json result, std::string json) {
    if (!done.ok()) return reply(RestErrorResponse(done));
    HttpResponse ok;
    ok.status = ok_status;
    ok.body = json.empty() ? DumpJson(result) : std::move(json);
    reply(ok);
  });
}

// The request's credential, if any, as a Caller; the address is kept either way.
Status RestRouter::Authenticate(const HttpRequest& req, Caller* caller) {
  caller->address = req.remote_address;
  std::string credential;
  const std::string& auth = req.Header("authorization");
  if (auth.size() > 7 && EqualsIgnoreCase(auth.substr(0, 7), "bearer ")) {
    credential = Trim(auth.substr(7));
  } else if (!req.Header("x-api-key").empty()) {
    credential = Trim(req.Header("x-api-key"));
  }
  if (credential.empty() || !resolver_) return Status::OK();
  Status s = resolver_->Resolve(credential, caller);
  caller->address = req.remote_address;
  if (!s.ok()) {
    *caller = Caller();
    caller->address = req.remote_address;
  }
  return s;
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
  Json health{{"status", "ok"}, {"version", AGOR_VERSION}, {"uptime_s", uptime_ms / 1000}};
  if (health_) health_(&health);
  res->body = health.dump();
}

// Metrics tell the load and the counts of logins: on a bind others can reach, admins only.
Status RestRouter::Metrics(const HttpRequest& req, HttpResponse* res) {
  if (!metrics_) return Status::NotFound("Path /metrics not found");
  if (!metrics_open_) {
    Caller caller;
    Status s = Authenticate(req, &caller);
    if (s.ok()) s = dispatcher_->rules().CheckCaller(caller);
    if (s.ok() && !dispatcher_->rules().IsAdmin(caller))
      s = Status::Forbidden("only admins may read the metrics");
    if (!s.ok()) return s;
  }
  res->content_type = "text/plain; version=0.0.4";
  res->body = metrics_();
  return Status::OK();
}

}  // namespace agor
