// ClaudeParser: Claude Code stream-json lines → AgentEvents (format in agent_protocol.h).
#include "server/agents/claude_parser.h"

#include <cstdint>
#include <utility>

namespace agor {

using agent_internal::Bool;
using agent_internal::CopyIf;
using agent_internal::Dispatch;
using agent_internal::Get;
using agent_internal::LineHandler;
using agent_internal::Pick;
using agent_internal::Str;

namespace {

// "tool_use" / "tool_result" when such a block is present, else the first block's type.
std::string ClaudeContentType(const Json& content) {
  if (!content.is_array() || content.empty()) return "text";
  for (const char* wanted : {"tool_use", "tool_result"}) {
    for (const Json& block : content) {
      if (Str(block, "type") == wanted) return wanted;
    }
  }
  const std::string first = Str(content[0], "type");
  return first.empty() ? "text" : first;
}

Json ClaudeToolUses(const Json& content) {
  if (!content.is_array()) return nullptr;
  Json uses = Json::array();
  for (const Json& block : content) {
    if (Str(block, "type") == "tool_use") uses.push_back(Pick(block, {"id", "name", "input"}));
  }
  return uses.empty() ? Json(nullptr) : uses;
}

std::string ClaudeErrorText(const Json& result) {
  const Json& errors = Get(result, "errors");
  std::string text;
  if (errors.is_array()) {
    for (const Json& e : errors) {
      if (e.is_string()) text += (text.empty() ? "" : "; ") + e.get<std::string>();
    }
  }
  if (text.empty()) text = Str(result, "result");
  if (text.empty() && !Str(result, "subtype").empty()) {
    text = "claude-code: run ended with " + Str(result, "subtype");
  }
  return text.empty() ? "claude-code: run ended with an error" : text;
}

}  // namespace

void ClaudeParser::Handle(const Json& line, std::vector<AgentEvent>* out) {
  static const std::pair<const char*, LineHandler<ClaudeParser>> kTable[] = {
      {"system", &ClaudeParser::OnSystem}, {"assistant", &ClaudeParser::OnAssistant},
      {"user", &ClaudeParser::OnUser},     {"stream_event", &ClaudeParser::OnStreamEvent},
      {"result", &ClaudeParser::OnResult},
  };
  Dispatch(this, kTable, line, out);
}

void ClaudeParser::OnSystem(const Json& line, std::vector<AgentEvent>* out) {
  const std::string id = Str(line, "session_id");
  if (Str(line, "subtype") == "init" && !id.empty()) out->push_back(AgentEvent::Session(id));
}

void ClaudeParser::OnAssistant(const Json& line, std::vector<AgentEvent>* out) {
  const Json& message = Get(line, "message");
  const Json& content = Get(message, "content");
  if (content.is_null()) return;
  Json metadata = Pick(message, {"model"});
  CopyIf(message, "id", &metadata, "message_id");
  CopyIf(message, "stop_reason", &metadata);
  CopyIf(message, "usage", &metadata);
  CopyIf(line, "error", &metadata);
  CopyIf(line, "parent_tool_use_id", &metadata);
  CopyIf(line, "uuid", &metadata);
  std::string key = TakeStreamKey(Str(message, "id"), content.is_array() ? content.size() : 1);
  out->push_back(AgentEvent::Message("assistant", ClaudeContentType(content), content,
                                     ClaudeToolUses(content), std::move(metadata), std::move(key)));
}

void ClaudeParser::OnUser(const Json& line, std::vector<AgentEvent>* out) {
  const Json& content = Get(Get(line, "message"), "content");
  if (content.is_null() || Bool(line, "isReplay")) return;
  Json metadata = Pick(line, {"parent_tool_use_id", "uuid"});
  out->push_back(
      AgentEvent::Message("user", ClaudeContentType(content), content, nullptr, metadata));
}

void ClaudeParser::OnStreamEvent(const Json& line, std::vector<AgentEvent>* out) {
  const Json& event = Get(line, "event");
  const std::string type = Str(event, "type");
  std::string& current = current_message_[Str(line, "parent_tool_use_id")];
  if (type == "message_start") current = Str(Get(event, "message"), "id");
  if (type != "content_block_delta" || current.empty()) return;
  const Json& delta = Get(event, "delta");
  const std::string delta_type = Str(delta, "type");
  std::string chunk = delta_type == "text_delta"       ? Str(delta, "text")
                      : delta_type == "thinking_delta" ? Str(delta, "thinking")
                                                       : std::string();
  const Json& index = Get(event, "index");
  if (chunk.empty() || !index.is_number_unsigned()) return;
  std::string key = current + ":" + std::to_string(index.get<uint64_t>());
  streamed_keys_.insert(key);
  const char* kind = delta_type == "thinking_delta" ? "thinking" : "text";
  out->push_back(AgentEvent::Delta(std::move(key), std::move(chunk), kind));
}

void ClaudeParser::OnResult(const Json& line, std::vector<AgentEvent>* out) {
  const bool is_error = Bool(line, "is_error") || Str(line, "subtype").rfind("error", 0) == 0;
  Json metadata = Pick(line, {"subtype", "result", "total_cost_usd", "num_turns", "duration_ms",
                              "duration_api_ms", "usage", "modelUsage", "permission_denials"});
  out->push_back(
      AgentEvent::Result(is_error, is_error ? ClaudeErrorText(line) : "", std::move(metadata)));
}

std::string ClaudeParser::TakeStreamKey(const std::string& message_id, size_t blocks) {
  if (message_id.empty()) return "";
  size_t& next = next_block_[message_id];
  std::string key;
  for (size_t i = next; i < next + blocks; ++i) {
    std::string candidate = message_id + ":" + std::to_string(i);
    if (streamed_keys_.erase(candidate) > 0 && key.empty()) key = std::move(candidate);
  }
  next += blocks;
  return key;
}

}  // namespace agor
