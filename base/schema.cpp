#include "base/schema.h"

namespace agor {
namespace {

Field Make(const char* name, FieldType type) {
  Field f;
  f.name = name;
  f.type = type;
  return f;
}
Field Id(const char* name, const char* references = nullptr, bool required = false) {
  Field f = Make(name, FieldType::kId);
  f.references = references;
  f.required = required;
  return f;
}
Field Str(const char* name, bool required = false) {
  Field f = Make(name, FieldType::kString);
  f.required = required;
  return f;
}
Field Int(const char* name) {
  return Make(name, FieldType::kInteger);
}
Field Text(const char* name, TextRule rule, bool required = false) {
  Field f = Str(name, required);
  f.rule = rule;
  return f;
}
// A message's index: null while the message waits in a session's queue (see store.h).
Field MessageIndex() {
  Field f = Int("index");
  f.null_sorts_last = true;
  return f;
}
Field JsonField(const char* name) {
  return Make(name, FieldType::kJson);
}
Field Enum(const char* name, std::vector<const char*> choices, const char* default_value) {
  Field f = Make(name, FieldType::kEnum);
  f.choices = std::move(choices);
  f.default_value = default_value;
  return f;
}
Field Required(Field f) {
  f.required = true;
  return f;
}
// The board of a task or message: copied from its session when written, so that the record on
// the wire says which board channel it belongs to (as the Feathers peer's records do).
Field DerivedBoard() {
  Field f = Make("board_id", FieldType::kId);
  f.server_set = true;
  f.references = "boards";
  return f;
}
Field Stamp(const char* name) {
  Field f = Make(name, FieldType::kString);
  f.server_set = true;
  return f;
}

// Set by the server only (a board's owner, a record's creator: the caller's user id). Not a
// reference: a removed user leaves a dangling id, which grants nothing
// (store/access_policy.h). What a client sends for it is ignored, and update keeps it.
Field ServerId(const char* name) {
  Field f = Make(name, FieldType::kId);
  f.server_set = true;
  return f;
}

// Users and what hangs off them. A password or api-key hash is no field: the store keeps it in
// columns and tables no record is read from.
void AddIdentities(std::vector<ServiceSchema>* s) {
  s->push_back({"users",
                "user_id",
                {Id("user_id"), Text("email", TextRule::kEmail, true), Str("name"), Str("emoji"),
                 Enum("role", {"admin", "member", "viewer"}, "member"), Stamp("created_at"),
                 Stamp("updated_at")}});
  s->push_back({"api-keys",
                "id",
                {Id("id"), Id("user_id", "users", true), Str("name"), Stamp("prefix"),
                 Stamp("created_at"), Stamp("last_used_at")},
                "api_keys"});
  s->push_back({"board-members",
                "id",
                {Id("id"), Id("board_id", "boards", true), Id("user_id", "users", true),
                 Enum("role", {"owner", "editor", "viewer"}, "editor"), Stamp("created_at")},
                "board_members"});
}

std::vector<ServiceSchema> BuildServices() {
  std::vector<ServiceSchema> s;
  s.push_back(
      {"boards",
       "board_id",
       {Id("board_id"), Text("name", TextRule::kNonEmpty, true), Text("slug", TextRule::kNonEmpty),
        Str("description"), Text("color", TextRule::kHexColor), Str("icon"),
        Enum("visibility", {"team", "private"}, "team"), ServerId("owner_id"),
        ServerId("created_by"), Stamp("created_at"), Stamp("updated_at")}});
  s.push_back({"repos",
               "repo_id",
               {Id("repo_id"), Text("slug", TextRule::kNonEmpty, true),
                Text("name", TextRule::kNonEmpty), Str("remote_url"), Str("local_path"),
                Str("default_branch"), Stamp("created_at"), Stamp("updated_at")}});
  s.push_back(
      {"sessions",
       "session_id",
       {Id("session_id"), Id("board_id", "boards", true), Id("repo_id", "repos"),
        Enum("agentic_tool", {"claude-code", "codex", "gemini", "command"}, "claude-code"),
        Enum("status", {"idle", "running", "awaiting_permission", "completed", "failed"}, "idle"),
        Str("title"), Str("description"), Str("sdk_session_id"), JsonField("agent_command"),
        JsonField("position"), ServerId("created_by"), Stamp("created_at"), Stamp("updated_at")}});
  s.push_back({"tasks",
               "task_id",
               {Id("task_id"), Id("session_id", "sessions", true), DerivedBoard(),
                Enum("status", {"created", "running", "stopping", "completed", "failed", "stopped"},
                     "created"),
                Str("prompt"), JsonField("message_range"), Str("started_at"), Str("completed_at"),
                Int("duration_ms"), Str("error"), ServerId("created_by"), Stamp("created_at")}});
  Field content = Make("content", FieldType::kContent);
  s.push_back({"messages",
               "message_id",
               {Id("message_id"), Id("session_id", "sessions", true), DerivedBoard(),
                Id("task_id", "tasks"), MessageIndex(),
                Required(Enum("role", {"user", "assistant", "system"}, nullptr)), Str("type"),
                content, JsonField("tool_uses"), JsonField("metadata"), Str("timestamp"),
                // A prompt sent while a task runs waits as a queued user message.
                Enum("status", {"queued", "sent"}, nullptr), Int("queue_position")}});
  AddIdentities(&s);
  return s;
}

}  // namespace

const Field* ServiceSchema::FindField(const std::string& field) const {
  for (const auto& f : fields) {
    if (field == f.name) return &f;
  }
  return nullptr;
}

bool ServiceSchema::IsQueryable(const std::string& field) const {
  const Field* f = FindField(field);
  return f && f->type != FieldType::kJson && f->type != FieldType::kContent;
}

const std::vector<ServiceSchema>& AllServices() {
  static const std::vector<ServiceSchema> services = BuildServices();
  return services;
}

const ServiceSchema& EventsSchema() {
  static const ServiceSchema events{"events",
                                    "seq",
                                    {Int("seq"), Str("ts"), Str("service"), Str("event"),
                                     Id("board_id"), Id("session_id"), JsonField("record"),
                                     // who caused it: GET /events nests them as `actor`
                                     Id("actor_id"), Str("actor_agent")}};
  return events;
}

const ServiceSchema* FindService(const std::string& service) {
  for (const auto& s : AllServices()) {
    if (service == s.name) return &s;
  }
  return nullptr;
}

}  // namespace agor
