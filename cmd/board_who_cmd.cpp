// `agor board who BOARD`: who is on a board now, from its presence roster
// (`GET /presence?board_id=<id>`, cmd/presence_roster.h): one JSON line per entry when piped
// (the entries as the server sends them), else a table of each connection's user, the session
// they view, the one they type in, idle or active, and when they were last active. Session
// titles come from one `GET /sessions` (the first kMaxTitled ids; the others show their short
// id); a failure there only costs the titles.
//
// BOARD is an id, 8+ hex prefix or slug (cmd/id_resolver.h); a board the caller may not see
// answers `agor: no record found...` like a missing one (the server's rule). Output, errors and
// exit codes as every client command (cmd/resource_cli.h: 1 refused, 2 usage, 3 unreachable,
// 4 not authenticated).
#include <CLI/CLI.hpp>

#include "base/json.h"
#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/id_resolver.h"
#include "cmd/output.h"
#include "cmd/presence_roster.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr const char* kWhoProgram = "agor board who";
constexpr std::size_t kMaxTitled = 100;  // keeps the titles' query well under a request line

struct WhoFlags {
  ClientFlags client;
  std::string board;
};

const CLI::Validator kWhoText(
    [](std::string& text) {
      if (text.empty()) return std::string("must not be empty");
      return IsValidUtf8(text) ? std::string() : std::string("not valid UTF-8");
    },
    "", "Text");

// Session id -> title for the sessions the roster names; empty when they cannot be read.
std::map<std::string, std::string> SessionTitles(RestClient& client, const Json& entries) {
  std::vector<std::string> ids = RosterSessionIds(entries);
  if (ids.size() > kMaxTitled) ids.resize(kMaxTitled);
  QueryParams query = {{"$limit", std::to_string(kMaxTitled)}};
  for (const std::string& id : ids) query.emplace_back("session_id[$in][]", id);
  std::map<std::string, std::string> titles;
  Json page;
  if (ids.empty() || !client.Get("/sessions", query, &page).ok() || !page.is_object())
    return titles;
  const Json& data = page.contains("data") ? page["data"] : Json();
  for (const Json& session : data.is_array() ? data : Json::array()) {
    titles[StringField(session, "session_id")] = StringField(session, "title");
  }
  return titles;
}

int PrintRoster(RestClient& client, const WhoFlags& f, const Json& entries) {
  OutputStyle style = DetectStyle(f.client.json);
  if (style.json) {
    PrintRecords(style, RosterColumns(), entries);
  } else if (entries.empty()) {
    std::string line = "nobody is on board " + TerminalSafe(f.board) + " now\n";
    WriteStdout(line);
  } else {
    PrintRecords(style, RosterColumns(), RosterRows(entries, SessionTitles(client, entries)));
  }
  return kExitOk;
}

}  // namespace

int RunBoardWho(int argc, char** argv) {
  CLI::App app{"show who is on a board now: their session, typing, idle", kWhoProgram};
  WhoFlags f;
  AddClientFlags(&app, &f.client);
  app.add_option("board", f.board, "the board's id, 8+ hex prefix or slug")
      ->required()
      ->check(kWhoText);
  app.footer(
      "lines (piped): {presence_id, user_id, name, emoji, board_id, cursor, "
      "selected_session_id, typing_session_id, idle, last_active}\n"
      "examples:\n  agor board who sprint-12\n  agor board who 3f2a9c1e --json | jq -r .name");
  if (int code = ParseCommandLine(app, argc, argv, kWhoProgram); code >= 0) return code;
  BaseUrl base;
  if (int code = ChooseDaemon(f.client.url, f.client.token, kWhoProgram, &base); code >= 0) {
    return code;
  }
  RestClient client(base);
  std::string board_id;
  Json answer, entries;
  Status status = ResolveId(client, "boards", f.board, "", &board_id);
  if (status.ok()) status = client.Get("/presence", {{"board_id", board_id}}, &answer);
  if (status.ok()) status = RosterEntries(answer, "GET /presence", &entries);
  if (!status.ok()) return ReportFailure(status);
  return PrintRoster(client, f, entries);
}

}  // namespace agor
