// The table of subcommands `agor <name> ...` dispatches to, and the CLI's exit codes.
// Each subcommand lives in its own cmd/<name>_cmd.cpp and parses its own flags (CLI11).
#pragma once

#include <vector>

namespace agor {

// Exit codes of every subcommand (documented in the README).
enum ExitCode {
  kExitOk = 0,
  kExitFailure = 1,      // the server refused the request, or the daemon failed to start
  kExitUsage = 2,        // bad flags or arguments
  kExitUnreachable = 3,  // no daemon at --url
  kExitInterrupted = 130,
};

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand's name
};

int RunServe(int argc, char** argv);
int RunBoard(int argc, char** argv);
int RunSession(int argc, char** argv);
int RunRepo(int argc, char** argv);
int RunWatch(int argc, char** argv);
int RunPrompt(int argc, char** argv);

const std::vector<Command>& AllCommands();
// Dispatches `agor <command> ...`; prints usage for unknown commands (exit 2).
int RunMain(int argc, char** argv);

}  // namespace agor
