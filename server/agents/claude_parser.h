// ClaudeParser: reads Claude Code's stdout under `claude -p --output-format stream-json --verbose
// --include-partial-messages`, one Agent SDK message (JSON object) a line:
//   system/init → kSession; assistant, user (not isReplay) → kMessage; stream_event
//   content_block_delta text_delta/thinking_delta → kDelta; result → kResult.
// Claude Code prints one "assistant" line per content block of an API message (same message.id),
// so a stream_key is "<message id>:<block index>". Full format notes:
// server/agents/agent_protocol.h.
//
// Thread-safety: per-run state; one parser per agent process, on one thread.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/agents/agent_protocol.h"

namespace agor {

class ClaudeParser final : public agent_internal::JsonLinesParser {
 public:
  ClaudeParser() : JsonLinesParser("claude-code") {}

 private:
  void Handle(const Json& line, std::vector<AgentEvent>* out) override;

  void OnSystem(const Json& line, std::vector<AgentEvent>* out);
  void OnAssistant(const Json& line, std::vector<AgentEvent>* out);
  void OnUser(const Json& line, std::vector<AgentEvent>* out);
  void OnStreamEvent(const Json& line, std::vector<AgentEvent>* out);
  void OnResult(const Json& line, std::vector<AgentEvent>* out);

  // The assistant line of `message_id` with `blocks` content blocks covers the blocks after those
  // of its earlier lines; its key is the first of them that streamed deltas, if any.
  std::string TakeStreamKey(const std::string& message_id, size_t blocks);

  std::map<std::string, std::string> current_message_;  // parent_tool_use_id → message id
  std::map<std::string, size_t> next_block_;            // message id → blocks already stored
  std::set<std::string> streamed_keys_;                 // keys with deltas, not yet stored
};

}  // namespace agor
