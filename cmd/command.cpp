#include "cmd/command.h"

#include <cstdio>
#include <cstring>

namespace agor {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> commands = {
      {"serve", "run the daemon (REST + Socket.IO on one port)", RunServe},
      {"board", "list, create, show, update and remove boards", RunBoard},
      {"session", "list, create, show and remove sessions", RunSession},
      {"repo", "list, add and remove repos", RunRepo},
      {"watch", "print events as they happen (JSON lines when piped)", RunWatch},
      {"prompt", "send a prompt to a session's agent and stream its answer", RunPrompt},
  };
  return commands;
}

namespace {

void PrintUsage(FILE* out) {
  fprintf(out, "usage: agor <command> [options]\n\ncommands:\n");
  for (const auto& c : AllCommands()) fprintf(out, "  %-10s %s\n", c.name, c.summary);
  fprintf(out, "\n'agor <command> --help' for a command's options.\n");
}

}  // namespace

int RunMain(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  const char* name = argv[1];
  if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
    PrintUsage(stdout);
    return kExitOk;
  }
  if (!strcmp(name, "--version") || !strcmp(name, "version")) {
    printf("agor %s\n", AGOR_VERSION);
    return kExitOk;
  }
  for (const auto& c : AllCommands()) {
    if (!strcmp(name, c.name)) return c.run(argc - 1, argv + 1);
  }
  fprintf(stderr, "agor: unknown command '%s'\n", name);
  PrintUsage(stderr);
  return kExitUsage;
}

}  // namespace agor
