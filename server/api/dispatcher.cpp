#include "server/api/dispatcher.h"

#include <exception>

#include "base/json.h"
#include "base/log.h"
#include "base/schema.h"
#include "base/utf8.h"
#include "server/api/api_key.h"
#include "server/api/authenticator.h"
#include "server/api/password_hasher.h"

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

bool IsWrite(const std::string& m) {
  return m == "create" || m == "update" || m == "patch";
}

// A `users` write that carries a password: it waits for a hash.
bool CarriesPassword(const ServiceCall& call) {
  return call.path == "users" && IsWrite(call.method) && call.data.is_object() &&
         call.data.contains("password");
}

constexpr size_t kMinPassword = 8;
constexpr size_t kMaxPassword = 1024;  // Argon2 takes any length: a bound on the work we buffer

Status CheckPassword(const Json& password) {
  if (!password.is_string() || password.get<std::string>().size() < kMinPassword ||
      password.get<std::string>().size() > kMaxPassword) {
    return Status::BadRequest("password: must be a string of 8 to 1024 characters",
                              Json{{"field", "password"}});
  }
  return Status::OK();
}

// The data a user write stores: the passwords go to the hasher, never to the record.
Json WithoutPasswords(Json data) {
  data.erase("password");
  data.erase("current_password");
  return data;
}

// What Route answers when an asynchronous step threw.
void AnswerThrown(const ServiceCall& call, const Services::Done& done, const char* what) {
  done(Threw(call, what), Json(), std::string());
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
  if (path == "authentication") return authenticator_ != nullptr;
  return path == "events" || path == "activity" || FindService(path) != nullptr ||
         FindRoute(path, &id) != nullptr || external_.count(path) > 0;
}

// The activity feed, read-only and as the caller may see it (Store::FindActivity).
Status Dispatcher::CallActivity(const ServiceCall& call, Json* result) {
  const std::string& viewer = call.caller.user_id;
  if (call.method == "find") return store_->FindActivity(call.query, result, viewer);
  if (call.method != "get") {
    return Status::MethodNotAllowed("Method '" + call.method + "' is not supported by activity");
  }
  std::string id;
  if (!IdToString(call.id, &id)) return Status::BadRequest("get needs an id");
  return store_->GetActivity(id, result, viewer);
}

// The event log, read-only and as the caller may see it: find pages it, get takes a seq.
Status Dispatcher::CallEvents(const ServiceCall& call, Json* result) {
  const std::string& viewer = call.caller.user_id;
  if (call.method == "find") return store_->FindEvents(call.query, result, viewer);
  if (call.method != "get") {
    return Status::MethodNotAllowed("Method '" + call.method + "' is not supported by events");
  }
  Json page;
  Status s = store_->FindEvents(Json{{"seq", call.id}}, &page, viewer);
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

void Dispatcher::Call(const ServiceCall& call, Done done) {
  try {
    RouteAsync(call, done);
  } catch (const std::exception& e) {
    AnswerThrown(call, done, e.what());
  } catch (...) {
    AnswerThrown(call, done, "an exception that is not a std::exception");
  }
}

// What waits (logins, password hashes) goes its own way; the rest answers at once.
void Dispatcher::RouteAsync(const ServiceCall& call, const Done& done) {
  if (call.path == "authentication" && authenticator_) return Login(call, done);
  if (CarriesPassword(call) && hasher_) return PasswordWrite(call, done);
  Json result;
  std::string json;
  Status s = Route(call, &result, &json);
  done(s, std::move(result), std::move(json));
}

// `authentication`, with each login's result counted (nothing of the credentials).
void Dispatcher::Login(const ServiceCall& call, const Done& done) {
  if (call.method != "create" || !stats_) return authenticator_->Call(call, done);
  ServerStats* stats = stats_;
  authenticator_->Call(call, [stats, done](const Status& s, Json result, std::string json) {
    if (s.ok()) ++stats->logins_ok;
    if (s.code() == Code::kNotAuthenticated) ++stats->logins_failed;
    if (s.code() == Code::kTooManyRequests) ++stats->logins_limited;
    done(s, std::move(result), std::move(json));
  });
}

Status Dispatcher::Route(const ServiceCall& call, Json* result, std::string* result_json) {
  if (call.path == "authentication") {
    if (!authenticator_) return Status::NotFound("Service 'authentication' not found");
    return Status::Unavailable("authentication answers asynchronously");
  }
  if (!HasService(call.path)) return Status::NotFound("Service '" + call.path + "' not found");
  Status s = rules_.CheckCaller(call.caller);
  if (!s.ok()) return s;
  Store::ActorScope actor(store_, call.caller.user_id, "");  // what this call writes is theirs
  if (call.path == "events") return CallEvents(call, result);
  if (call.path == "activity") return CallActivity(call, result);
  auto external = external_.find(call.path);
  if (external != external_.end()) return external->second(call, result);
  std::string route_id;
  if (const RecordRoute* route = FindRoute(call.path, &route_id))
    return CallRoute(call, *route, route_id, result);
  return RouteService(call, result, result_json);
}

// Routes on sessions (prompt, stop) act on the session's agent: write access to its board.
Status Dispatcher::CallRoute(const ServiceCall& call, const RecordRoute& route,
                             const std::string& id, Json* result) {
  if (call.method != "create") {
    return Status::MethodNotAllowed("Method `" + call.method +
                                    "` is not supported by this endpoint.");
  }
  std::string full = id;
  Status s;
  if (call.path.compare(0, 9, "sessions/") == 0) {
    s = store_->ResolveId("sessions", id, &full, call.caller.user_id);  // as the caller sees it
    if (s.ok()) s = rules_.CheckSessionRoute(call.caller, full);
  } else if (!rules_.IsAdmin(call.caller)) {
    s = Status::Forbidden("only admins may do this");
  }
  if (!s.ok()) return s;
  return route(full, call.data, call.caller, result);
}

Status Dispatcher::RouteService(const ServiceCall& call, Json* result, std::string* result_json) {
  const ServiceSchema* schema = FindService(call.path);
  if (!IsMethod(call.method))
    return Status::MethodNotAllowed("Method '" + call.method + "' is not supported by " +
                                    call.path);
  if (call.query.is_object() && !call.query.empty() && call.method != "find" &&
      call.method != "get") {
    // Writes take no query in agor (Feathers uses it for multi-record writes, refused here).
    if (!(call.query.size() == 1 && call.query.contains("$select")))
      return Status::BadRequest("a query is only supported by find and get");
  }
  if (CarriesPassword(call)) return Status::Unavailable("a password write answers asynchronously");
  if (call.method == "find") {
    Status s = store_->Find(call.path, call.query, result, call.caller.user_id);
    if (s.ok()) rules_.Redact(call.caller, call.path, result);
    return s;
  }
  if (call.method == "create") return Create(call, result, result_json);
  std::string id;
  if (!IdToString(call.id, &id)) {
    if (call.method == "get") return Status::BadRequest("get needs an id");
    return Status::MethodNotAllowed("Can not " + call.method + " multiple entries");
  }
  // The id as the caller sees it: a prefix shared with a record they may not see is neither
  // ambiguous nor that record (store.h), so no answer hints that it exists.
  std::string full;
  Status s = store_->ResolveId(call.path, id, &full, call.caller.user_id);
  if (s.ok()) s = CallWithId(call, full, result);
  if (s.ok()) *result = ApplySelect(*schema, call.query, std::move(*result));
  return s;
}

Status Dispatcher::Create(const ServiceCall& call, Json* result, std::string* result_json) {
  // A task is the run of a prompt: one created any other way would never run.
  if (call.path == "tasks")
    return Status::MethodNotAllowed("tasks are created by POST /sessions/:id/prompt");
  Json server_fields = Json::object();
  Status s = CheckWrite(call, "", &server_fields);
  if (!s.ok()) return s;
  if (call.path == "api-keys") return CreateApiKey(call, result);
  if (call.path == "users") {
    s = store_->CreateUser(call.data, "", result);  // no password: API keys only
    if (s.ok()) rules_.Redact(call.caller, call.path, result);
    return s;
  }
  s = store_->Create(call.path, call.data, result, server_fields);
  if (s.ok() && result_json) *result_json = store_->last_record_json();
  return s;
}

// A key for the caller: the record, plus the key itself this once (only its hash is kept).
Status Dispatcher::CreateApiKey(const ServiceCall& call, Json* result) {
  Json data = call.data.is_object() ? call.data : Json::object();
  data["user_id"] = call.caller.user_id;
  NewApiKey key = MakeApiKey();
  Status s = store_->CreateApiKey(data, key.prefix, key.hash, result);
  if (s.ok()) (*result)["key"] = key.key;
  return s;
}

Status Dispatcher::CallWithId(const ServiceCall& call, const std::string& id, Json* result) {
  Status s;
  if (call.method == "get") {
    s = store_->Get(call.path, id, result);
    if (s.ok()) s = rules_.CheckRead(call.caller, call.path, id, *result);
  } else {
    Json server_fields;
    s = CheckWrite(call, id, &server_fields);
    if (!s.ok()) return s;
    if (call.method == "update") s = store_->Update(call.path, id, call.data, result);
    if (call.method == "patch") s = store_->Patch(call.path, id, call.data, result);
    if (call.method == "remove") s = store_->Remove(call.path, id, result);
  }
  if (s.ok()) rules_.Redact(call.caller, call.path, result);
  return s;
}

// The privacy rules first (nothing else may hint at what the caller cannot see), then the
// checks other layers added.
Status Dispatcher::CheckWrite(const ServiceCall& call, const std::string& id,
                              Json* server_fields) const {
  Status s = rules_.CheckWrite(call, id, server_fields);
  if (!s.ok()) return s;
  for (const WriteCheck& check : write_checks_) {
    s = check(call, id);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// ---- users with a password: the hash (and the current password's check) on the workers ----

void Dispatcher::PasswordWrite(const ServiceCall& call, const Done& done) {
  std::string id;
  Json server_fields;
  Status s = rules_.CheckCaller(call.caller);
  if (s.ok() && call.method == "update")
    s = Status::BadRequest("password: change it with patch", Json{{"field", "password"}});
  if (s.ok() && call.method == "patch" && !IdToString(call.id, &id))
    s = Status::MethodNotAllowed("Can not patch multiple entries");
  if (s.ok()) s = CheckWrite(call, id, &server_fields);
  if (s.ok()) s = CheckPassword(call.data["password"]);
  if (!s.ok()) return done(s, Json(), std::string());
  if (call.method == "create") return StorePassword(call, "", "", done);
  Json user;
  s = store_->Get("users", id, &user);
  if (!s.ok()) return done(s, Json(), std::string());
  ChangePassword(call, user["user_id"].get<std::string>(), done);
}

// One's own password needs the current one (a stolen token must not take the account);
// an admin sets another user's without it.
void Dispatcher::ChangePassword(const ServiceCall& call, const std::string& user_id,
                                const Done& done) {
  if (user_id != call.caller.user_id) return StorePassword(call, user_id, "", done);
  const Json& current =
      call.data.contains("current_password") ? call.data["current_password"] : Json();
  std::string hash;
  if (!current.is_string() || !store_->PasswordHash(user_id, &hash).ok()) {
    return done(Status::BadRequest("current_password: required to change your own password",
                                   Json{{"field", "current_password"}}),
                Json(), std::string());
  }
  hasher_->Verify(current.get<std::string>(), std::move(hash),
                  [this, call, user_id, done](const Status& checked, bool matches) {
                    if (!checked.ok()) return done(checked, Json(), std::string());
                    if (matches) return StorePassword(call, user_id, "", done);
                    done(Status::BadRequest("current_password: does not match",
                                            Json{{"field", "current_password"}}),
                         Json(), std::string());
                  });
}

// Hashes the new password, then writes once the hash is back, checking the rules again: the
// caller's rights may have changed while the hash ran.
void Dispatcher::StorePassword(const ServiceCall& call, const std::string& user_id,
                               std::string hash, const Done& done) {
  if (hash.empty()) {
    return hasher_->Hash(call.data["password"].get<std::string>(),
                         [this, call, user_id, done](const Status& s, std::string made) {
                           if (!s.ok()) return done(s, Json(), std::string());
                           StorePassword(call, user_id, std::move(made), done);
                         });
  }
  Json server_fields, record;
  std::string id = user_id;
  Store::ActorScope actor(store_, call.caller.user_id, "");
  Status s = rules_.CheckCaller(call.caller);
  if (s.ok()) s = CheckWrite(call, id, &server_fields);
  Json data = WithoutPasswords(call.data);
  if (s.ok() && call.method == "create") s = store_->CreateUser(data, hash, &record);
  if (s.ok() && call.method == "patch") s = store_->PatchUser(user_id, data, hash, &record);
  // The user's other tokens die with the old password; the one that changed it lives on.
  // iat is in seconds: the cut-off takes this whole second, so a token issued just before the
  // change cannot survive it (one issued in the same second just after dies too: log in again).
  std::string keep = user_id == call.caller.user_id ? call.caller.credential_id : "";
  if (s.ok() && call.method == "patch")
    s = store_->RevokeUserTokens(user_id, clock_->NowMillis() / 1000 + 1, keep);
  if (s.ok()) rules_.Redact(call.caller, "users", &record);
  done(s, std::move(record), std::string());
}

}  // namespace agor
