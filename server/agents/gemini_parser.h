// GeminiParser: reads `gemini --output-format stream-json` stdout, one event (JSON object) a line
// (google-gemini/gemini-cli packages/core/src/output/types.ts):
//   init → kSession; message role assistant delta:true → kDelta, and the chunks up to the next
//   non-delta event (or Finish) → one kMessage assistant text with the same stream_key
//   ("gemini-<n>"); message role user (the prompt echoed) → nothing; tool_use → assistant
//   tool_use; tool_result → user tool_result; error → system error message; result → kResult.
// Full format notes: server/agents/agent_protocol.h.
//
// Thread-safety: per-run state; one parser per agent process, on one thread.
#pragma once

#include <string>
#include <vector>

#include "server/agents/agent_protocol.h"

namespace agor {

class GeminiParser final : public agent_internal::JsonLinesParser {
 public:
  GeminiParser() : JsonLinesParser("gemini") {}

  // Appends the streamed text no event closed yet, as its kMessage.
  void Finish(std::vector<AgentEvent>* out) override { FlushText(out); }

 private:
  void Handle(const Json& line, std::vector<AgentEvent>* out) override;

  void OnInit(const Json& line, std::vector<AgentEvent>* out);
  void OnMessage(const Json& line, std::vector<AgentEvent>* out);
  void OnToolUse(const Json& line, std::vector<AgentEvent>* out);
  void OnToolResult(const Json& line, std::vector<AgentEvent>* out);
  void OnError(const Json& line, std::vector<AgentEvent>* out);
  void OnResult(const Json& line, std::vector<AgentEvent>* out);

  void FlushText(std::vector<AgentEvent>* out);
  Json ModelMetadata() const;

  std::string model_;
  std::string pending_key_;  // the stream in progress, "" when none
  std::string pending_text_;
  unsigned streams_ = 0;
};

}  // namespace agor
