// `agor message list SESSION [--follow]` (`ls` too): a session's conversation in index order,
// all of it (paged), and with --follow the new messages as they are stored until Ctrl-C or
// until stdout's reader goes away (cmd/message_feed.h). SESSION is an id or a unique prefix.
//
// Exit codes (cmd/command.h): 0 done (or stdout closed), 1 refused or the followed session was
// removed, 2 usage, 3 unreachable, 130 Ctrl-C while following.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <string>

#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/interrupt.h"
#include "cmd/message_feed.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr const char* kProgram = "agor message";

struct MessageFlags {
  std::string url;
  std::string token;
  bool json = false;
  bool follow = false;
  std::string session;
};

CLI::App* AddList(CLI::App* app, MessageFlags* f) {
  CLI::App* list = app->add_subcommand("list", "print a session's messages in index order");
  list->alias("ls");
  for (CLI::App* level : {app, list}) {
    level->add_option(
        "--url", f->url,
        "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + "; http only)");
    AddTokenFlag(level, &f->token);
    level->add_flag("--json", f->json, "JSON lines even on a terminal");
  }
  list->add_flag("-f,--follow", f->follow,
                 "keep printing new messages until Ctrl-C (exit 130) or stdout closes");
  list->add_option("session", f->session, "the session's id or a unique prefix (8+ hex)")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) { return IsValidUtf8(text) ? "" : "not valid UTF-8"; }, "",
          "Utf8"));
  list->footer(
      "examples:\n  agor message ls 7c41d2aa\n  agor message list 7c41d2aa --follow | jq .content");
  return list;
}

int PrintAll(RestClient& rest, const std::string& session_id, OutputStyle style) {
  MessagePrinter printer(style);
  int64_t next = 0;
  bool closed = false;
  Status status = PrintStoredMessages(rest, session_id, printer, &next, &closed);
  return status.ok() ? kExitOk : ReportFailure(status);
}

// -1 when the command should go on, else the exit code (0 after --help, 2 on bad usage).
int Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsage(UsageMessage(app, error), ParsedPath(app));
  }
  return -1;
}

}  // namespace

int RunMessage(int argc, char** argv) {
  CLI::App app{"read the messages of a session", kProgram};
  app.require_subcommand(1);
  MessageFlags flags;
  AddList(&app, &flags);
  app.footer("example:\n  agor message list 7c41d2aa --follow");
  if (int code = Parse(app, argc, argv); code >= 0) return code;
  BaseUrl base;
  if (int code = ChooseDaemon(flags.url, flags.token, ParsedPath(app), &base); code >= 0) {
    return code;
  }
  signal(SIGPIPE, SIG_IGN);
  RestClient rest(base);
  std::string session_id;
  Status status = ResolveId(rest, "sessions", flags.session, "", &session_id);
  if (!status.ok()) return ReportFailure(status);
  OutputStyle style = DetectStyle(flags.json);
  if (!flags.follow) return PrintAll(rest, session_id, style);
  return MessageFollower(base, session_id, style, InstallFollowInterrupt()).Run();
}

}  // namespace agor
