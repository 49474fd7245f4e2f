// Agent protocol: what agor runs for each agentic tool (argv, executable) and how it reads what
// the agent prints on stdout (one line at a time) into normalized AgentEvents. Pure code: no
// I/O, no processes; the TaskManager (server/agents/task_manager.*) spawns the process through
// the ProcessSupervisor and feeds its stdout lines here.
//
// The prompt is never on the command line: all four tools read it from stdin (the supervisor
// writes it, then closes stdin). Values from records never become flags: the resume id is
// joined to its option (`--resume=<id>`, which Claude Code's commander and gemini's yargs
// parse as the option's value) or, for codex's positional, checked by IsSafeSdkSessionId.
// Sources of each CLI's behaviour and output format:
//
// claude-code  `claude -p --output-format stream-json --verbose --include-partial-messages
//              [--resume=<sdk_session_id>]`; `-p` with no prompt argument reads the prompt from
//              stdin. Lines (Agent SDK message types, SDKMessage in the TypeScript reference of
//              @anthropic-ai/claude-agent-sdk; code.claude.com/docs/en/headless):
//                {"type":"system","subtype":"init","session_id",...}  → kSession
//                  (other system subtypes: hook_*, compact_boundary, status … → nothing)
//                {"type":"assistant","message":{"id":"msg_…","model","content":[blocks],
//                  "usage",…},"parent_tool_use_id","session_id","uuid"}  → kMessage assistant
//                {"type":"user","message":{"role":"user","content":[{"type":"tool_result",
//                  "tool_use_id","content",…}]},…}  → kMessage user ("isReplay" lines: nothing)
//                {"type":"stream_event","event":<Anthropic Messages streaming event>,
//                  "parent_tool_use_id","session_id","uuid"}: message_start gives the message
//                  id; content_block_delta with text_delta → kDelta "text", thinking_delta →
//                  kDelta "thinking"; rest nothing
//                {"type":"result","subtype":"success"|"error_max_turns"|"error_during_execution"
//                  |…,"is_error","result","errors"?,"total_cost_usd","num_turns","duration_ms",
//                  "duration_api_ms","usage","modelUsage","permission_denials",…}  → kResult
//              Claude Code prints one "assistant" line per content block of an API message, all
//              with the same message.id (anthropics/claude-code#78686), so a stream_key is
//              "<message id>:<block index>": the k-th assistant line of a message id covers the
//              block(s) after those of the earlier lines.
// codex        `codex exec --json -` / `codex exec --json resume <thread_id> -` (`-` = read the
//              prompt from stdin; openai/codex codex-rs/exec/src/cli.rs, tests/suite/resume.rs).
//              JSONL from codex-rs/exec/src/exec_events.rs (ThreadEvent, tag "type"):
//                thread.started {thread_id} → kSession; turn.started, item.started,
//                item.updated → nothing (codex exec prints no text deltas);
//                item.completed {item:{id,type,…}} → kMessage per item type: agent_message
//                  (text), reasoning (thinking), plan, command_execution, file_change,
//                  mcp_tool_call, collab_tool_call, web_search, todo_list, error (system);
//                  other item types → nothing;
//                turn.completed {usage} → kResult ok; turn.failed {error:{message}} → kResult
//                  error; error {message} (fatal or a "Reconnecting…" notice) → system message.
// gemini       `gemini --output-format stream-json [--resume=<session_id>]`; with stdin not a
//              TTY gemini runs headless and reads the prompt from stdin (geminicli.com/docs/cli/
//              headless, cli-reference). Events from google-gemini/gemini-cli packages/core/src/
//              output/types.ts and packages/cli/src/nonInteractiveCli.ts:
//                init {session_id,model} → kSession; message role user (the prompt echoed) →
//                nothing; message role assistant delta:true → kDelta, and the chunks up to the
//                next non-delta event (or Finish) → one kMessage assistant text with the same
//                stream_key ("gemini-<n>", gemini gives no message id); tool_use {tool_name,
//                tool_id,parameters} → assistant tool_use; tool_result {tool_id,status,output?,
//                error?} → user tool_result; error {severity,message} → system error message;
//                result {status,error?,stats} → kResult.
// command      `agent_command` as is (argv array), prompt on stdin; every stdout line is one
//              assistant "text" message whose content is the line.
//
// Thread-safety: a parser holds per-run state; use one per agent process on one thread. The
// free functions are pure (AgentExecutable reads the environment).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace agor {

// One normalized thing an agent said. Only the fields of its kind are meaningful.
struct AgentEvent {
  enum class Kind { kSession, kMessage, kDelta, kResult };

  Kind kind = Kind::kMessage;
  // kSession: the agent's own session/thread id, to store and resume with.
  std::string sdk_session_id;
  // kMessage: "assistant" | "user" | "system".
  std::string role;
  // kMessage: "text", "thinking", "tool_use", "tool_result", "error", or the agent's own type
  // name ("command_execution", "todo_list" …). kDelta: "thinking" for reasoning the agent
  // streams (Claude's thinking_delta), "text" for everything else.
  std::string type;
  // kMessage: a string, or an array of content blocks (Claude's as given).
  Json content;
  // kMessage: [{id, name, input}] or null.
  Json tool_uses;
  // kMessage: model, usage, the agent's message id …; kResult: cost, turns, duration, usage,
  // result text … (the agent's own field names).
  Json metadata = Json::object();
  // kDelta / kMessage: ties partial text to the message it previews. A kMessage has a key only
  // when kDelta events with that key came before it (it is their complete message); empty
  // otherwise. A parser never gives one key to two messages.
  std::string stream_key;
  // kDelta: partial text (text or thinking) to append.
  std::string chunk;
  // kResult: the run ended in an error, and its text.
  bool is_error = false;
  std::string error;

  static AgentEvent Session(std::string sdk_session_id);
  static AgentEvent Message(std::string role, std::string type, Json content,
                            Json tool_uses = nullptr, Json metadata = Json::object(),
                            std::string stream_key = "");
  static AgentEvent Delta(std::string stream_key, std::string chunk, std::string type = "text");
  static AgentEvent Result(bool is_error, std::string error, Json metadata = Json::object());

  // The fields of its kind as JSON ({"kind":"message","role":…}), for logs and tests.
  Json ToJson() const;
};

// Reads one agent's stdout, line by line, in order.
class AgentParser {
 public:
  virtual ~AgentParser() = default;

  // Appends the events of one stdout line (without its '\n'; a trailing '\r' is ignored) to
  // *out. Lines that carry nothing for agor (blank lines, hooks, rate-limit notices, unknown
  // types) append nothing and are OK. For the JSON agents a line that is not a JSON object
  // (invalid UTF-8 included) is BadRequest "<tool>: unparseable output line: <its first 200
  // bytes>", and one nested deeper than base/json.h's kMaxJsonDepth is BadRequest "<tool>:
  // output line nested deeper than 64 levels" (never parsed: the copies of a deep value
  // recurse); lines go through ParseJson, the rule every JSON from outside meets; both
  // messages are valid UTF-8 and the TaskManager turns them into a failed task. The parser
  // stays usable. Never throws.
  virtual Status ParseLine(std::string_view line, std::vector<AgentEvent>* out) = 0;

  // Call once at EOF of stdout: appends what was still pending (Gemini's last streamed text
  // when no event closed it). Appends nothing for the other agents.
  virtual void Finish(std::vector<AgentEvent>* /*out*/) {}
};

// A fresh parser for "claude-code", "codex", "gemini" or "command"; nullptr for anything else.
std::unique_ptr<AgentParser> MakeAgentParser(const std::string& agentic_tool);

// True when `id` may be put into an agent's argv as a resume id: 1 to 128 of [A-Za-z0-9_-],
// not starting with '-' (so it can never be read as a flag). UUIDs and codex thread ids pass.
bool IsSafeSdkSessionId(std::string_view id);

// The task error for a session whose stored sdk_session_id fails IsSafeSdkSessionId.
std::string UnsafeSdkSessionIdMessage(const std::string& agentic_tool, std::string_view id);

// The argv to exec (argv[0] = `executable`, which AgentPaths resolves on PATH), never a
// shell string. `sdk_session_id` non-empty → the tool's resume form (`--resume=<id>` joined;
// codex's positional `resume <id>`). For "command" it is `agent_command` as is and
// `executable` and `sdk_session_id` are ignored. Empty when the tool is unknown, when an
// sdk_session_id fails IsSafeSdkSessionId or, for "command", when `agent_command` is not a
// non-empty array of strings.
std::vector<std::string> BuildAgentArgv(const std::string& agentic_tool,
                                        const std::string& executable,
                                        const std::string& sdk_session_id,
                                        const Json& agent_command);

// The executable for a tool: $AGOR_CLAUDE_BIN / $AGOR_CODEX_BIN / $AGOR_GEMINI_BIN when set and
// non-empty, else "claude" / "codex" / "gemini". "" for "command" and unknown tools.
// (The variables are the admin's, like agent_command: used as given.)
std::string AgentExecutable(const std::string& agentic_tool);

// The variable naming a tool's executable ("AGOR_CLAUDE_BIN" ...); nullptr for "command" and
// unknown tools. (The task error for an executable that cannot run is agent_paths.h's
// ExecutableError.)
const char* AgentExecutableVariable(const std::string& agentic_tool);

// --- Shared by the parsers (server/agents/*_parser.cpp); not for other callers --------------
namespace agent_internal {

// `line` without a trailing '\r'.
std::string_view TrimCr(std::string_view line);

// True when `line` is empty or only spaces and tabs.
bool IsBlank(std::string_view line);

// JSON accessors that never throw on unexpected shapes: j[key] or null (Get), "" (Str), false
// (Bool) when `j` is not an object or the value is missing or of another type.
const Json& Get(const Json& j, const char* key);
std::string Str(const Json& j, const char* key);
bool Bool(const Json& j, const char* key);

// Copies from[key] to (*to)[as or key] when present and not null.
void CopyIf(const Json& from, const char* key, Json* to, const char* as = nullptr);

// An object of the `keys` of `from` that are present and not null.
Json Pick(const Json& from, std::initializer_list<const char*> keys);

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

// Base of the JSON-lines parsers: skips blank lines, rejects a line that is not a JSON object
// (BadRequest "<tool>: unparseable output line: …") or nests too deep, and hands each object
// to Handle().
class JsonLinesParser : public AgentParser {
 public:
  explicit JsonLinesParser(const char* tool) : tool_(tool) {}

  Status ParseLine(std::string_view line, std::vector<AgentEvent>* out) final;

 protected:
  virtual void Handle(const Json& line, std::vector<AgentEvent>* out) = 0;

 private:
  const char* tool_;
};

}  // namespace agent_internal

}  // namespace agor
