// The table of subcommands `agor <name> ...` dispatches to, and the CLI's exit codes.
// Each subcommand lives in its own cmd/<name>_cmd.cpp and parses its own flags (CLI11).
//
// RunMain: `agor`, `agor help`, `agor --help` print the usage (commands, --version, the
// environment, the exit codes); `agor help <command>` the command's help; `agor --version`
// the version; an unknown command is one stderr
// line that suggests the closest command ("agor: unknown command 'bord': did you mean
// 'board'? (see 'agor --help')", exit 2). No exception leaves a command: one that escapes is
// reported as one line without library text (exit 1).
#pragma once

#include <string>
#include <vector>

namespace agor {

// Exit codes of every subcommand (documented in the README and in `agor --help`).
enum ExitCode {
  kExitOk = 0,
  kExitFailure = 1,      // the server refused the request, or the daemon failed to start
  kExitUsage = 2,        // bad flags or arguments
  kExitUnreachable = 3,  // no daemon at --url
  // the daemon answered 401: no token, or an expired, revoked or unknown one ('agor login')
  kExitNotAuthenticated = 4,
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
int RunTask(int argc, char** argv);
int RunMessage(int argc, char** argv);
int RunWatch(int argc, char** argv);
int RunPrompt(int argc, char** argv);
int RunLogin(int argc, char** argv);
int RunLogout(int argc, char** argv);
int RunWhoami(int argc, char** argv);
int RunUser(int argc, char** argv);
int RunApiKey(int argc, char** argv);
// `agor board member ...` (cmd/board_member_cmd.cpp); argv[0] is "member".
int RunBoardMember(int argc, char** argv);
// `agor board who BOARD` (cmd/board_who_cmd.cpp); argv[0] is "who".
int RunBoardWho(int argc, char** argv);
// `agor board activity BOARD [--follow] [--limit N]` (cmd/board_activity_cmd.cpp).
int RunBoardActivity(int argc, char** argv);

const std::vector<Command>& AllCommands();
// The top-level usage text `agor --help` prints.
std::string UsageText();
// Dispatches `agor <command> ...`; see above.
int RunMain(int argc, char** argv);

}  // namespace agor
