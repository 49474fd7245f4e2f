#include "server/api/dispatcher.h"

#include <exception>

#include "base/json.h"
#include "base/log.h"
#include "base/schema.h"
#include "base/utf8.h"

namespace agor {
namespace {

// Feathers get accepts $select: keep the asked fields and the id.
Json ApplySelect(const ServiceSchema& schema, const Json& query, Json record) {
  if (!query.is_object() || !query.contains("$select")) return record;
  const Json& sel = query["$select"];
  Json out = Json::object();
  auto keep = [&](const Json& name) {
    if (name.is_string() && record.contains(name.get<std::string>()))
      out[name.get<std::string>()] = record[name.get<std::string>()];
  };
  if (sel.is_array()) {
    for (const auto& name : sel) keep(name);
  } else {
    keep(sel);
  }
  out[schema.id_field] = record[schema.id_field];
  return out;
}

bool IdToString(const Json& id, std::string* out) {
  if (id.is_string()) {
    *out = id.get<std::string>();
    return !out->empty();
  }
  if (id.is_number_integer()) {
    *out = std::to_string(id.get<int64_t>());
    return true;
  }
  return false;
}

// One log line for a call that threw, and its answer.
Status Threw(const ServiceCall& call, const char* what) {
  Log(LogLevel::kError, "service call " + ToValidUtf8(call.method, 16) + " " +
                            ToValidUtf8(call.path, 200) + " threw: " + ToValidUtf8(what, 200));
  return Status::GeneralError("internal error");
}

bool IsMethod(const std::string& m) {
  return m == "find" || m == "get" || m == "create" || m == "update" || m == "patch" ||
         m == "remove";
}

}  // namespace

void Dispatcher::AddRecordRoute(const std::string& service, const std::string& action,
                                RecordRoute route) {
  routes_[{service, action}] = std::move(route);
}

// "sessions/<id>/prompt" -> the route registered for (sessions, prompt) and the id.
const Dispatcher::RecordRoute* Dispatcher::FindRoute(const std::string& path,
                                                     std::string* id) const {
  size_t first = path.find('/');
  if (first == std::string::npos || first == 0) return nullptr;
  size_t last = path.find('/', first + 1);
  if (last == std::string::npos || last == first + 1) return nullptr;
  auto it = routes_.find({path.substr(0, first), path.substr(last + 1)});
  if (it == routes_.end()) return nullptr;
  *id = path.substr(first + 1, last - first - 1);
  return &it->second;
}

bool Dispatcher::HasService(const std::string& path) const {
  std::string id;
  return path == "events" || FindService(path) != nullptr || FindRoute(path, &id) != nullptr;
}

// The event log, read-only: find pages it, get takes a seq.
Status Dispatcher::CallEvents(const ServiceCall& call, Json* result) {
  if (call.method == "find") return store_->FindEvents(call.query, result);
  if (call.method != "get") {
    return Status::MethodNotAllowed("Method '" + call.method + "' is not supported by events");
  }
  Json page;
  Status s = store_->FindEvents(Json{{"seq", call.id}}, &page);
  if (!s.ok()) return s;
  if (page["data"].empty()) return Status::NotFound("No record found for id " + DumpJson(call.id));
  *result = page["data"][0];
  return Status::OK();
}

// Defence in depth behind the store's own translation of SQLite and JSON errors: a call that
// still throws is one GeneralError for its caller, never an unwound event loop.
Status Dispatcher::Call(const ServiceCall& call, Json* result, std::string* result_json) {
  try {
    return Route(call, result, result_json);
  } catch (const std::exception& e) {
    return Threw(call, e.what());
  } catch (...) {
    return Threw(call, "an exception that is not a std::exception");
  }
}

Status Dispatcher::Route(const ServiceCall& call, Json* result, std::string* result_json) {
  if (call.path == "events") return CallEvents(call, result);
  std::string route_id;
  if (const RecordRoute* route = FindRoute(call.path, &route_id)) {
    if (call.method != "create") {
      return Status::MethodNotAllowed("Method `" + call.method +
                                      "` is not supported by this endpoint.");
    }
    return (*route)(route_id, call.data, result);
  }
  const ServiceSchema* schema = FindService(call.path);
  if (!schema) return Status::NotFound("Service '" + call.path + "' not found");
  if (!IsMethod(call.method))
    return Status::MethodNotAllowed("Method '" + call.method + "' is not supported by " +
                                    call.path);
  if (call.query.is_object() && !call.query.empty() && call.method != "find" &&
      call.method != "get") {
    // Writes take no query in agor (Feathers uses it for multi-record writes, refused here).
    if (!(call.query.size() == 1 && call.query.contains("$select")))
      return Status::BadRequest("a query is only supported by find and get");
  }
  if (call.method == "find") return store_->Find(call.path, call.query, result);
  if (call.method == "create") {
    // A task is the run of a prompt: one created any other way would never run.
    if (call.path == "tasks")
      return Status::MethodNotAllowed("tasks are created by POST /sessions/:id/prompt");
    Status s = CheckWrite(call, "");
    if (s.ok()) s = store_->Create(call.path, call.data, result);
    if (s.ok() && result_json) *result_json = store_->last_record_json();
    return s;
  }
  std::string id;
  if (!IdToString(call.id, &id)) {
    if (call.method == "get") return Status::BadRequest("get needs an id");
    return Status::MethodNotAllowed("Can not " + call.method + " multiple entries");
  }
  Status s = CallWithId(call, id, result);
  if (s.ok()) *result = ApplySelect(*schema, call.query, std::move(*result));
  return s;
}

Status Dispatcher::CallWithId(const ServiceCall& call, const std::string& id, Json* result) {
  if (call.method == "get") return store_->Get(call.path, id, result);
  Status s = CheckWrite(call, id);
  if (!s.ok()) return s;
  if (call.method == "update") return store_->Update(call.path, id, call.data, result);
  if (call.method == "patch") return store_->Patch(call.path, id, call.data, result);
  return store_->Remove(call.path, id, result);
}

Status Dispatcher::CheckWrite(const ServiceCall& call, const std::string& id) const {
  for (const WriteCheck& check : write_checks_) {
    Status s = check(call, id);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace agor
