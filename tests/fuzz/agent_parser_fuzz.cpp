// libFuzzer target for the agent stream parsers (server/agents/*_parser.h through
// MakeAgentParser in agent_protocol.h): what an agent prints on stdout is outside input too.
//
// Input: the first line names the tool ("claude-code", "codex", "gemini" or "command"); every
// further line is one stdout line, fed in order, then Finish(). Checked: a refused line is a
// 400 whose message is valid UTF-8, and every event serializes strictly (nlohmann's dump()
// throws on invalid UTF-8, which libFuzzer reports): the daemon stores these as JSON.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/utf8.h"
#include "server/agents/agent_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t eol = in.find('\n');
  if (eol == std::string_view::npos) return 0;
  std::unique_ptr<agor::AgentParser> parser = agor::MakeAgentParser(std::string(in.substr(0, eol)));
  if (!parser) return 0;
  in.remove_prefix(eol + 1);
  std::vector<agor::AgentEvent> events;
  while (!in.empty()) {
    const size_t end = std::min(in.find('\n'), in.size());
    const agor::Status status = parser->ParseLine(in.substr(0, end), &events);
    if (!status.ok() && (status.http_status() != 400 || !agor::IsValidUtf8(status.message()))) {
      __builtin_trap();
    }
    in.remove_prefix(std::min(end + 1, in.size()));
  }
  parser->Finish(&events);
  for (const agor::AgentEvent& event : events) (void)event.ToJson().dump();
  return 0;
}
