// `agor prompt`: sends a prompt to a session's agent and prints the agent's messages as they
// arrive, until the task ends.
//
//   agor prompt [flags] <session> <text>
//   agor prompt [flags] --board <board> --agent <tool> [--command ARG]... <text>
//
// <text> "-" reads the prompt from stdin (to EOF, trailing newlines dropped). Ids are full ids
// or unique prefixes (8+ hex), resolved through GET /sessions/<id> and GET /boards/<id>. With
// --board the session is created first (POST /sessions; --command gives the `command` tool's
// agent_command, one argv element per occurrence).
//
// Nothing is lost: the command connects its socket (cmd/socket_client.h), subscribes to the
// session, and only then POSTs the prompt; it follows the task the daemon answers with, or,
// when the prompt was queued behind a running task, the task its queued message starts (the
// `messages patched` that gives the message a task_id). After a reconnect the server did not
// recover (a daemon that forgot the connection), it subscribes again and reads what it missed
// over REST: the task's messages (printed once each, by message_id) and the task's status. A
// daemon restart thus ends the wait with the task `stopped`.
//
// Output (cmd/output.h): piped or --json, one JSON line per stored message of the task (the
// record; the user's own prompt is not repeated). On a terminal, the text as it streams
// (`messages streaming` chunks), the stored message adding only what the chunks did not show;
// tool uses, tool results and other non-text messages as short dim lines (no colour with
// NO_COLOR). --detach prints the task id (piped: the daemon's answer as a JSON line) and returns.
//
// Exit codes (cmd/command.h): 0 the task completed (or --detach); 1 it failed ("agor: <error>"
// on stderr, one line) or was stopped, or the daemon refused a request; 2 usage; 3 the daemon
// is unreachable; 130 Ctrl-C, which first stops the task (POST /sessions/:id/stop; a queued
// prompt is removed instead) and waits up to 5 s for it to end. A second Ctrl-C exits at once.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "cmd/command.h"
#include "cmd/output.h"
#include "cmd/resource_cli.h"
#include "cmd/rest_client.h"
#include "cmd/socket_client.h"
#include "store/schema.h"

namespace agor {
namespace {

constexpr const char* kProgram = "agor prompt";
constexpr int kTickMs = 50;
constexpr auto kStopWait = std::chrono::seconds(5);
constexpr int kPageSize = 1000;
constexpr size_t kExcerptWidth = 100;
constexpr const char* kDim = "\x1b[2m";
constexpr const char* kReset = "\x1b[0m";

volatile std::sig_atomic_t g_interrupted = 0;

void OnInterrupt(int) {
  if (g_interrupted) _exit(kExitInterrupted);
  g_interrupted = 1;
}

void InstallSignalHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnInterrupt;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed socket or stdout shows up as EPIPE instead
}

// ---- Flags -----------------------------------------------------------------------------------

struct PromptFlags {
  std::string url;
  bool json = false;
  bool detach = false;
  std::string board;
  std::string agent;
  std::vector<std::string> commands;
  std::vector<std::string> args;  // [<session>] <text>
};

void AddFlags(CLI::App* app, PromptFlags* f) {
  app->add_option(
      "--url", f->url,
      "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + "; http only)");
  app->add_flag("--json", f->json, "JSON lines even on a terminal");
  app->add_flag("--detach", f->detach, "print the task id and return at once");
  app->add_option("--board", f->board, "create a session on this board first (id or prefix)");
  app->add_option("--agent", f->agent, "the new session's agent (with --board)");
  app->add_option("--command", f->commands,
                  "one argv element of the new session's agent command (repeat; --command=-x "
                  "for dashes)")
      ->allow_extra_args(false);
  app->add_option("args", f->args, "<session> <text>, or <text> with --board; '-' reads stdin");
  app->footer(
      "exit codes: 0 completed, 1 failed or stopped, 2 usage, 3 daemon unreachable, 130 Ctrl-C "
      "(stops the task)");
}

// The usage problem of a parsed command line, "" when there is none.
std::string UsageProblem(const PromptFlags& f) {
  bool creating = !f.board.empty();
  size_t want = creating ? 1 : 2;
  if (!creating && (!f.agent.empty() || !f.commands.empty())) {
    return "--agent and --command need --board";
  }
  if (creating && f.agent.empty()) return "--board needs --agent";
  if (f.args.size() != want) {
    return creating ? "expected one argument: the prompt text"
                    : "expected two arguments: <session> <text>";
  }
  return "";
}

// The prompt: `arg` itself, or stdin to EOF for "-", without trailing newlines.
std::string ReadPrompt(const std::string& arg) {
  if (arg != "-") return arg;
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// ---- Small JSON helpers ----------------------------------------------------------------------

std::string Str(const Json& record, const char* key) {
  if (!record.is_object()) return "";
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : "";
}

// `text` with its line breaks turned into "; " (an agent's error may hold its stderr tail).
std::string OneLine(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) {
    text.replace(at, 1, "; ");
  }
  return text;
}

bool IsFinal(const std::string& task_status) {
  return task_status == "completed" || task_status == "failed" || task_status == "stopped";
}

// The stored prompt of a task (the user's own message), as opposed to a tool result.
bool IsPromptMessage(const Json& message) {
  return Str(message, "role") == "user" && Str(message, "status") == "sent";
}

// ---- REST steps before the socket ------------------------------------------------------------

// GET /<service>/<id_or_prefix>: the full id of the record it names.
Status ResolveId(RestClient& rest, const std::string& service, const std::string& id_or_prefix,
                 std::string* full_id) {
  Json record;
  Status status = rest.Get(PathJoin(service, id_or_prefix), {}, &record);
  if (IsUnreachable(status)) return status;
  const char* id_field = FindService(service)->id_field;
  if (!status.ok()) return Status(status.code(), id_field + (": " + status.message()));
  *full_id = Str(record, id_field);
  if (full_id->empty()) return Status::GeneralError("unexpected answer to GET /" + service);
  return Status::OK();
}

// POST /sessions on the --board's board with --agent and --command.
Status CreateSession(RestClient& rest, const PromptFlags& f, std::string* session_id) {
  std::string board_id;
  Status status = ResolveId(rest, "boards", f.board, &board_id);
  if (!status.ok()) return status;
  Json body{{"board_id", board_id}, {"agentic_tool", f.agent}};
  if (!f.commands.empty()) body["agent_command"] = f.commands;
  Json session;
  status = rest.Post("/sessions", body, &session);
  if (!status.ok()) return status;
  *session_id = Str(session, "session_id");
  if (session_id->empty()) return Status::GeneralError("unexpected answer to POST /sessions");
  return Status::OK();
}

Status PrepareSession(RestClient& rest, const PromptFlags& f, std::string* session_id) {
  if (!f.board.empty()) return CreateSession(rest, f, session_id);
  return ResolveId(rest, "sessions", f.args[0], session_id);
}

Status PostPrompt(RestClient& rest, const std::string& session_id, const std::string& text,
                  Json* answer) {
  return rest.Post(PathJoin("sessions", session_id) + "/prompt", {{"prompt", text}}, answer);
}

int Detach(RestClient& rest, const std::string& session_id, const std::string& text,
           const OutputStyle& style) {
  Json answer;
  Status status = PostPrompt(rest, session_id, text, &answer);
  if (!status.ok()) return ReportFailure(status);
  if (style.json) {
    PrintRecord(style, answer);
  } else if (answer.value("task_id", Json()).is_string()) {
    printf("%s\n", Str(answer, "task_id").c_str());
  } else {
    printf("queued as message %s (position %s)\n", Str(answer, "message_id").c_str(),
           answer.value("queue_position", Json()).dump().c_str());
  }
  return kExitOk;
}

// ---- Terminal rendering ----------------------------------------------------------------------

// The readable text of message content: a string, or the text/thinking blocks of an array.
std::string ContentText(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (!content.is_array()) return text;
  for (const Json& block : content) {
    std::string type = Str(block, "type");
    if (type == "text" || type == "thinking") text += Str(block, type.c_str());
  }
  return text;
}

// One line of `text` (its first), cut to the excerpt width.
std::string Excerpt(const std::string& text) {
  std::string first = text.substr(0, text.find('\n'));
  if (first.size() < text.size()) first += " \xe2\x80\xa6";
  return CellText(Json(first), Column{"", "", Column::kText, kExcerptWidth});
}

// A tool result's output: a string, or the text blocks of tool_result blocks.
std::string ToolResultText(const Json& content) {
  if (!content.is_array()) return ContentText(content);
  std::string text;
  for (const Json& block : content) {
    const Json& inner = block.is_object() && block.contains("content") ? block["content"] : block;
    text += inner.is_string() ? inner.get<std::string>() : ContentText(inner);
  }
  return text;
}

// The short lines a non-text message shows as: "⚙ Bash {…}", "← output", "[type] …".
std::vector<std::string> ToolLines(const Json& message) {
  std::string type = Str(message, "type");
  std::vector<std::string> lines;
  if (type == "tool_use" && message.value("tool_uses", Json()).is_array()) {
    for (const Json& use : message["tool_uses"]) {
      lines.push_back(Excerpt("\xe2\x9a\x99 " + Str(use, "name") + " " +
                              use.value("input", Json::object()).dump()));
    }
  } else if (type == "tool_result") {
    lines.push_back(Excerpt("\xe2\x86\x90 " + ToolResultText(message.value("content", Json()))));
  } else {
    const Json& content = message.value("content", Json());
    std::string text = ContentText(content);
    lines.push_back(Excerpt("[" + type + "] " + (text.empty() ? content.dump() : text)));
  }
  return lines;
}

bool IsTextType(const std::string& type) {
  return type.empty() || type == "text" || type == "thinking" || type == "error";
}

// Prints a task's messages: JSON lines, or text as it streams on a terminal.
class Printer {
 public:
  explicit Printer(OutputStyle style) : style_(style) {}

  void Chunk(const Json& streaming);
  void Message(const Json& message);
  void End() { CloseLine(); }

 private:
  void Text(const Json& message);
  void Write(const std::string& text);
  void CloseLine();
  void DimLine(const std::string& text);

  OutputStyle style_;
  std::map<std::string, std::string> streamed_;  // message_id -> text shown so far
  bool line_open_ = false;
};

void Printer::Chunk(const Json& streaming) {
  if (style_.json) return;
  std::string chunk = Str(streaming, "chunk");
  streamed_[Str(streaming, "message_id")] += chunk;
  Write(chunk);
}

void Printer::Message(const Json& message) {
  if (style_.json) return Write(FormatJsonLines(Json::array({message})));
  std::string type = Str(message, "type");
  if (IsTextType(type)) return Text(message);
  CloseLine();
  for (const std::string& line : ToolLines(message)) DimLine(line);
}

// A text message: what its streamed chunks did not show yet, then the end of its line.
void Printer::Text(const Json& message) {
  std::string text = ContentText(message.value("content", Json()));
  auto it = streamed_.find(Str(message, "message_id"));
  if (it != streamed_.end()) {
    if (text.compare(0, it->second.size(), it->second) == 0) Write(text.substr(it->second.size()));
    streamed_.erase(it);
    return CloseLine();
  }
  CloseLine();
  if (Str(message, "type") == "thinking") return DimLine(text);
  Write(text);
  CloseLine();
}

void Printer::Write(const std::string& text) {
  if (text.empty()) return;
  fwrite(text.data(), 1, text.size(), stdout);
  fflush(stdout);
  line_open_ = text.back() != '\n';
}

void Printer::CloseLine() {
  if (line_open_) Write("\n");
}

void Printer::DimLine(const std::string& text) {
  Write(style_.color ? kDim + text + kReset + "\n" : text + "\n");
}

// ---- Following the task ----------------------------------------------------------------------

class Follower {
 public:
  Follower(const BaseUrl& base, std::string session_id, std::string prompt, OutputStyle style);
  int Run();

 private:
  void OnConnect(bool recovered);
  void Subscribe();
  void SendPrompt();
  void CatchUp();
  Status CatchUpQueued();
  Status CatchUpMessages();
  void OnEvent(const std::string& name, const Json& record);
  void OnMessage(const Json& message);
  void OnQueuedPatched(const Json& message);
  void OnTask(const Json& task);
  void Tick();
  void Interrupt();
  void StopTask();
  void CancelQueued();
  void OnRestFailure(const Status& status);
  void Finish(int exit_code, const std::string& error = "");

  RestClient rest_;
  SocketClient socket_;
  Printer printer_;
  std::string session_id_;
  std::string prompt_;
  bool posted_ = false;
  std::string queued_id_;  // the queued prompt's message, until a task starts it
  std::string task_id_;    // the task followed
  std::set<std::string> printed_;
  bool interrupted_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  bool finished_ = false;
  int exit_code_ = kExitOk;
};

SocketOptions SocketOptionsFor(const BaseUrl& base) {
  SocketOptions options;
  options.url = base.text;
  return options;
}

Follower::Follower(const BaseUrl& base, std::string session_id, std::string prompt,
                   OutputStyle style)
    : rest_(base),
      socket_(SocketOptionsFor(base)),
      printer_(style),
      session_id_(std::move(session_id)),
      prompt_(std::move(prompt)) {}

int Follower::Run() {
  socket_.OnConnect([this](bool recovered) { OnConnect(recovered); });
  socket_.OnEvent(
      [this](const std::string& name, Json record, const std::string&) { OnEvent(name, record); });
  socket_.Every(kTickMs, [this] { Tick(); });
  Status status = socket_.Run();
  printer_.End();
  if (!status.ok() && !finished_) return ReportFailure(status);
  return exit_code_;
}

// The first connection subscribes then posts; a recovered one got the missed events replayed;
// any other one subscribes again and reads what it missed.
void Follower::OnConnect(bool recovered) {
  if (!recovered || !posted_) Subscribe();
}

void Follower::Subscribe() {
  Json args = Json::array({Json{{"session_id", session_id_}}, Json::object()});
  socket_.Call("create", "subscriptions", std::move(args), [this](const Status& error, Json) {
    if (finished_) return;
    if (!error.ok())
      return Finish(kExitFailure, "cannot subscribe to the session: " + error.message());
    posted_ ? CatchUp() : SendPrompt();
  });
}

void Follower::SendPrompt() {
  if (g_interrupted) return Finish(kExitInterrupted);
  Json answer;
  Status status = PostPrompt(rest_, session_id_, prompt_, &answer);
  if (!status.ok()) return Finish(ReportFailure(status));
  posted_ = true;
  task_id_ = Str(answer, "task_id");
  if (task_id_.empty()) queued_id_ = Str(answer, "message_id");
  if (task_id_.empty() && queued_id_.empty()) {
    Finish(kExitFailure, "unexpected answer to POST /sessions/:id/prompt: " + answer.dump());
  }
}

// After an unrecovered reconnect: the queued prompt's fate, the task's messages and status.
void Follower::CatchUp() {
  Status status = queued_id_.empty() ? Status::OK() : CatchUpQueued();
  if (status.ok() && !task_id_.empty()) status = CatchUpMessages();
  Json task;
  if (status.ok() && !task_id_.empty() && !finished_) {
    status = rest_.Get(PathJoin("tasks", task_id_), {}, &task);
    if (status.ok()) OnTask(task);
  }
  if (!status.ok()) OnRestFailure(status);
}

Status Follower::CatchUpQueued() {
  Json message;
  Status status = rest_.Get(PathJoin("messages", queued_id_), {}, &message);
  if (status.code() == Code::kNotFound) {
    Finish(kExitFailure, "the queued prompt was removed before it ran");
    return Status::OK();
  }
  if (status.ok()) OnQueuedPatched(message);
  return status;
}

Status Follower::CatchUpMessages() {
  for (size_t skip = 0; !finished_;) {
    Json page;
    Status status = rest_.Get("/messages",
                              {{"task_id", task_id_},
                               {"$sort[index]", "1"},
                               {"$limit", std::to_string(kPageSize)},
                               {"$skip", std::to_string(skip)}},
                              &page);
    if (!status.ok()) return status;
    const Json& data = page.value("data", Json());
    if (!data.is_array() || data.empty()) break;
    for (const Json& message : data) OnMessage(message);
    skip += data.size();
  }
  return Status::OK();
}

void Follower::OnEvent(const std::string& name, const Json& record) {
  if (finished_ || Str(record, "session_id") != session_id_) return;
  if (name == "messages streaming" && !task_id_.empty() && Str(record, "task_id") == task_id_) {
    printer_.Chunk(record);
  } else if (name == "messages created") {
    OnMessage(record);
  } else if (name == "messages patched") {
    OnQueuedPatched(record);
  } else if (name == "messages removed" && !queued_id_.empty() &&
             Str(record, "message_id") == queued_id_) {
    Finish(kExitFailure, "the queued prompt was removed before it ran");
  } else if (name == "tasks patched") {
    OnTask(record);
  } else if (name == "sessions removed") {
    Finish(kExitFailure, "session " + session_id_ + " was removed");
  }
}

void Follower::OnMessage(const Json& message) {
  if (task_id_.empty() || Str(message, "task_id") != task_id_ || IsPromptMessage(message)) return;
  if (!printed_.insert(Str(message, "message_id")).second) return;
  printer_.Message(message);
}

// The queued prompt became a task's prompt: follow that task.
void Follower::OnQueuedPatched(const Json& message) {
  if (queued_id_.empty() || Str(message, "message_id") != queued_id_) return;
  std::string task_id = Str(message, "task_id");
  if (task_id.empty()) return;
  queued_id_.clear();
  task_id_ = task_id;
  if (interrupted_) StopTask();
}

void Follower::OnTask(const Json& task) {
  std::string status = Str(task, "status");
  if (task_id_.empty() || Str(task, "task_id") != task_id_ || !IsFinal(status)) return;
  if (interrupted_) return Finish(kExitInterrupted);
  if (status == "completed") return Finish(kExitOk);
  std::string error = Str(task, "error");
  if (status == "failed") return Finish(kExitFailure, error.empty() ? "the task failed" : error);
  Finish(kExitFailure, "the task was stopped" + (error.empty() ? "" : ": " + error));
}

void Follower::Tick() {
  if (finished_) return;
  if (g_interrupted && !interrupted_) return Interrupt();
  if (interrupted_ && std::chrono::steady_clock::now() > stop_deadline_) {
    Finish(kExitInterrupted, "the task did not end within 5 s of the stop request");
  }
}

// Ctrl-C: stop the task (or drop the queued prompt), then wait a bounded time for its end.
void Follower::Interrupt() {
  interrupted_ = true;
  stop_deadline_ = std::chrono::steady_clock::now() + kStopWait;
  if (!posted_) return Finish(kExitInterrupted);
  if (!queued_id_.empty()) return CancelQueued();
  StopTask();
}

void Follower::StopTask() {
  Json answer;
  Status status = rest_.Post(PathJoin("sessions", session_id_) + "/stop", Json::object(), &answer);
  // Conflict: the session runs nothing any more, so the task has ended already.
  if (status.code() == Code::kConflict) return Finish(kExitInterrupted);
  if (!status.ok()) Finish(kExitInterrupted, "cannot stop the task: " + status.message());
}

void Follower::CancelQueued() {
  Json message;
  Status status = rest_.Get(PathJoin("messages", queued_id_), {}, &message);
  if (status.ok() && !Str(message, "task_id").empty()) return OnQueuedPatched(message);
  if (status.ok()) status = rest_.Delete(PathJoin("messages", queued_id_), &message);
  if (status.ok() || status.code() == Code::kNotFound) return Finish(kExitInterrupted);
  Finish(kExitInterrupted, "cannot remove the queued prompt: " + status.message());
}

// The daemon went away under a REST call: reconnect and catch up. Anything else is fatal.
void Follower::OnRestFailure(const Status& status) {
  if (IsUnreachable(status)) return socket_.Reconnect();
  Finish(ReportFailure(status));
}

// Ends the command; `error` (made one line) goes to stderr as "agor: <error>".
void Follower::Finish(int exit_code, const std::string& error) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = exit_code;
  printer_.End();
  if (!error.empty()) fprintf(stderr, "agor: %s\n", OneLine(error).c_str());
  socket_.Stop();
}

}  // namespace

int RunPrompt(int argc, char** argv) {
  CLI::App app{"send a prompt to a session's agent and print its messages as they arrive",
               kProgram};
  PromptFlags flags;
  AddFlags(&app, &flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsage(error.what(), kProgram);
  }
  std::string problem = UsageProblem(flags);
  if (!problem.empty()) return ReportUsage(problem, kProgram);
  BaseUrl base;
  Status status = ParseBaseUrl(ChooseUrl(flags.url), &base);
  if (!status.ok()) return ReportUsage(status.message(), kProgram);
  std::string text = ReadPrompt(flags.args.back());
  if (text.empty()) return ReportUsage("the prompt is empty", kProgram);
  InstallSignalHandlers();
  OutputStyle style = DetectStyle(flags.json);
  RestClient rest(base);
  std::string session_id;
  status = PrepareSession(rest, flags, &session_id);
  if (!status.ok()) return ReportFailure(status);
  if (flags.detach) return Detach(rest, session_id, text, style);
  return Follower(base, session_id, text, style).Run();
}

}  // namespace agor
