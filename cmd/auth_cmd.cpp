// `agor login`, `agor logout`, `agor whoami`: the CLI's side of the Feathers authentication
// service (POST/DELETE /authentication).
//
// - login [--email E] [--password-stdin]: asks on a terminal (email when missing, the password
//   without echo: cmd/password_input.h); without a terminal --password-stdin is required
//   (usage error, exit 2). POST /authentication {strategy: "local"} and saves the accessToken
//   with its URL and email to ~/.agor/cli-token (0600, cmd/credentials.h). Prints
//   "logged in as <email> (<role>) at <url>", or the user record as a JSON line when piped /
//   --json. Bad credentials are exit 1 "invalid login for <email> at <url>": the request was
//   refused, there is nothing to log in with first (4 is for commands that need a login).
// - logout: DELETE /authentication with the saved token (revoking it), then removes the file;
//   a token the daemon no longer accepts is removed all the same. Without a saved login it says
//   so and succeeds.
// - whoami: the user behind the token the commands would send: POST /authentication with
//   {strategy: "jwt", accessToken} for a JWT, {strategy: "api-key", api_key} for a key (both
//   answer the user). Prints "<email> (<role>) at <url>, token from <source>" or the user JSON.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "base/json.h"
#include "cmd/client/rest_client.h"
#include "cmd/command.h"
#include "cmd/credentials.h"
#include "cmd/error_text.h"
#include "cmd/output.h"
#include "cmd/password_input.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

struct AuthFlags {
  std::string url;
  std::string token;
  std::string email;
  bool password_stdin = false;
  bool json = false;
};

void AddCommon(CLI::App* app, AuthFlags* f) {
  app->add_option(
      "--url", f->url,
      "daemon URL (default $AGOR_URL, else " + std::string(kDefaultUrl) + "; http only)");
  app->add_flag("--json", f->json, "a JSON line even on a terminal");
}

// "logged in as a@b (admin) at URL" on a terminal, the user record as JSON otherwise.
void PrintUser(const AuthFlags& f, const Json& user, const std::string& line) {
  OutputStyle style = DetectStyle(f.json);
  if (style.json) return PrintRecord(style, user);
  WriteStdout(TerminalSafe(line) + "\n");
}

std::string Who(const Json& user) {
  return StringField(user, "email") + " (" + StringField(user, "role") + ")";
}

Status AskCredentials(AuthFlags& f, std::string* password) {
  if (!f.password_stdin && !isatty(0)) {
    return Status::BadRequest("no terminal to ask the password on: use --password-stdin");
  }
  if (f.email.empty() && f.password_stdin) {
    return Status::BadRequest("--email is needed with --password-stdin");
  }
  Status status = f.email.empty() ? AskLine("email: ", &f.email) : Status::OK();
  if (status.ok()) status = ReadPassword(f.password_stdin, "password: ", false, password);
  return status;
}

int Login(AuthFlags& f, const BaseUrl& base) {
  std::string password;
  Status status = AskCredentials(f, &password);
  if (!status.ok()) return ReportUsage(status.message(), "agor login");
  Json body = {{"strategy", "local"}, {"email", f.email}, {"password", password}};
  ClearSecret(&password);
  Json answer;
  status = RestClient(base).Post("/authentication", body, &answer);
  body["password"] = "";
  if (IsNotAuthenticated(status)) {
    return ReportFailure(Status::GeneralError(LowerFirst(NotAuthenticatedReason(status)) + " for " +
                                              f.email + " at " + base.text));
  }
  if (!status.ok()) return ReportFailure(status);
  std::string token = StringField(answer, "accessToken");
  if (CheckTokenShape(token).ok() == false) {
    return ReportFailure(Status::GeneralError("the server answered no access token"));
  }
  const Json& user = answer.contains("user") ? answer["user"] : Json::object();
  std::string email = StringField(user, "email").empty() ? f.email : StringField(user, "email");
  status = SaveToken(AgorFolder(getenv("HOME")), base.text, email, token);
  if (!status.ok()) return ReportFailure(status);
  PrintUser(f, user, "logged in as " + Who(user) + " at " + base.text);
  return kExitOk;
}

// The saved login (its own URL: the daemon that issued the token is the one to revoke it).
int Logout(const AuthFlags& f) {
  std::string folder = AgorFolder(getenv("HOME"));
  Json saved;
  Status status = ReadJsonFile(TokenFilePath(folder), &saved);
  if (status.code() == Code::kNotFound) {
    if (!DetectStyle(f.json).json) WriteStdout("not logged in (no saved token)\n");
    return kExitOk;
  }
  if (!status.ok()) return ReportFailure(status);
  BaseUrl base;
  status = ParseBaseUrl(StringField(saved, "url"), &base);
  base.token = StringField(saved, "accessToken");
  Json answer;
  if (status.ok() && !base.token.empty()) {
    status = RestClient(base).Delete("/authentication", &answer);
  }
  Status removed = RemoveToken(folder);
  if (!removed.ok()) return ReportFailure(removed);
  if (!status.ok() && !IsNotAuthenticated(status)) return ReportFailure(status);
  Json out = {{"logged_out", true}, {"email", StringField(saved, "email")}, {"url", base.text}};
  PrintUser(f, out, "logged out " + StringField(saved, "email") + " from " + base.text);
  return kExitOk;
}

int Whoami(const AuthFlags& f, const BaseUrl& base, const Credential& used) {
  if (base.token.empty()) return ReportFailure(NotLoggedIn(base, "no token"));
  bool key = base.token.rfind("agor_sk_", 0) == 0;
  Json body = key ? Json{{"strategy", "api-key"}, {"api_key", base.token}}
                  : Json{{"strategy", "jwt"}, {"accessToken", base.token}};
  Json answer;
  Status status = RestClient(base).Post("/authentication", body, &answer);
  if (!status.ok()) return ReportFailure(status);
  const Json& user = answer.contains("user") ? answer["user"] : Json::object();
  PrintUser(f, user, Who(user) + " at " + base.text + ", token from " + SourceName(used.source));
  return kExitOk;
}

}  // namespace

int RunLogin(int argc, char** argv) {
  CLI::App app{"log in with email and password; saves the token in ~/.agor/cli-token",
               "agor login"};
  AuthFlags f;
  AddCommon(&app, &f);
  app.add_option("--email", f.email, "the account's email (asked on a terminal when missing)");
  app.add_flag("--password-stdin", f.password_stdin,
               "read the password from stdin (needed without a terminal)");
  app.footer(
      "exit codes: 0 logged in, 1 refused (invalid login, too many attempts), 2 usage, "
      "3 unreachable\n"
      "examples:\n"
      "  agor login --email ada@example.com\n"
      "  printf '%s\\n' \"$PASSWORD\" | agor login --email ada@example.com --password-stdin");
  if (int code = ParseCommandLine(app, argc, argv, "agor login"); code >= 0) return code;
  BaseUrl base;
  Status status = ParseBaseUrl(ChooseUrl(f.url), &base);
  if (!status.ok()) return ReportUsage(status.message(), "agor login");
  return Login(f, base);
}

int RunLogout(int argc, char** argv) {
  CLI::App app{"log out: revoke the saved token and remove ~/.agor/cli-token", "agor logout"};
  AuthFlags f;
  app.add_flag("--json", f.json, "a JSON line even on a terminal");
  app.footer("examples:\n  agor logout");
  if (int code = ParseCommandLine(app, argc, argv, "agor logout"); code >= 0) return code;
  return Logout(f);
}

int RunWhoami(int argc, char** argv) {
  CLI::App app{"show the user behind the token agor's commands send", "agor whoami"};
  AuthFlags f;
  AddCommon(&app, &f);
  AddTokenFlag(&app, &f.token);
  app.footer("examples:\n  agor whoami\n  AGOR_TOKEN=agor_sk_... agor whoami --json");
  if (int code = ParseCommandLine(app, argc, argv, "agor whoami"); code >= 0) return code;
  BaseUrl base;
  if (int code = ChooseDaemon(f.url, f.token, "agor whoami", &base); code >= 0) return code;
  Credential used;
  AttachCredential(f.token, &base, &used);
  return Whoami(f, base, used);
}

}  // namespace agor
