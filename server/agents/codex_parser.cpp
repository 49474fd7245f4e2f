// CodexParser: `codex exec --json` ThreadEvent lines → AgentEvents (format in agent_protocol.h).
#include "server/agents/codex_parser.h"

#include <string>
#include <utility>

namespace agor {

using agent_internal::CopyIf;
using agent_internal::Dispatch;
using agent_internal::Get;
using agent_internal::LineHandler;
using agent_internal::Pick;
using agent_internal::Str;

namespace {

struct CodexItemKind {
  const char* type;
  const char* role;
  const char* message_type;
  const char* text_field;                 // content is this string field, else [item]
  std::vector<const char*> input_fields;  // tool_uses input; none → tool_uses null
};

const CodexItemKind* FindCodexItem(const std::string& type) {
  static const CodexItemKind kItems[] = {
      {"agent_message", "assistant", "text", "text", {}},
      {"reasoning", "assistant", "thinking", "text", {}},
      {"plan", "assistant", "plan", "text", {}},
      {"error", "system", "error", "message", {}},
      {"command_execution", "assistant", "command_execution", nullptr, {"command"}},
      {"file_change", "assistant", "file_change", nullptr, {"changes"}},
      {"mcp_tool_call", "assistant", "mcp_tool_call", nullptr, {"server", "tool", "arguments"}},
      {"collab_tool_call",
       "assistant",
       "collab_tool_call",
       nullptr,
       {"tool", "prompt", "receiver_thread_ids"}},
      {"web_search", "assistant", "web_search", nullptr, {"query"}},
      {"todo_list", "assistant", "todo_list", nullptr, {}},
  };
  for (const auto& kind : kItems) {
    if (type == kind.type) return &kind;
  }
  return nullptr;
}

Json CodexToolUses(const CodexItemKind& kind, const Json& item) {
  if (kind.input_fields.empty()) return nullptr;
  Json input = Json::object();
  for (const char* field : kind.input_fields) CopyIf(item, field, &input);
  return Json::array({{{"id", Str(item, "id")}, {"name", kind.type}, {"input", input}}});
}

}  // namespace

void CodexParser::Handle(const Json& line, std::vector<AgentEvent>* out) {
  static const std::pair<const char*, LineHandler<CodexParser>> kTable[] = {
      {"thread.started", &CodexParser::OnThreadStarted},
      {"item.completed", &CodexParser::OnItemCompleted},
      {"turn.completed", &CodexParser::OnTurnCompleted},
      {"turn.failed", &CodexParser::OnTurnFailed},
      {"error", &CodexParser::OnError},
  };
  Dispatch(this, kTable, line, out);
}

void CodexParser::OnThreadStarted(const Json& line, std::vector<AgentEvent>* out) {
  const std::string id = Str(line, "thread_id");
  if (!id.empty()) out->push_back(AgentEvent::Session(id));
}

void CodexParser::OnItemCompleted(const Json& line, std::vector<AgentEvent>* out) {
  const Json& item = Get(line, "item");
  std::string type = Str(item, "type");
  if (type.empty()) type = Str(item, "item_type");  // the name before codex 0.44 (#4525)
  const CodexItemKind* kind = FindCodexItem(type);
  if (kind == nullptr) return;
  Json content = kind->text_field ? Json(Str(item, kind->text_field)) : Json::array({item});
  Json metadata = Json::object();
  CopyIf(item, "id", &metadata, "item_id");
  out->push_back(AgentEvent::Message(kind->role, kind->message_type, std::move(content),
                                     CodexToolUses(*kind, item), std::move(metadata)));
}

void CodexParser::OnTurnCompleted(const Json& line, std::vector<AgentEvent>* out) {
  out->push_back(AgentEvent::Result(false, "", Pick(line, {"usage"})));
}

void CodexParser::OnTurnFailed(const Json& line, std::vector<AgentEvent>* out) {
  std::string error = Str(Get(line, "error"), "message");
  out->push_back(AgentEvent::Result(true, error.empty() ? "codex: turn failed" : error));
}

void CodexParser::OnError(const Json& line, std::vector<AgentEvent>* out) {
  out->push_back(AgentEvent::Message("system", "error", Str(line, "message")));
}

}  // namespace agor
