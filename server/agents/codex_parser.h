// CodexParser: reads `codex exec --json` stdout, one ThreadEvent (JSON object, tag "type") a line
// (openai/codex codex-rs/exec/src/exec_events.rs):
//   thread.started → kSession; item.completed → kMessage per item type (agent_message,
//   reasoning, plan, command_execution, file_change, mcp_tool_call, collab_tool_call,
//   web_search, todo_list, error; others nothing); turn.completed / turn.failed → kResult;
//   error → system error message. Codex prints no text deltas, so no kDelta.
// Full format notes: server/agents/agent_protocol.h.
//
// Thread-safety: one parser per agent process, on one thread.
#pragma once

#include <vector>

#include "server/agents/agent_protocol.h"

namespace agor {

class CodexParser final : public agent_internal::JsonLinesParser {
 public:
  CodexParser() : JsonLinesParser("codex") {}

 private:
  void Handle(const Json& line, std::vector<AgentEvent>* out) override;

  void OnThreadStarted(const Json& line, std::vector<AgentEvent>* out);
  void OnItemCompleted(const Json& line, std::vector<AgentEvent>* out);
  void OnTurnCompleted(const Json& line, std::vector<AgentEvent>* out);
  void OnTurnFailed(const Json& line, std::vector<AgentEvent>* out);
  void OnError(const Json& line, std::vector<AgentEvent>* out);
};

}  // namespace agor
