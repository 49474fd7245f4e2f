// `agor board member list|add|rm BOARD [USER] [--role R]`: the board-members service.
//
//   list BOARD                         GET    /board-members?board_id=<id>  (emails joined in)
//   add BOARD USER [--role R]          POST   /board-members {board_id, user_id, role}
//                                      (role editor unless given: adding is to let them work)
//   rm BOARD USER                      DELETE /board-members/<the membership's id>
//
// BOARD is an id, 8+ hex prefix or slug (cmd/id_resolver.h); USER an email, id or 8+ hex
// prefix. A board the caller may not see answers 404 like a missing one (the server's rule).
// Output, errors and exit codes as every client command (cmd/resource_cli.h, 4 for a 401).
#include <CLI/CLI.hpp>

#include "base/json.h"
#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/id_resolver.h"
#include "cmd/output.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr const char* kMemberProgram = "agor board member";
constexpr const char* kMaxMembers = "1000";

struct MemberFlags {
  ClientFlags client;
  std::string board, user;
  std::string role = "editor";
};

const CLI::Validator kMemberText(
    [](std::string& text) {
      if (text.empty()) return std::string("must not be empty");
      return IsValidUtf8(text) ? std::string() : std::string("not valid UTF-8");
    },
    "", "Text");

const std::vector<Column>& MemberColumns() {
  static const std::vector<Column> columns = {{"ID", "id", Column::kShortId},
                                              {"USER", "user_id", Column::kShortId},
                                              {"EMAIL", "email"},
                                              {"ROLE", "role"},
                                              {"SINCE", "created_at"}};
  return columns;
}

// Adds each row's user email for the table (users the caller may not read stay without).
void JoinEmails(RestClient& client, Json* rows) {
  QueryParams query = {{"$limit", kMaxMembers}};
  for (const Json& row : *rows) query.emplace_back("user_id[$in][]", StringField(row, "user_id"));
  Json users;
  if (rows->empty() || !FindRecords(client, "users", query, &users).ok()) return;
  for (Json& row : *rows) {
    for (const Json& user : users) {
      if (StringField(user, "user_id") == StringField(row, "user_id"))
        row["email"] = StringField(user, "email");
    }
  }
}

int List(RestClient& client, const MemberFlags& f, const std::string& board_id) {
  Json rows;
  Status status = FindRecords(client, "board-members",
                              {{"board_id", board_id}, {"$limit", kMaxMembers}}, &rows);
  if (!status.ok()) return ReportFailure(status);
  OutputStyle style = DetectStyle(f.client.json);
  if (!style.json) JoinEmails(client, &rows);
  PrintRecords(style, MemberColumns(), rows);
  return kExitOk;
}

int Add(RestClient& client, const MemberFlags& f, const std::string& board_id) {
  Json user, member;
  Status status = ResolveUser(client, f.user, "", &user);
  Json body = {{"board_id", board_id}, {"user_id", StringField(user, "user_id")}, {"role", f.role}};
  if (status.ok()) status = client.Post("/board-members", body, &member);
  if (!status.ok()) return ReportFailure(status);
  PrintRecord(DetectStyle(f.client.json), member);
  return kExitOk;
}

int Remove(RestClient& client, const MemberFlags& f, const std::string& board_id) {
  Json user, rows, out;
  Status status = ResolveUser(client, f.user, "", &user);
  QueryParams query = {{"board_id", board_id}, {"user_id", StringField(user, "user_id")}};
  if (status.ok()) status = FindRecords(client, "board-members", query, &rows);
  if (status.ok() && rows.empty()) {
    status = Status::NotFound(f.user + " is not a member of board " + f.board);
  }
  if (status.ok())
    status = client.Delete(PathJoin("board-members", StringField(rows[0], "id")), &out);
  if (!status.ok()) return ReportFailure(status);
  PrintRecord(DetectStyle(f.client.json), out);
  return kExitOk;
}

}  // namespace

int RunBoardMember(int argc, char** argv) {
  CLI::App app{"list, add and remove the members of a board", kMemberProgram};
  app.require_subcommand(1);
  MemberFlags f;
  AddClientFlags(&app, &f.client);
  CLI::App* list = app.add_subcommand("list", "list a board's members")->alias("ls");
  CLI::App* add = app.add_subcommand("add", "add a user to a board");
  CLI::App* rm = app.add_subcommand("rm", "remove a user from a board");
  for (CLI::App* verb : {list, add, rm}) {
    AddClientFlags(verb, &f.client);
    verb->add_option("board", f.board, "the board's id, 8+ hex prefix or slug")
        ->required()
        ->check(kMemberText);
    if (verb == list) continue;
    verb->add_option("user", f.user, "the user's email, id or 8+ hex prefix")
        ->required()
        ->check(kMemberText);
  }
  add->add_option("--role", f.role, "owner, editor (default) or viewer")
      ->check(CLI::IsMember({"owner", "editor", "viewer"}));
  list->footer("example:\n  agor board member list payroll");
  add->footer("example:\n  agor board member add payroll ada@example.com --role viewer");
  rm->footer("example:\n  agor board member rm payroll ada@example.com");
  app.footer(
      "examples:\n  agor board member list payroll\n"
      "  agor board member add payroll ada@example.com --role editor\n"
      "  agor board member rm payroll ada@example.com");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    return ReportUsage(UsageMessage(app, error), ParsedPath(app));
  }
  BaseUrl base;
  int code = ChooseDaemon(f.client.url, f.client.token, ParsedPath(app), &base);
  if (code >= 0) return code;
  RestClient client(base);
  std::string board_id;
  Status status = ResolveId(client, "boards", f.board, "", &board_id);
  if (!status.ok()) return ReportFailure(status);
  if (list->parsed()) return List(client, f, board_id);
  return add->parsed() ? Add(client, f, board_id) : Remove(client, f, board_id);
}

}  // namespace agor
