// Agent protocol: argv per tool and the per-tool stdout parsers (formats and their sources are
// in agent_protocol.h).
#include "server/agent_protocol.h"

#include <cstdlib>
#include <map>
#include <set>
#include <utility>

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

AgentEvent AgentEvent::Delta(std::string stream_key, std::string chunk) {
  AgentEvent e;
  e.kind = Kind::kDelta;
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
      return {{"kind", "delta"}, {"stream_key", stream_key}, {"chunk", chunk}};
    case Kind::kResult:
      return {{"kind", "result"}, {"is_error", is_error}, {"error", error}, {"metadata", metadata}};
  }
  return nullptr;
}

namespace {

// --- Text helpers ---------------------------------------------------------------------------

std::string_view TrimCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

// Length of the well-formed UTF-8 sequence starting at s[i]; 0 when it is not one (a stray
// continuation byte, a truncated or overlong sequence, a surrogate, above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  struct Lead {
    unsigned mask, value, bits;
    size_t length;
    unsigned min;
  };
  static constexpr Lead kLeads[] = {
      {0xE0, 0xC0, 0x1F, 2, 0x80}, {0xF0, 0xE0, 0x0F, 3, 0x800}, {0xF8, 0xF0, 0x07, 4, 0x10000}};
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  for (const Lead& lead : kLeads) {
    if ((c & lead.mask) != lead.value) continue;
    if (i + lead.length > s.size()) return 0;
    unsigned cp = c & lead.bits;
    for (size_t k = 1; k < lead.length; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (d & 0x3F);
    }
    const bool ok = cp >= lead.min && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    return ok ? lead.length : 0;
  }
  return 0;
}

// `s` as valid UTF-8 (each invalid byte becomes U+FFFD), cut before `max_bytes` of input
// without splitting a character: safe to put in JSON.
std::string ValidUtf8(std::string_view s, size_t max_bytes = std::string_view::npos) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    const size_t used = n == 0 ? 1 : n;
    if (i + used > max_bytes) break;
    out.append(n == 0 ? std::string_view("\xEF\xBF\xBD") : s.substr(i, n));
    i += used;
  }
  return out;
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

// Copies from[key] to (*to)[as or key] when present and not null.
void CopyIf(const Json& from, const char* key, Json* to, const char* as = nullptr) {
  const Json& v = Get(from, key);
  if (!v.is_null()) (*to)[as ? as : key] = v;
}

Json Pick(const Json& from, std::initializer_list<const char*> keys) {
  Json out = Json::object();
  for (const char* key : keys) CopyIf(from, key, &out);
  return out;
}

// --- Base of the JSON-lines parsers ---------------------------------------------------------

template <typename P>
using LineHandler = void (P::*)(const Json&, std::vector<AgentEvent>*);

// Calls the handler of line["type"]; unknown types do nothing.
template <typename P, size_t N>
void Dispatch(P* self, const std::pair<const char*, LineHandler<P>> (&table)[N], const Json& line,
              std::vector<AgentEvent>* out) {
  const std::string type = Str(line, "type");
  for (const auto& [name, handler] : table) {
    if (type == name) return (self->*handler)(line, out);
  }
}

class JsonLinesParser : public AgentParser {
 public:
  explicit JsonLinesParser(const char* tool) : tool_(tool) {}

  Status ParseLine(std::string_view line, std::vector<AgentEvent>* out) final {
    line = TrimCr(line);
    if (IsBlank(line)) return Status::OK();
    Json j = Json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Status::BadRequest(std::string(tool_) +
                                ": unparseable output line: " + ValidUtf8(line, 200));
    }
    Handle(j, out);
    return Status::OK();
  }

 protected:
  virtual void Handle(const Json& line, std::vector<AgentEvent>* out) = 0;

 private:
  const char* tool_;
};

// --- Claude Code ----------------------------------------------------------------------------

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

class ClaudeParser final : public JsonLinesParser {
 public:
  ClaudeParser() : JsonLinesParser("claude-code") {}

 private:
  void Handle(const Json& line, std::vector<AgentEvent>* out) override {
    static const std::pair<const char*, LineHandler<ClaudeParser>> kTable[] = {
        {"system", &ClaudeParser::OnSystem}, {"assistant", &ClaudeParser::OnAssistant},
        {"user", &ClaudeParser::OnUser},     {"stream_event", &ClaudeParser::OnStreamEvent},
        {"result", &ClaudeParser::OnResult},
    };
    Dispatch(this, kTable, line, out);
  }

  void OnSystem(const Json& line, std::vector<AgentEvent>* out) {
    const std::string id = Str(line, "session_id");
    if (Str(line, "subtype") == "init" && !id.empty()) out->push_back(AgentEvent::Session(id));
  }

  void OnAssistant(const Json& line, std::vector<AgentEvent>* out) {
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
                                       ClaudeToolUses(content), std::move(metadata),
                                       std::move(key)));
  }

  void OnUser(const Json& line, std::vector<AgentEvent>* out) {
    const Json& content = Get(Get(line, "message"), "content");
    if (content.is_null() || Bool(line, "isReplay")) return;
    Json metadata = Pick(line, {"parent_tool_use_id", "uuid"});
    out->push_back(
        AgentEvent::Message("user", ClaudeContentType(content), content, nullptr, metadata));
  }

  void OnStreamEvent(const Json& line, std::vector<AgentEvent>* out) {
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
    out->push_back(AgentEvent::Delta(std::move(key), std::move(chunk)));
  }

  void OnResult(const Json& line, std::vector<AgentEvent>* out) {
    const bool is_error = Bool(line, "is_error") || Str(line, "subtype").rfind("error", 0) == 0;
    Json metadata = Pick(line, {"subtype", "result", "total_cost_usd", "num_turns", "duration_ms",
                                "duration_api_ms", "usage", "modelUsage", "permission_denials"});
    out->push_back(
        AgentEvent::Result(is_error, is_error ? ClaudeErrorText(line) : "", std::move(metadata)));
  }

  // The assistant line of `message_id` with `blocks` content blocks covers the blocks after those
  // of its earlier lines; its key is the first of them that streamed deltas, if any.
  std::string TakeStreamKey(const std::string& message_id, size_t blocks) {
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

  std::map<std::string, std::string> current_message_;  // parent_tool_use_id → message id
  std::map<std::string, size_t> next_block_;            // message id → blocks already stored
  std::set<std::string> streamed_keys_;                 // keys with deltas, not yet stored
};

// --- Codex ----------------------------------------------------------------------------------

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

class CodexParser final : public JsonLinesParser {
 public:
  CodexParser() : JsonLinesParser("codex") {}

 private:
  void Handle(const Json& line, std::vector<AgentEvent>* out) override {
    static const std::pair<const char*, LineHandler<CodexParser>> kTable[] = {
        {"thread.started", &CodexParser::OnThreadStarted},
        {"item.completed", &CodexParser::OnItemCompleted},
        {"turn.completed", &CodexParser::OnTurnCompleted},
        {"turn.failed", &CodexParser::OnTurnFailed},
        {"error", &CodexParser::OnError},
    };
    Dispatch(this, kTable, line, out);
  }

  void OnThreadStarted(const Json& line, std::vector<AgentEvent>* out) {
    const std::string id = Str(line, "thread_id");
    if (!id.empty()) out->push_back(AgentEvent::Session(id));
  }

  void OnItemCompleted(const Json& line, std::vector<AgentEvent>* out) {
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

  void OnTurnCompleted(const Json& line, std::vector<AgentEvent>* out) {
    out->push_back(AgentEvent::Result(false, "", Pick(line, {"usage"})));
  }

  void OnTurnFailed(const Json& line, std::vector<AgentEvent>* out) {
    std::string error = Str(Get(line, "error"), "message");
    out->push_back(AgentEvent::Result(true, error.empty() ? "codex: turn failed" : error));
  }

  void OnError(const Json& line, std::vector<AgentEvent>* out) {
    out->push_back(AgentEvent::Message("system", "error", Str(line, "message")));
  }
};

// --- Gemini ---------------------------------------------------------------------------------

class GeminiParser final : public JsonLinesParser {
 public:
  GeminiParser() : JsonLinesParser("gemini") {}

  void Finish(std::vector<AgentEvent>* out) override { FlushText(out); }

 private:
  void Handle(const Json& line, std::vector<AgentEvent>* out) override {
    static const std::pair<const char*, LineHandler<GeminiParser>> kTable[] = {
        {"init", &GeminiParser::OnInit},        {"message", &GeminiParser::OnMessage},
        {"tool_use", &GeminiParser::OnToolUse}, {"tool_result", &GeminiParser::OnToolResult},
        {"error", &GeminiParser::OnError},      {"result", &GeminiParser::OnResult},
    };
    Dispatch(this, kTable, line, out);
  }

  void OnInit(const Json& line, std::vector<AgentEvent>* out) {
    model_ = Str(line, "model");
    const std::string id = Str(line, "session_id");
    if (!id.empty()) out->push_back(AgentEvent::Session(id));
  }

  // The user message is the prompt echoed back: agor stored it already.
  void OnMessage(const Json& line, std::vector<AgentEvent>* out) {
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

  void OnToolUse(const Json& line, std::vector<AgentEvent>* out) {
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

  void OnToolResult(const Json& line, std::vector<AgentEvent>* out) {
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

  void OnError(const Json& line, std::vector<AgentEvent>* out) {
    FlushText(out);
    out->push_back(AgentEvent::Message("system", "error", Str(line, "message"), nullptr,
                                       Pick(line, {"severity"})));
  }

  void OnResult(const Json& line, std::vector<AgentEvent>* out) {
    FlushText(out);
    const bool failed = Str(line, "status") == "error";
    std::string error = failed ? Str(Get(line, "error"), "message") : "";
    if (failed && error.empty()) error = "gemini: run ended with an error";
    out->push_back(AgentEvent::Result(failed, error, Pick(line, {"status", "error", "stats"})));
  }

  void FlushText(std::vector<AgentEvent>* out) {
    if (pending_key_.empty()) return;
    out->push_back(AgentEvent::Message("assistant", "text", std::move(pending_text_), nullptr,
                                       ModelMetadata(), std::move(pending_key_)));
    pending_key_.clear();
    pending_text_.clear();
  }

  Json ModelMetadata() const { return model_.empty() ? Json::object() : Json{{"model", model_}}; }

  std::string model_;
  std::string pending_key_;  // the stream in progress, "" when none
  std::string pending_text_;
  unsigned streams_ = 0;
};

// --- command --------------------------------------------------------------------------------

class CommandParser final : public AgentParser {
 public:
  Status ParseLine(std::string_view line, std::vector<AgentEvent>* out) override {
    out->push_back(AgentEvent::Message("assistant", "text", ValidUtf8(TrimCr(line))));
    return Status::OK();
  }
};

// --- The table of agents --------------------------------------------------------------------

using Argv = std::vector<std::string>;

Argv ClaudeArgv(const std::string& exe, const std::string& sid, const Json&) {
  Argv argv = {exe,           "-p",        "--output-format",
               "stream-json", "--verbose", "--include-partial-messages"};
  if (!sid.empty()) argv.insert(argv.end(), {"--resume", sid});
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
  if (!sid.empty()) argv.insert(argv.end(), {"--resume", sid});
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

std::vector<std::string> BuildAgentArgv(const std::string& agentic_tool,
                                        const std::string& executable,
                                        const std::string& sdk_session_id,
                                        const Json& agent_command) {
  const AgentSpec* agent = FindAgent(agentic_tool);
  return agent ? agent->argv(executable, sdk_session_id, agent_command) : Argv();
}

std::string AgentExecutable(const std::string& agentic_tool) {
  const AgentSpec* agent = FindAgent(agentic_tool);
  if (agent == nullptr || agent->env == nullptr) return "";
  const char* value = std::getenv(agent->env);
  return value != nullptr && *value != '\0' ? value : agent->default_executable;
}

std::string MissingExecutableMessage(const std::string& agentic_tool,
                                     const std::string& executable) {
  std::string message = agentic_tool + ": '" + executable + "' ";
  if (executable.find('/') != std::string::npos) return message + "not found or not executable";
  message += "not found on PATH";
  const AgentSpec* agent = FindAgent(agentic_tool);
  if (agent != nullptr && agent->env != nullptr)
    message += std::string(" (set ") + agent->env + ")";
  return message;
}

}  // namespace agor
