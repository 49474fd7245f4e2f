// `agor prompt`: sends a prompt to a session's agent and prints the agent's messages as they
// arrive, until the task ends.
//
//   agor prompt [flags] <session> <text>
//   agor prompt [flags] --board <board> --agent <tool> [--command ARG]... <text>
//   agor prompt [flags] --attach <task>
//
// <text> "-" reads the prompt from stdin (to EOF, trailing newlines dropped); a prompt that is
// not valid UTF-8 is a usage error (2) before any request. Ids are full ids or unique prefixes
// (8+ hex), and a board may be given by its slug (cmd/id_resolver.h). With
// --board the session is created first (POST /sessions; --command gives the `command` tool's
// agent_command, one argv element per occurrence).
//
// Nothing is lost: cmd/task_follower.h subscribes to the session before it POSTs the prompt,
// follows the task that prompt runs (or the task a queued prompt starts), and catches up over
// REST after a reconnect the server did not recover. A daemon restart thus ends the wait with
// the task `stopped`. This file parses flags, resolves or creates the session, and handles
// --detach. --attach follows a task that runs already (started elsewhere, or --detach'ed):
// what it printed so far, then the rest until it ends.
//
// Output (cmd/output.h): piped or --json, one JSON line per stored message of the task (the
// record; the user's own prompt is not repeated). On a terminal, the text as it streams
// (`messages streaming` chunks), the stored message adding only what the chunks did not show;
// tool uses, tool results, thinking and status lines (the new session's id with --board,
// "queued (position N)", the task's start, "— done in 4.2s") dim (no colour with NO_COLOR).
// Text from the daemon is made terminal-safe (cmd/output.h). --detach prints the task id
// (piped: the daemon's answer as a JSON line) and returns.
//
// Exit codes (cmd/command.h): 0 the task completed (or --detach, or stdout's reader went away:
// `| head -n 2` ends the command, the task goes on); 1 it failed ("agor: <error>" on stderr,
// one line) or was stopped, or the daemon refused a request; 2 usage; 3 the daemon is
// unreachable; 130 Ctrl-C, which first stops the task (POST /sessions/:id/stop; a queued
// prompt is removed instead) and waits up to 5 s for it to end; a second Ctrl-C exits at once.
// With --attach Ctrl-C only stops following (130): the task goes on.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/interrupt.h"
#include "cmd/output.h"
#include "cmd/resource_cli.h"
#include "cmd/task_follower.h"

namespace agor {
namespace {

constexpr const char* kProgram = "agor prompt";

// ---- Flags -----------------------------------------------------------------------------------

struct PromptFlags {
  std::string url;
  std::string token;
  bool json = false;
  bool detach = false;
  std::string attach;  // a task id or prefix
  std::string board;
  std::string agent;
  std::vector<std::string> commands;
  std::vector<std::string> args;  // [<session>] <text>
};

void AddFlags(CLI::App* app, PromptFlags* f) {
  app->add_option(
      "--url", f->url,
      "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + "; http only)");
  AddTokenFlag(app, &f->token);
  app->add_flag("--json", f->json, "JSON lines even on a terminal");
  app->add_flag("--detach", f->detach, "print the task id and return at once");
  app->add_option("--attach", f->attach,
                  "follow this task (id or prefix): its messages so far, then the rest");
  app->add_option("--board", f->board, "create a session on this board first (id, prefix or slug)");
  app->add_option("--agent", f->agent, "the new session's agent (with --board)");
  app->add_option("--command", f->commands,
                  "one argv element of the new session's agent command (repeat; --command=-x "
                  "for dashes)")
      ->allow_extra_args(false);
  app->add_option("args", f->args, "<session> <text>, or <text> with --board; '-' reads stdin");
  app->footer(
      "exit codes: 0 completed, 1 failed or stopped, 2 usage, 3 daemon unreachable, 130 Ctrl-C "
      "(stops the task; with --attach only stops following)\n"
      "examples:\n"
      "  agor prompt 8f70d521 \"fix the login bug\" | head -n 5\n"
      "  agor prompt --board sprint-12 --agent claude-code \"explain the failing test\"\n"
      "  git diff | agor prompt 8f70d521 -\n"
      "  agor prompt --attach 3c9e07b1");
}

// The usage problem of a parsed command line, "" when there is none.
std::string UsageProblem(const PromptFlags& f) {
  if (!f.attach.empty()) {
    bool alone = f.board.empty() && f.agent.empty() && f.commands.empty() && !f.detach;
    if (!alone) return "--attach takes no --board, --agent, --command or --detach";
    return f.args.empty() ? "" : "--attach takes no other argument";
  }
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

// Why a prompt that is not UTF-8 is refused before any request (the daemon would refuse it
// too, but only after a --board session was created for it).
std::string NotUtf8Problem(const std::string& arg) {
  return arg == "-" ? "the prompt read from stdin is not valid UTF-8"
                    : "the prompt is not valid UTF-8";
}

// ---- REST steps before the socket ------------------------------------------------------------

std::string Str(const Json& record, const char* key) {
  if (!record.is_object()) return "";
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : "";
}

// `text` dim on a colour terminal.
std::string Dim(const std::string& text, const OutputStyle& style) {
  return style.color ? "\x1b[2m" + text + "\x1b[0m" : text;
}

// POST /sessions on the --board's board with --agent and --command.
Status CreateSession(RestClient& rest, const PromptFlags& f, std::string* session_id) {
  std::string board_id;
  Status status = ResolveId(rest, "boards", f.board, "board_id", &board_id);
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

Status PrepareSession(RestClient& rest, const PromptFlags& f, const OutputStyle& style,
                      std::string* session_id) {
  if (f.board.empty()) return ResolveId(rest, "sessions", f.args[0], "session_id", session_id);
  Status status = CreateSession(rest, f, session_id);
  if (status.ok() && !style.json) {
    WriteStdout(Dim("session " + TerminalSafe(*session_id) + " created", style) + "\n");
  }
  return status;
}

// --attach: the task (GET /tasks/<id or prefix>) and the session it belongs to.
Status ResolveTask(RestClient& rest, const std::string& id, std::string* task_id,
                   std::string* session_id) {
  Json task;
  Status status = rest.Get(PathJoin("tasks", id), {}, &task);
  if (!status.ok()) return Status(status.code(), "--attach " + id + ": " + status.message());
  *task_id = Str(task, "task_id");
  *session_id = Str(task, "session_id");
  if (task_id->empty() || session_id->empty()) {
    return Status::GeneralError("unexpected answer to GET /tasks/" + id);
  }
  return Status::OK();
}

int Attach(RestClient& rest, const BaseUrl& base, const PromptFlags& f, const OutputStyle& style,
           volatile std::sig_atomic_t& interrupted) {
  std::string task_id, session_id;
  Status status = ResolveTask(rest, f.attach, &task_id, &session_id);
  if (!status.ok()) return ReportFailure(status);
  TaskFollower follower(base, session_id, "", style, interrupted);
  follower.Attach(task_id);
  return follower.Run();
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
    printf("%s\n", TerminalSafe(Str(answer, "task_id")).c_str());
  } else {
    printf("queued as message %s (position %s)\n", TerminalSafe(Str(answer, "message_id")).c_str(),
           TerminalSafe(QueuePlace(rest, session_id, answer).dump()).c_str());
  }
  return kExitOk;
}

}  // namespace

int RunPrompt(int argc, char** argv) {
  CLI::App app{"send a prompt to a session's agent and print its messages as they arrive",
               kProgram};
  PromptFlags flags;
  AddFlags(&app, &flags);
  if (int code = ParseCommandLine(app, argc, argv, kProgram); code >= 0) return code;
  std::string problem = UsageProblem(flags);
  if (!problem.empty()) return ReportUsage(problem, kProgram);
  BaseUrl base;
  if (int code = ChooseDaemon(flags.url, flags.token, kProgram, &base); code >= 0) return code;
  volatile std::sig_atomic_t& interrupted = InstallFollowInterrupt();
  OutputStyle style = DetectStyle(flags.json);
  RestClient rest(base);
  if (!flags.attach.empty()) return Attach(rest, base, flags, style, interrupted);
  std::string text = ReadPrompt(flags.args.back());
  if (text.empty()) return ReportUsage("the prompt is empty", kProgram);
  if (!IsValidUtf8(text)) return ReportUsage(NotUtf8Problem(flags.args.back()), kProgram);
  std::string session_id;
  Status status = PrepareSession(rest, flags, style, &session_id);
  if (!status.ok()) return ReportFailure(status);
  if (flags.detach) return Detach(rest, session_id, text, style);
  return TaskFollower(base, session_id, text, style, interrupted).Run();
}

}  // namespace agor
