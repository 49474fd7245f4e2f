// `agor user list|create|update|rm`: the users service (creating, removing and changing roles
// are an admin's; a user may update their own name and emoji).
//
//   list [--role R] [--limit N]                                       GET    /users
//   create --email E [--name N] [--emoji X] [--role R] [--password-stdin]   POST /users
//   update USER [--name N] [--emoji X] [--role R] [--password | --password-stdin]  PATCH
//   rm USER                                                            DELETE /users/:id
//
// USER is an email or an id (or 8+ hex prefix). create asks the password on a terminal (twice,
// no echo) unless --password-stdin; update changes it only when asked to (--password asks on
// the terminal). Passwords go only into the request body: never printed, never in argv.
// Output, errors and exit codes as every client command (cmd/resource_cli.h, 4 for a 401).
#include <CLI/CLI.hpp>

#include "base/utf8.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/id_resolver.h"
#include "cmd/output.h"
#include "cmd/password_input.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr const char* kProgram = "agor user";

struct UserFlags {
  ClientFlags client;
  std::string user;
  std::string email, name, emoji, role;
  bool password = false;
  bool password_stdin = false;
  int64_t limit = -1;
};

const CLI::Validator kUtf8(
    [](std::string& text) { return IsValidUtf8(text) ? std::string() : "not valid UTF-8"; }, "",
    "Utf8");

const std::vector<Column>& UserColumns() {
  static const std::vector<Column> columns = {
      {"ID", "user_id", Column::kShortId},  {"EMAIL", "email"}, {"NAME", "name"},
      {"EMOJI", "emoji", Column::kText, 6}, {"ROLE", "role"},   {"CREATED", "created_at"}};
  return columns;
}

void AddFields(CLI::App* verb, UserFlags* f) {
  verb->add_option("--name", f->name, "display name")->check(kUtf8);
  verb->add_option("--emoji", f->emoji, "an emoji shown next to the name")->check(kUtf8);
  verb->add_option("--role", f->role, "admin, member or viewer (admins only)")
      ->check(CLI::IsMember({"admin", "member", "viewer"}));
  verb->add_flag("--password-stdin", f->password_stdin, "read the password from stdin");
}

// Builds the subcommands; returns them in the order list, create, update, rm.
std::vector<CLI::App*> AddVerbs(CLI::App& app, UserFlags* f) {
  CLI::App* list = app.add_subcommand("list", "list users")->alias("ls");
  list->add_option("--role", f->role, "only this role")
      ->check(CLI::IsMember({"admin", "member", "viewer"}));
  list->add_option("--limit", f->limit, "at most N users")->check(CLI::NonNegativeNumber);
  list->footer("example:\n  agor user list --role admin");
  CLI::App* create = app.add_subcommand("create", "create a user (admins)")->alias("add");
  create->add_option("--email", f->email, "the login email")->required()->check(kUtf8);
  AddFields(create, f);
  create->footer("example:\n  agor user create --email ada@example.com --name Ada --role member");
  CLI::App* update = app.add_subcommand("update", "change a user's fields or password");
  update->add_option("user", f->user, "email, id or 8+ hex prefix")->required()->check(kUtf8);
  AddFields(update, f);
  update->add_flag("--password", f->password, "ask a new password on the terminal");
  update->footer("example:\n  agor user update ada@example.com --role viewer");
  CLI::App* rm = app.add_subcommand("rm", "remove a user (admins)");
  rm->add_option("user", f->user, "email, id or 8+ hex prefix")->required()->check(kUtf8);
  rm->footer("example:\n  agor user rm ada@example.com");
  for (CLI::App* level : {&app, list, create, update, rm}) AddClientFlags(level, &f->client);
  return {list, create, update, rm};
}

// The fields given as flags (and the password, when one is to be set).
Status Body(const UserFlags& f, bool creating, Json* body) {
  *body = Json::object();
  if (creating) (*body)["email"] = f.email;
  if (!f.name.empty()) (*body)["name"] = f.name;
  if (!f.emoji.empty()) (*body)["emoji"] = f.emoji;
  if (!f.role.empty()) (*body)["role"] = f.role;
  if (!creating && !f.password && !f.password_stdin) return Status::OK();
  std::string password;
  Status status = ReadPassword(f.password_stdin, "new password: ", true, &password);
  if (status.ok()) (*body)["password"] = password;
  ClearSecret(&password);
  return status;
}

int List(RestClient& client, const UserFlags& f) {
  QueryParams query;
  if (!f.role.empty()) query.emplace_back("role", f.role);
  if (f.limit >= 0) query.emplace_back("$limit", std::to_string(f.limit));
  Json rows;
  Status status = FindRecords(client, "users", query, &rows);
  if (!status.ok()) return ReportFailure(status);
  PrintRecords(DetectStyle(f.client.json), UserColumns(), rows);
  return kExitOk;
}

int Write(RestClient& client, const UserFlags& f, const std::vector<CLI::App*>& verbs) {
  bool creating = verbs[1]->parsed(), removing = verbs[3]->parsed();
  Json body;
  Status status = removing ? Status::OK() : Body(f, creating, &body);
  if (!status.ok()) return ReportUsage(status.message(), ParsedPath(*verbs[0]->get_parent()));
  if (!creating && !removing && body.empty()) {
    return ReportUsage("nothing to update: give at least one flag", "agor user update");
  }
  Json user, out;
  if (!creating) status = ResolveUser(client, f.user, "", &user);
  std::string path = creating ? "" : PathJoin("users", user.value("user_id", ""));
  if (status.ok() && creating) status = client.Post("/users", body, &out);
  if (status.ok() && removing) status = client.Delete(path, &out);
  if (status.ok() && !creating && !removing) status = client.Patch(path, body, &out);
  if (body.is_object()) body.erase("password");
  if (!status.ok()) return ReportFailure(status);
  PrintRecord(DetectStyle(f.client.json), out);
  return kExitOk;
}

}  // namespace

int RunUser(int argc, char** argv) {
  CLI::App app{"manage the users of a running agor daemon", kProgram};
  app.require_subcommand(1);
  UserFlags f;
  std::vector<CLI::App*> verbs = AddVerbs(app, &f);
  app.footer(
      "examples:\n"
      "  agor user list\n"
      "  agor user create --email ada@example.com --name Ada --role member\n"
      "  printf '%s\\n' \"$PW\" | agor user update ada@example.com --password-stdin\n"
      "  agor user rm ada@example.com\n"
      "users: an email, a full id or a unique prefix of 8+ hex digits");
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
  return verbs[0]->parsed() ? List(client, f) : Write(client, f, verbs);
}

}  // namespace agor
