#include "store/validator.h"

#include <cstring>
#include <utility>
#include <vector>

#include "base/ids.h"
#include "base/json.h"
#include "base/utf8.h"

namespace agor {
namespace {

Status FieldError(const Field& field, const std::string& problem) {
  return Status::BadRequest(std::string(field.name) + " " + problem, Json{{"field", field.name}});
}

// An argv: each element a non-empty string (an empty one is never what someone meant).
bool IsArgv(const Json& v) {
  if (!v.is_array()) return false;
  for (const auto& e : v) {
    if (!e.is_string() || e.get_ref<const std::string&>().empty()) return false;
  }
  return true;
}

bool HasNumbers(const Json& v, const char* a, const char* b) {
  return v.is_object() && v.contains(a) && v.contains(b) && v[a].is_number() && v[b].is_number();
}

// The shape of each JSON-typed field, by name (the only place these shapes are known).
Status CheckJsonShape(const Field& field, const Json& v) {
  const char* n = field.name;
  if (!strcmp(n, "agent_command")) {
    if (!IsArgv(v) || v.empty())
      return FieldError(field, "must be a non-empty array of non-empty strings (an argv)");
  } else if (!strcmp(n, "position")) {
    if (!HasNumbers(v, "x", "y")) return FieldError(field, "must be an object {x, y} of numbers");
  } else if (!strcmp(n, "message_range")) {
    if (!HasNumbers(v, "start_index", "end_index"))
      return FieldError(field, "must be an object {start_index, end_index}");
  } else if (!strcmp(n, "tool_uses")) {
    if (!v.is_array()) return FieldError(field, "must be an array");
  } else if (!v.is_object()) {
    return FieldError(field, "must be an object");
  }
  return Status::OK();
}

// What the entry rule (base/json.h) guarantees for JSON from a client, checked again for every
// writer (agents write records too): strings and keys are valid UTF-8, so the store's writers
// never throw, and the value nests at most kMaxJsonDepth levels, so copying it cannot exhaust
// the stack. Iterative: the value may be deep.
Status CheckJsonText(const Field& field, const Json& value) {
  std::vector<std::pair<const Json*, int>> stack{{&value, 1}};
  while (!stack.empty()) {
    const auto [v, depth] = stack.back();
    stack.pop_back();
    if (v->is_string() && !IsValidUtf8(v->get_ref<const std::string&>()))
      return FieldError(field, "must be valid UTF-8");
    if (!v->is_structured()) continue;
    if (depth > kMaxJsonDepth)
      return FieldError(field,
                        "is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (v->is_object() && !IsValidUtf8(it.key())) return FieldError(field, "must be valid UTF-8");
      stack.emplace_back(&*it, depth + 1);
    }
  }
  return Status::OK();
}

bool IsBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

bool IsHexColor(const std::string& text) {
  size_t n = text.size();
  if (n < 4 || text[0] != '#' || (n != 4 && n != 5 && n != 7 && n != 9)) return false;
  return text.find_first_not_of("0123456789abcdefABCDEF", 1) == std::string::npos;
}

// Deliberately loose (RFC 5321 allows far more than people use): something an admin can
// type and a login can match, never a blank, a list or a header injection.
bool IsEmail(const std::string& text) {
  constexpr size_t kMaxEmailBytes = 254;  // RFC 5321's path limit, less the brackets
  size_t at = text.find('@');
  if (text.size() > kMaxEmailBytes || at == std::string::npos || at == 0) return false;
  if (at + 1 == text.size() || text.find('@', at + 1) != std::string::npos) return false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

Status CheckString(const Field& field, const Json& v) {
  if (!v.is_string()) return FieldError(field, "must be a string");
  const std::string& text = v.get_ref<const std::string&>();
  if (field.rule == TextRule::kNonEmpty && IsBlank(text))
    return FieldError(field, "must not be empty");
  if (field.rule == TextRule::kHexColor && !IsHexColor(text))
    return FieldError(field, "must be a CSS hex colour: #rgb, #rgba, #rrggbb or #rrggbbaa");
  if (field.rule == TextRule::kEmail && !IsEmail(text))
    return FieldError(field, "must be an email address (name@host, at most 254 bytes)");
  return CheckJsonText(field, v);
}

Status CheckEnum(const Field& field, const Json& v) {
  if (v.is_string()) {
    for (const char* choice : field.choices) {
      if (v.get_ref<const std::string&>() == choice) return Status::OK();
    }
  }
  std::string list;
  for (const char* choice : field.choices) list += (list.empty() ? "" : ", ") + std::string(choice);
  return FieldError(field, "must be one of: " + list);
}

}  // namespace

Status ValidateValue(const Field& field, const Json& v) {
  if (v.is_null()) return Status::OK();
  switch (field.type) {
    case FieldType::kString:
      return CheckString(field, v);
    case FieldType::kInteger:
      return v.is_number_integer() ? Status::OK() : FieldError(field, "must be an integer");
    case FieldType::kJson: {
      Status s = CheckJsonShape(field, v);
      return s.ok() ? CheckJsonText(field, v) : s;
    }
    case FieldType::kContent:
      return v.is_string() || v.is_array()
                 ? CheckJsonText(field, v)
                 : FieldError(field, "must be a string or an array of content blocks");
    case FieldType::kEnum:
      return CheckEnum(field, v);
    case FieldType::kId:
      if (!v.is_string() || !IsUuid(v.get<std::string>()))
        return FieldError(field, "must be a UUID string");
      return Status::OK();
  }
  return Status::OK();
}

namespace {

Status CheckKnownFields(const ServiceSchema& schema, const Json& data) {
  for (const auto& item : data.items()) {
    if (!schema.FindField(item.key())) {
      return Status::BadRequest("unknown field '" + item.key() + "' for " + schema.name,
                                Json{{"field", item.key()}});
    }
  }
  return Status::OK();
}

Status CopyField(const Field& f, const Json& data, WriteMode mode, Json* clean) {
  bool present = data.contains(f.name);
  const Json* v = present ? &data[f.name] : nullptr;
  if (present) {
    Status s = ValidateValue(f, *v);
    if (!s.ok()) return s;
  }
  bool whole = mode != WriteMode::kPatch;
  if (whole && (!v || v->is_null()) && f.default_value) {
    (*clean)[f.name] = f.default_value;
    return Status::OK();
  }
  if (f.required && ((whole && !v) || (v && v->is_null())))
    return FieldError(f, v ? "must not be null" : "is required");
  if (v && f.type == FieldType::kId && v->is_string()) {
    std::string id = v->get<std::string>();
    for (auto& c : id) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    (*clean)[f.name] = id;
  } else if (v) {
    (*clean)[f.name] = *v;
  } else if (mode == WriteMode::kUpdate) {
    (*clean)[f.name] = nullptr;  // PUT replaces: an absent field becomes null
  }
  return Status::OK();
}

}  // namespace

Status ValidateWrite(const ServiceSchema& schema, const Json& data, WriteMode mode, Json* clean) {
  if (!data.is_object()) return Status::BadRequest("the body must be a JSON object");
  Status s = CheckKnownFields(schema, data);
  if (!s.ok()) return s;
  *clean = Json::object();
  for (const Field& f : schema.fields) {
    if (f.server_set) continue;
    s = CopyField(f, data, mode, clean);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

namespace {

bool Touched(const Json& touched, const char* field) {
  return touched.is_null() || touched.contains(field);
}

// A `command` session runs its agent_command; every other tool runs its own executable.
Status CheckAgentCommand(const Json& session) {
  const Field& field = *FindService("sessions")->FindField("agent_command");
  bool command = session["agentic_tool"] == "command";
  if (command && session["agent_command"].is_null())
    return FieldError(field, "is required when agentic_tool is command");
  if (!command && !session["agent_command"].is_null()) {
    return FieldError(field, "is only for agentic_tool command (this session's is " +
                                 session["agentic_tool"].dump() + ")");
  }
  return Status::OK();
}

}  // namespace

Status ValidateRecord(const ServiceSchema& schema, const Json& record, const Json& touched) {
  if (!strcmp(schema.name, "sessions") &&
      (Touched(touched, "agentic_tool") || Touched(touched, "agent_command")))
    return CheckAgentCommand(record);
  return Status::OK();
}

}  // namespace agor
