#include "server/api/access_rules.h"

#include "base/json.h"

namespace agor {
namespace {

bool IsCreate(const ServiceCall& call) {
  return call.method == "create";
}

// Whether `data` sets `field` to something other than what `current` holds.
bool Changes(const Json& data, const Json& current, const char* field) {
  if (!data.is_object() || !data.contains(field)) return false;
  return !current.is_object() || !current.contains(field) || current[field] != data[field];
}

Status Unauthenticated(const std::string& message, Json data = nullptr) {
  return Status(Code::kNotAuthenticated, message, std::move(data));
}

}  // namespace

Status NoRecordStatus(const std::string& id) {
  return Status::NotFound("No record found for id '" + id + "'");
}

Status NoReferenceStatus(const std::string& field, const std::string& service,
                         const std::string& id) {
  return Status::BadRequest(field + ": no " + service + " record with id '" + id + "'",
                            Json{{"field", field}});
}

// A token's user and jti are checked again at each call: a socket keeps its Caller for its
// lifetime, and a logout, a password change or a removed user must end it at once.
Status AccessRules::CheckCaller(const Caller& caller) const {
  if (!caller.authenticated()) return Unauthenticated("Not authenticated");
  int64_t now_ms = clock_->NowMillis();
  if (caller.expires_ms != 0 && now_ms >= caller.expires_ms) {
    return Unauthenticated("jwt expired", Json{{"name", "TokenExpiredError"},
                                               {"message", "jwt expired"},
                                               {"expiredAt", caller.expires_ms}});
  }
  if (policy().RoleOf(caller.user_id) == UserRole::kNone)
    return Unauthenticated("Invalid authentication information");
  if (!caller.api_key &&
      store_->IsTokenRevoked(caller.credential_id, caller.user_id, caller.issued_ms / 1000)) {
    return Unauthenticated("Invalid authentication information");
  }
  return Status::OK();
}

bool AccessRules::IsAdmin(const Caller& caller) const {
  return policy().RoleOf(caller.user_id) == UserRole::kAdmin;
}

Status AccessRules::CheckRead(const Caller& caller, const std::string& service,
                              const std::string& id, const Json& record) const {
  if (policy().CanSeeRecord(caller.user_id, service, record)) return Status::OK();
  return NoRecordStatus(id);
}

// Emails are personal: an admin sees them all, a user their own.
void AccessRules::Redact(const Caller& caller, const std::string& service, Json* out) const {
  if (service != "users" || IsAdmin(caller) || !out->is_object()) return;
  auto strip = [&](Json& user) {
    if (user.is_object() && StringField(user, "user_id") != caller.user_id) user.erase("email");
  };
  if (out->contains("data") && (*out)["data"].is_array()) {
    for (Json& user : (*out)["data"]) strip(user);
  } else {
    strip(*out);
  }
}

// The record a write targets, as the caller may see it: the store's answer for a missing or
// ambiguous id, and the same NotFound for one they may not see.
Status AccessRules::Target(const Caller& caller, const std::string& service, const std::string& id,
                           Json* record) const {
  Status s = store_->Get(service, id, record);
  if (!s.ok()) return s;
  return CheckRead(caller, service, id, *record);
}

Status AccessRules::NeedBoard(const Caller& caller, const std::string& board_id, BoardAccess need,
                              const Status& unseen) const {
  BoardAccess has = policy().Board(caller.user_id, board_id);
  if (has == BoardAccess::kNone) return unseen;
  if (has >= need) return Status::OK();
  if (need == BoardAccess::kOwn)
    return Status::Forbidden("only the board's owners (or an admin) may do this");
  return Status::Forbidden("you may read this board but not change it");
}

// Data naming a session (a message's session_id): write access to its board, and a session
// the caller may not see answers as a missing reference.
Status AccessRules::NeedSession(const Caller& caller, const std::string& session_id) const {
  Status unseen = NoReferenceStatus("session_id", "sessions", session_id);
  Json session;
  if (!store_->Get("sessions", session_id, &session).ok()) return Status::OK();  // the store says
  if (!policy().CanSeeRecord(caller.user_id, "sessions", session)) return unseen;
  return NeedBoard(caller, StringField(session, "board_id"), BoardAccess::kWrite, unseen);
}

Status AccessRules::CheckSessionRoute(const Caller& caller, const std::string& session_id) const {
  Json session;
  Status s = Target(caller, "sessions", session_id, &session);
  if (!s.ok()) return s;
  return NeedBoard(caller, StringField(session, "board_id"), BoardAccess::kWrite,
                   NoRecordStatus(session_id));
}

Status AccessRules::CheckWrite(const ServiceCall& call, const std::string& id,
                               Json* server_fields) const {
  const std::string& service = call.path;
  if (service == "boards") return BoardWrite(call, id, server_fields);
  if (service == "sessions" || service == "tasks" || service == "messages")
    return ContentWrite(call, id, server_fields);
  if (service == "users") return UserWrite(call, id);
  if (service == "api-keys") return KeyWrite(call, id);
  if (service == "board-members") return MemberWrite(call, id);
  UserRole role = policy().RoleOf(call.caller.user_id);
  if (service == "repos" && role < UserRole::kMember)
    return Status::Forbidden("viewers may not change repos");
  return Status::OK();
}

Status AccessRules::BoardWrite(const ServiceCall& call, const std::string& id,
                               Json* server_fields) const {
  if (IsCreate(call)) {
    if (policy().RoleOf(call.caller.user_id) < UserRole::kMember)
      return Status::Forbidden("viewers may not create boards");
    (*server_fields)["owner_id"] = call.caller.user_id;
    (*server_fields)["created_by"] = call.caller.user_id;
    return Status::OK();
  }
  Json board;
  Status s = Target(call.caller, "boards", id, &board);
  if (!s.ok()) return s;
  return NeedBoard(call.caller, StringField(board, "board_id"), BoardAccess::kOwn,
                   NoRecordStatus(id));
}

// Sessions, tasks and messages: write access to the board they are on, and to the one
// (session) or the session (task, message) they move to.
Status AccessRules::ContentWrite(const ServiceCall& call, const std::string& id,
                                 Json* server_fields) const {
  const Caller& caller = call.caller;
  Json current = Json::object();
  if (!IsCreate(call)) {
    Status s = Target(caller, call.path, id, &current);
    if (s.ok()) {
      s = NeedBoard(caller, StringField(current, "board_id"), BoardAccess::kWrite,
                    NoRecordStatus(id));
    }
    if (!s.ok() || call.method == "remove") return s;
  } else if (call.path == "sessions") {
    (*server_fields)["created_by"] = caller.user_id;
  }
  if (call.path == "sessions") return SessionChange(call, current);
  std::string session_id = StringField(call.data, "session_id");
  if (session_id.empty() || !Changes(call.data, current, "session_id")) return Status::OK();
  return NeedSession(caller, session_id);
}

// A session created or changed: its (new) board, and the admins' power over agent_command.
Status AccessRules::SessionChange(const ServiceCall& call, const Json& current) const {
  bool to_command = StringField(call.data, "agentic_tool") == "command" &&
                    StringField(current, "agentic_tool") != "command";
  if ((to_command || Changes(call.data, current, "agent_command")) && !IsAdmin(call.caller)) {
    return Status::Forbidden(
        "only admins may create a command session or set its agent_command: it runs any "
        "program");
  }
  std::string board_id = StringField(call.data, "board_id");
  if (board_id.empty() || !Changes(call.data, current, "board_id")) return Status::OK();
  return NeedBoard(call.caller, board_id, BoardAccess::kWrite,
                   NoReferenceStatus("board_id", "boards", board_id));
}

// Admins manage users; a user changes only their own name, emoji and password.
Status AccessRules::UserWrite(const ServiceCall& call, const std::string& id) const {
  if (IsAdmin(call.caller)) return Status::OK();
  if (call.method == "create" || call.method == "remove")
    return Status::Forbidden("only admins may create or remove users");
  Json user;
  Status s = Target(call.caller, "users", id, &user);
  if (!s.ok()) return s;
  if (StringField(user, "user_id") != call.caller.user_id)
    return Status::Forbidden("you may only change your own user");
  if (!call.data.is_object()) return Status::OK();  // the validator refuses it
  for (const auto& item : call.data.items()) {
    const std::string& key = item.key();
    if (key == "name" || key == "emoji" || key == "password" || key == "current_password") continue;
    if (Changes(call.data, user, key.c_str()))
      return Status::Forbidden("only admins may change `" + key + "`");
  }
  return Status::OK();
}

Status AccessRules::KeyWrite(const ServiceCall& call, const std::string& id) const {
  if (IsCreate(call)) {
    std::string owner = StringField(call.data, "user_id");
    if (!owner.empty() && owner != call.caller.user_id)
      return Status::Forbidden("API keys are created by their own user");
    return Status::OK();
  }
  Json key;
  return Target(call.caller, "api-keys", id, &key);
}

// A board's owners (and admins) manage its members; a board the caller may not see answers
// as a missing one.
Status AccessRules::MemberWrite(const ServiceCall& call, const std::string& id) const {
  Json current = Json::object();
  if (!IsCreate(call)) {
    Status s = Target(call.caller, "board-members", id, &current);
    if (s.ok()) {
      s = NeedBoard(call.caller, StringField(current, "board_id"), BoardAccess::kOwn,
                    NoRecordStatus(id));
    }
    if (!s.ok() || call.method == "remove") return s;
  }
  std::string board_id = StringField(call.data, "board_id");
  if (board_id.empty() || !Changes(call.data, current, "board_id")) return Status::OK();
  return NeedBoard(call.caller, board_id, BoardAccess::kOwn,
                   NoReferenceStatus("board_id", "boards", board_id));
}

}  // namespace agor
