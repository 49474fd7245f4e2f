// `agor board activity BOARD [--follow] [--limit N]`: a board's activity feed, newest last
// (cmd/activity_feed.h): the newest N entries (default: the server's page), and with --follow
// the entries as they start and grow until Ctrl-C or until stdout's reader goes away. Piped,
// each entry is a JSON line as the server sends it (a grown entry prints again with its new
// count); on a terminal, `HH:MM:SS  <summary>`, a grown one followed by `(updated, count N)`.
//
// BOARD is an id, 8+ hex prefix or slug (cmd/id_resolver.h); a board the caller may not see
// answers `agor: no record found...` like a missing one. --limit takes 1 to
// kMaxActivityLimit; anything else is a usage error (exit 2) before any request.
// Exit codes (cmd/command.h): 0 done (or stdout closed), 1 refused or the followed board was
// removed, 2 usage, 3 unreachable, 4 not authenticated, 130 Ctrl-C while following.
#include <signal.h>

#include <CLI/CLI.hpp>

#include "base/utf8.h"
#include "cmd/activity_feed.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/id_resolver.h"
#include "cmd/interrupt.h"
#include "cmd/output.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr const char* kActivityProgram = "agor board activity";

struct ActivityFlags {
  ClientFlags client;
  std::string board;
  bool follow = false;
  std::int64_t limit = 0;  // 0: the server's default page
};

const CLI::Validator kActivityText(
    [](std::string& text) {
      if (text.empty()) return std::string("must not be empty");
      return IsValidUtf8(text) ? std::string() : std::string("not valid UTF-8");
    },
    "", "Text");

const CLI::Validator kLimit(
    [](std::string& text) {
      bool digits = !text.empty() && text.size() <= 4 &&
                    text.find_first_not_of("0123456789") == std::string::npos;
      std::int64_t n = digits ? std::stoll(text) : 0;
      if (n >= 1 && n <= kMaxActivityLimit) return std::string();
      return "must be a number from 1 to " + std::to_string(kMaxActivityLimit) + ", not '" + text +
             "'";
    },
    "N", "Limit");

void AddFlags(CLI::App* app, ActivityFlags* f) {
  AddClientFlags(app, &f->client);
  app->add_option("board", f->board, "the board's id, 8+ hex prefix or slug")
      ->required()
      ->check(kActivityText);
  app->add_flag("-f,--follow", f->follow,
                "keep printing entries as they start and grow, until Ctrl-C (exit 130) or "
                "stdout closes");
  app->add_option("--limit", f->limit,
                  "the N newest entries (1 to " + std::to_string(kMaxActivityLimit) +
                      "; default: the server's page)")
      ->check(kLimit);
  app->footer(
      "lines (piped): {activity_id, board_id, session_id, task_id, actor: {user_id, name}, "
      "verb, summary, count, first_seq, last_seq, ts}\n"
      "examples:\n  agor board activity sprint-12\n"
      "  agor board activity sprint-12 --limit 50 --follow\n"
      "  agor board activity 3f2a9c1e --follow | jq -r .summary");
}

int PrintPage(RestClient& client, const ActivityFlags& f, const std::string& board_id) {
  Json entries;
  Status status = ReadActivity(client, board_id, f.limit, &entries);
  if (!status.ok()) return ReportFailure(status);
  OutputStyle style = DetectStyle(f.client.json);
  if (entries.empty() && !style.json) {
    WriteStdout("no activity on board " + TerminalSafe(f.board) + " yet\n");
  }
  ActivityPrinter printer(style);
  for (const Json& entry : entries) {
    if (!printer.Print(entry)) break;  // stdout's reader is gone
  }
  return kExitOk;
}

}  // namespace

int RunBoardActivity(int argc, char** argv) {
  CLI::App app{"print a board's activity feed, newest last; --follow for what comes",
               kActivityProgram};
  ActivityFlags f;
  AddFlags(&app, &f);
  if (int code = ParseCommandLine(app, argc, argv, kActivityProgram); code >= 0) return code;
  BaseUrl base;
  if (int code = ChooseDaemon(f.client.url, f.client.token, kActivityProgram, &base); code >= 0) {
    return code;
  }
  signal(SIGPIPE, SIG_IGN);
  RestClient client(base);
  std::string board_id;
  Status status = ResolveId(client, "boards", f.board, "", &board_id);
  if (!status.ok()) return ReportFailure(status);
  if (!f.follow) return PrintPage(client, f, board_id);
  OutputStyle style = DetectStyle(f.client.json);
  return ActivityFollower(base, board_id, f.limit, style, InstallFollowInterrupt()).Run();
}

}  // namespace agor
