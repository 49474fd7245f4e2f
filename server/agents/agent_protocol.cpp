// Agent protocol: AgentEvent, the helpers the parsers share, the `command` parser and the table
// of agents (argv, executable, parser). The per-tool parsers are in claude_parser.*,
// codex_parser.* and gemini_parser.*; formats and their sources are in agent_protocol.h.
#include "server/agents/agent_protocol.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "base/json.h"
#include "base/utf8.h"
#include "server/agents/claude_parser.h"
#include "server/agents/codex_parser.h"
#include "server/agents/gemini_parser.h"

namespace agor {

// --- AgentEvent ---------------------------------------------------------------------------

AgentEvent AgentEvent::Session(std::string sdk_session_id) {
  AgentEvent e;
  e.kind = Kind::kSession;
  e.sdk_session_id = std::move(sdk_session_id);
  return e;
}

AgentEvent AgentEvent::Message(std::string role, std::string type, Json content, Json tool_uses,
                               Json metadata, std::string stream_key) {
  AgentEvent e;
  e.kind = Kind::kMessage;
  e.role = std::move(role);
  e.type = std::move(type);
  e.content = std::move(content);
  e.tool_uses = std::move(tool_uses);
  e.metadata = std::move(metadata);
  e.stream_key = std::move(stream_key);
  return e;
}

AgentEvent AgentEvent::Delta(std::string stream_key, std::string chunk, std::string type) {
  AgentEvent e;
  e.kind = Kind::kDelta;
  e.type = std::move(type);
  e.stream_key = std::move(stream_key);
  e.chunk = std::move(chunk);
  return e;
}

AgentEvent AgentEvent::Result(bool is_error, std::string error, Json metadata) {
  AgentEvent e;
  e.kind = Kind::kResult;
  e.is_error = is_error;
  e.error = std::move(error);
  e.metadata = std::move(metadata);
  return e;
}

Json AgentEvent::ToJson() const {
  switch (kind) {
    case Kind::kSession:
      return {{"kind", "session"}, {"sdk_session_id", sdk_session_id}};
    case Kind::kMessage:
      return {{"kind", "message"},       {"role", role},           {"type", type},
              {"content", content},      {"tool_uses", tool_uses}, {"metadata", metadata},
              {"stream_key", stream_key}};
    case Kind::kDelta:
      return {{"kind", "delta"}, {"type", type}, {"stream_key", stream_key}, {"chunk", chunk}};
    case Kind::kResult:
      return {{"kind", "result"}, {"is_error", is_error}, {"error", error}, {"metadata", metadata}};
  }
  return nullptr;
}

// --- Text helpers ---------------------------------------------------------------------------

namespace agent_internal {

std::string_view TrimCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// --- JSON helpers (never throw on unexpected shapes) ----------------------------------------

const Json& Get(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const Json& j, const char* key) {
  const Json& v = Get(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

bool Bool(const Json& j, const char* key) {
  const Json& v = Get(j, key);
  return v.is_boolean() && v.get<bool>();
}

void CopyIf(const Json& from, const char* key, Json* to, const char* as) {
  const Json& v = Get(from, key);
  if (!v.is_null()) (*to)[as ? as : key] = v;
}

Json Pick(const Json& from, std::initializer_list<const char*> keys) {
  Json out = Json::object();
  for (const char* key : keys) CopyIf(from, key, &out);
  return out;
}

// --- Base of the JSON-lines parsers ---------------------------------------------------------

Status JsonLinesParser::ParseLine(std::string_view line, std::vector<AgentEvent>* out) {
  line = TrimCr(line);
  if (IsBlank(line)) return Status::OK();
  Json j;
  Status s = ParseJson(line, &j);  // the one entry rule: depth, size, UTF-8, numbers
  if (s.ok() && j.is_object()) {
    Handle(j, out);
    return Status::OK();
  }
  // A line too deep is named as such: its first 200 bytes would be brackets only.
  const std::string reason = s.message();
  if (reason.find("nested deeper") != std::string::npos)
    return Status::BadRequest(std::string(tool_) + ": output line " +
                              reason.substr(reason.find("nested deeper")));
  return Status::BadRequest(std::string(tool_) +
                            ": unparseable output line: " + ToValidUtf8(line, 200));
}

}  // namespace agent_internal

namespace {

using agent_internal::TrimCr;

// --- command --------------------------------------------------------------------------------

class CommandParser final : public AgentParser {
 public:
  Status ParseLine(std::string_view line, std::vector<AgentEvent>* out) override {
    out->push_back(AgentEvent::Message("assistant", "text", ToValidUtf8(TrimCr(line))));
    return Status::OK();
  }
};

// --- The table of agents --------------------------------------------------------------------

using Argv = std::vector<std::string>;

// Each resume form keeps the id one argv element that no parser can read as a flag: joined to
// its option, or (codex's positional) vetted by IsSafeSdkSessionId in BuildAgentArgv.
Argv ClaudeArgv(const std::string& exe, const std::string& sid, const Json&) {
  Argv argv = {exe,           "-p",        "--output-format",
               "stream-json", "--verbose", "--include-partial-messages"};
  if (!sid.empty()) argv.push_back("--resume=" + sid);
  return argv;
}

Argv CodexArgv(const std::string& exe, const std::string& sid, const Json&) {
  Argv argv = {exe, "exec", "--json"};
  if (!sid.empty()) argv.insert(argv.end(), {"resume", sid});
  argv.push_back("-");  // the prompt is on stdin
  return argv;
}

Argv GeminiArgv(const std::string& exe, const std::string& sid, const Json&) {
  Argv argv = {exe, "--output-format", "stream-json"};
  if (!sid.empty()) argv.push_back("--resume=" + sid);
  return argv;
}

Argv CommandArgv(const std::string&, const std::string&, const Json& agent_command) {
  Argv argv;
  if (!agent_command.is_array()) return argv;
  for (const Json& arg : agent_command) {
    if (!arg.is_string()) return {};
    argv.push_back(arg.get<std::string>());
  }
  return argv;
}

struct AgentSpec {
  const char* tool;
  const char* env;  // the variable naming the executable; nullptr for command
  const char* default_executable;
  Argv (*argv)(const std::string&, const std::string&, const Json&);
  std::unique_ptr<AgentParser> (*make_parser)();
};

template <typename P>
std::unique_ptr<AgentParser> Make() {
  return std::make_unique<P>();
}

const AgentSpec* FindAgent(const std::string& tool) {
  static const AgentSpec kAgents[] = {
      {"claude-code", "AGOR_CLAUDE_BIN", "claude", ClaudeArgv, Make<ClaudeParser>},
      {"codex", "AGOR_CODEX_BIN", "codex", CodexArgv, Make<CodexParser>},
      {"gemini", "AGOR_GEMINI_BIN", "gemini", GeminiArgv, Make<GeminiParser>},
      {"command", nullptr, "", CommandArgv, Make<CommandParser>},
  };
  for (const auto& agent : kAgents) {
    if (tool == agent.tool) return &agent;
  }
  return nullptr;
}

}  // namespace

std::unique_ptr<AgentParser> MakeAgentParser(const std::string& agentic_tool) {
  const AgentSpec* agent = FindAgent(agentic_tool);
  return agent ? agent->make_parser() : nullptr;
}

bool IsSafeSdkSessionId(std::string_view id) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  };
  if (id.empty() || id.size() > 128 || id.front() == '-') return false;
  return std::all_of(id.begin(), id.end(), allowed);
}

std::string UnsafeSdkSessionIdMessage(const std::string& agentic_tool, std::string_view id) {
  return agentic_tool + ": the session's sdk_session_id '" + ToValidUtf8(id, 128) +
         "' is not a valid resume id (1 to 128 letters, digits, '-' or '_', not starting with "
         "'-'); set it to null to start a new agent session";
}

std::vector<std::string> BuildAgentArgv(const std::string& agentic_tool,
                                        const std::string& executable,
                                        const std::string& sdk_session_id,
                                        const Json& agent_command) {
  const AgentSpec* agent = FindAgent(agentic_tool);
  if (agent == nullptr) return {};
  const bool resumes = agent->env != nullptr && !sdk_session_id.empty();
  if (resumes && !IsSafeSdkSessionId(sdk_session_id)) return {};
  return agent->argv(executable, sdk_session_id, agent_command);
}

std::string AgentExecutable(const std::string& agentic_tool) {
  const AgentSpec* agent = FindAgent(agentic_tool);
  if (agent == nullptr || agent->env == nullptr) return "";
  const char* value = std::getenv(agent->env);
  return value != nullptr && *value != '\0' ? value : agent->default_executable;
}

const char* AgentExecutableVariable(const std::string& agentic_tool) {
  const AgentSpec* agent = FindAgent(agentic_tool);
  return agent != nullptr ? agent->env : nullptr;
}

}  // namespace agor
