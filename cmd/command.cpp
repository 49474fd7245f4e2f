#include "cmd/command.h"

#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>

#include "base/status.h"
#include "cmd/error_text.h"
#include "cmd/resource_cli.h"
#include "cmd/suggest.h"

namespace agor {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> commands = {
      {"serve", "run the daemon (REST + Socket.IO on one port)", RunServe},
      {"board", "list, create, show, update and remove boards; who is on one, its activity",
       RunBoard},
      {"session", "list, create, show, update, remove and stop sessions", RunSession},
      {"repo", "list, create, show, update and remove repos", RunRepo},
      {"task", "list and show tasks (the runs prompts start)", RunTask},
      {"message", "list a session's messages, or follow them as they come", RunMessage},
      {"watch", "print events as they happen (JSON lines when piped)", RunWatch},
      {"prompt", "send a prompt to a session's agent and stream its answer", RunPrompt},
      {"login", "log in with email and password (saves the token)", RunLogin},
      {"logout", "revoke and forget the saved token", RunLogout},
      {"whoami", "show the user behind the token the commands send", RunWhoami},
      {"user", "list, create, update and remove users (admins)", RunUser},
      {"apikey", "create, list and revoke your API keys", RunApiKey},
  };
  return commands;
}

std::string UsageText() {
  std::string text = "usage: agor <command> [options]\n\ncommands:\n";
  for (const auto& c : AllCommands()) {
    char line[160];
    snprintf(line, sizeof line, "  %-10s %s\n", c.name, c.summary);
    text += line;
  }
  return text +
         "\noptions:\n"
         "  --version   print agor's version\n"
         "  -h, --help  this text; 'agor <command> --help' for a command's options and examples\n"
         "\nenvironment:\n"
         "  AGOR_URL    the daemon clients talk to (default http://127.0.0.1:3030; --url wins)\n"
         "  AGOR_TOKEN  the JWT or agor_sk_ API key clients send (--token wins; else the token\n"
         "              'agor login' saved in ~/.agor/cli-token, else the api_key of\n"
         "              ~/.agor/admin-credentials, which 'agor serve' writes on first start)\n"
         "  NO_COLOR    set and non-empty: no colour on a terminal\n"
         "\nexit codes:\n"
         "  0    success\n"
         "  1    the server refused the request, the task failed or was stopped\n"
         "  2    usage error (bad command, flag or argument)\n"
         "  3    no daemon answered at the URL\n"
         "  4    not authenticated: no token, or an expired or revoked one ('agor login')\n"
         "  130  interrupted (Ctrl-C)\n"
         "\nexamples:\n"
         "  agor serve --port 3030\n"
         "  agor board create \"Sprint 12\" --slug sprint-12\n"
         "  agor prompt --board sprint-12 --agent claude-code \"explain the failing test\"\n";
}

namespace {

std::vector<std::string> CommandNames() {
  std::vector<std::string> names;
  for (const auto& c : AllCommands()) names.push_back(c.name);
  return names;
}

int Dispatch(int argc, char** argv) {
  std::string name = argv[1];
  for (const auto& c : AllCommands()) {
    if (name == c.name) return c.run(argc - 1, argv + 1);
  }
  if (!name.empty() && name[0] == '-') return ReportUsage("unknown option '" + name + "'", "agor");
  return ReportUsage("unknown command '" + name + "'" + DidYouMean(name, CommandNames()), "agor");
}

// `agor help board` is `agor board --help`.
int HelpFor(char* command) {
  char help[] = "--help";
  char* argv[] = {nullptr, command, help, nullptr};
  return Dispatch(3, argv);
}

}  // namespace

int RunMain(int argc, char** argv) {
  if (argc < 2) {
    fputs(UsageText().c_str(), stderr);
    return kExitUsage;
  }
  const char* name = argv[1];
  if (!strcmp(name, "help") && argc > 2) return HelpFor(argv[2]);
  if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
    fputs(UsageText().c_str(), stdout);
    return kExitOk;
  }
  if (!strcmp(name, "--version") || !strcmp(name, "version")) {
    printf("agor %s\n", AGOR_VERSION);
    return kExitOk;
  }
  // Commands report their own failures; this catch is for a bug, or memory running out, so
  // that the user still gets one agor line and not a library's exception text.
  try {
    return Dispatch(argc, argv);
  } catch (const Json::exception& e) {
    fprintf(stderr, "agor: %s\n", WithoutLibraryText(e.what()).c_str());
  } catch (const std::bad_alloc&) {
    fprintf(stderr, "agor: out of memory\n");
  } catch (const std::exception&) {
    fprintf(stderr, "agor: internal error (please report how to reproduce it)\n");
  }
  return kExitFailure;
}

}  // namespace agor
