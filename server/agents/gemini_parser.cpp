// GeminiParser: gemini stream-json events → AgentEvents (format in agent_protocol.h).
#include "server/agents/gemini_parser.h"

#include <utility>

namespace agor {

using agent_internal::Bool;
using agent_internal::Dispatch;
using agent_internal::Get;
using agent_internal::LineHandler;
using agent_internal::Pick;
using agent_internal::Str;

void GeminiParser::Handle(const Json& line, std::vector<AgentEvent>* out) {
  static const std::pair<const char*, LineHandler<GeminiParser>> kTable[] = {
      {"init", &GeminiParser::OnInit},        {"message", &GeminiParser::OnMessage},
      {"tool_use", &GeminiParser::OnToolUse}, {"tool_result", &GeminiParser::OnToolResult},
      {"error", &GeminiParser::OnError},      {"result", &GeminiParser::OnResult},
  };
  Dispatch(this, kTable, line, out);
}

void GeminiParser::OnInit(const Json& line, std::vector<AgentEvent>* out) {
  model_ = Str(line, "model");
  const std::string id = Str(line, "session_id");
  if (!id.empty()) out->push_back(AgentEvent::Session(id));
}

// The user message is the prompt echoed back: agor stored it already.
void GeminiParser::OnMessage(const Json& line, std::vector<AgentEvent>* out) {
  if (Str(line, "role") != "assistant") return;
  std::string text = Str(line, "content");
  if (!Bool(line, "delta")) {  // a whole message: it replaces what streamed before it
    out->push_back(AgentEvent::Message("assistant", "text", text, nullptr, ModelMetadata(),
                                       std::move(pending_key_)));
    pending_key_.clear();
    pending_text_.clear();
    return;
  }
  if (text.empty()) return;
  if (pending_key_.empty()) pending_key_ = "gemini-" + std::to_string(++streams_);
  pending_text_ += text;
  out->push_back(AgentEvent::Delta(pending_key_, std::move(text)));
}

void GeminiParser::OnToolUse(const Json& line, std::vector<AgentEvent>* out) {
  FlushText(out);
  Json use = {
      {"id", Str(line, "tool_id")},
      {"name", Str(line, "tool_name")},
      {"input", Get(line, "parameters").is_object() ? Get(line, "parameters") : Json::object()}};
  Json block = {{"type", "tool_use"}};
  block.update(use);
  out->push_back(AgentEvent::Message("assistant", "tool_use", Json::array({block}),
                                     Json::array({use}), ModelMetadata()));
}

void GeminiParser::OnToolResult(const Json& line, std::vector<AgentEvent>* out) {
  FlushText(out);
  const bool failed = Str(line, "status") == "error";
  std::string text =
      Get(line, "output").is_string() ? Str(line, "output") : Str(Get(line, "error"), "message");
  Json block = {{"type", "tool_result"},
                {"tool_use_id", Str(line, "tool_id")},
                {"content", std::move(text)},
                {"is_error", failed}};
  out->push_back(AgentEvent::Message("user", "tool_result", Json::array({block}), nullptr,
                                     Pick(line, {"status", "error"})));
}

void GeminiParser::OnError(const Json& line, std::vector<AgentEvent>* out) {
  FlushText(out);
  out->push_back(AgentEvent::Message("system", "error", Str(line, "message"), nullptr,
                                     Pick(line, {"severity"})));
}

void GeminiParser::OnResult(const Json& line, std::vector<AgentEvent>* out) {
  FlushText(out);
  const bool failed = Str(line, "status") == "error";
  std::string error = failed ? Str(Get(line, "error"), "message") : "";
  if (failed && error.empty()) error = "gemini: run ended with an error";
  out->push_back(AgentEvent::Result(failed, error, Pick(line, {"status", "error", "stats"})));
}

void GeminiParser::FlushText(std::vector<AgentEvent>* out) {
  if (pending_key_.empty()) return;
  out->push_back(AgentEvent::Message("assistant", "text", std::move(pending_text_), nullptr,
                                     ModelMetadata(), std::move(pending_key_)));
  pending_key_.clear();
  pending_text_.clear();
}

Json GeminiParser::ModelMetadata() const {
  return model_.empty() ? Json::object() : Json{{"model", model_}};
}

}  // namespace agor
