// End-to-end tests of the CLI's identities (issue 11) against one real `agor serve`: where the
// token comes from (the admin-credentials file, a saved login, AGOR_TOKEN), login / whoami /
// logout, the 401 line and exit 4, users, API keys, private boards and their members. Each CLI
// run gets its own HOME (a temporary folder) so nothing touches the real ~/.agor. stdout is a
// pipe: commands print JSON lines. No sleeps: every step waits on a process's exit.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/json_lines.h"

namespace agor {
namespace {

using test::Daemon;
using test::JsonLines;
using test::RunResult;
using test::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One person at a terminal-less shell: their HOME, and AGOR_TOKEN when they set one.
struct Shell {
  const Daemon& daemon;
  TempDir home;
  std::string token;  // AGOR_TOKEN ("" leaves it empty: unset for agor)

  RunResult Run(const std::vector<std::string>& args, const std::string& input = "") const {
    std::vector<std::string> argv = {AGOR_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::RunProgram(
        argv,
        {"AGOR_URL=" + daemon.url(), "HOME=" + home.path(), "AGOR_TOKEN=" + token, "NO_COLOR=1"},
        input);
  }
  std::string agor_folder() const { return home.path() + "/.agor"; }
};

// The records of a run that must succeed quietly.
std::vector<Json> Ok(const RunResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  return JsonLines(r.out);
}

Json One(const RunResult& r) {
  std::vector<Json> lines = Ok(r);
  REQUIRE(lines.size() == 1);
  return lines[0];
}

// A failure: the exit code, nothing on stdout, one stderr line starting with `prefix`.
void Fails(const RunResult& r, int exit_code, const std::string& prefix) {
  INFO(r.out << r.err);
  CHECK(r.exit_code == exit_code);
  CHECK(r.out.empty());
  CHECK(r.err.rfind(prefix, 0) == 0);
  CHECK(r.err.find('\n') == r.err.size() - 1);
}

bool Lists(const std::vector<Json>& rows, const char* field, const std::string& value) {
  for (const Json& row : rows) {
    if (row.value(field, "") == value) return true;
  }
  return false;
}

// The admin's credentials the daemon wrote beside its database.
Json AdminCredentials(const Daemon& daemon) {
  std::string db = daemon.db_path();
  std::string text = ReadFile(db.substr(0, db.rfind('/')) + "/admin-credentials");
  Json admin = Json::parse(text, nullptr, false);
  REQUIRE(admin.is_object());
  return admin;
}

std::string NotLoggedIn(const Daemon& daemon) {
  return "agor: not logged in to " + daemon.url() + ": run 'agor login' or set AGOR_TOKEN (";
}

}  // namespace

TEST_CASE("the CLI finds its token, logs in and out, and manages users, keys and members",
          "[cli][e2e][auth]") {
  Daemon daemon;
  Json admin_file = AdminCredentials(daemon);
  Shell nobody{daemon, {}, ""};
  Shell admin{daemon, {}, ""};
  Shell ada{daemon, {}, ""};

  // No token anywhere: one line saying how to log in, exit 4.
  Fails(nobody.Run({"board", "list"}), 4, NotLoggedIn(daemon));

  // The admin-credentials file of the default folder is picked up with no extra step.
  mkdir(admin.agor_folder().c_str(), 0700);
  std::ofstream(admin.agor_folder() + "/admin-credentials") << admin_file.dump();
  Ok(admin.Run({"board", "list"}));
  Json me = One(admin.Run({"whoami"}));
  CHECK(me["email"] == admin_file["email"]);
  CHECK(me["role"] == "admin");

  // Users: create (password from stdin, never echoed), list.
  Json created = One(admin.Run({"user", "create", "--email", "ada@example.com", "--name", "Ada",
                                "--role", "member", "--password-stdin"},
                               "ada-password-1\n"));
  CHECK(created["email"] == "ada@example.com");
  CHECK_FALSE(created.contains("password"));
  CHECK(Lists(Ok(admin.Run({"user", "list"})), "email", "ada@example.com"));

  // Login: refused without a terminal unless --password-stdin; a wrong password is exit 1.
  Fails(ada.Run({"login", "--email", "ada@example.com"}), 2, "agor: no terminal");
  Fails(ada.Run({"login", "--email", "ada@example.com", "--password-stdin"}, "wrong-password\n"), 1,
        "agor: invalid login for ada@example.com at " + daemon.url());
  Json login =
      One(ada.Run({"login", "--email", "ada@example.com", "--password-stdin"}, "ada-password-1\n"));
  CHECK(login["email"] == "ada@example.com");
  struct stat token_file;
  REQUIRE(stat((ada.agor_folder() + "/cli-token").c_str(), &token_file) == 0);
  CHECK((token_file.st_mode & 0777) == 0600);
  std::string jwt = Json::parse(ReadFile(ada.agor_folder() + "/cli-token"))["accessToken"];
  CHECK(ReadFile(ada.agor_folder() + "/cli-token").find("ada-password-1") == std::string::npos);
  Json ada_me = One(ada.Run({"whoami"}));
  CHECK(ada_me["email"] == "ada@example.com");
  CHECK(ada_me["role"] == "member");

  // A private board: invisible to a non-member (404 like a missing one), visible to members.
  Json board = One(admin.Run({"board", "create", "Payroll", "--slug", "payroll", "--private"}));
  CHECK(board["visibility"] == "private");
  Fails(ada.Run({"board", "show", "payroll"}), 1, "agor: ");
  CHECK_FALSE(Lists(Ok(ada.Run({"board", "list"})), "slug", "payroll"));
  Json member =
      One(admin.Run({"board", "member", "add", "payroll", "ada@example.com", "--role", "viewer"}));
  CHECK(member["role"] == "viewer");
  CHECK(member["user_id"] == ada_me["user_id"]);
  CHECK(Lists(Ok(admin.Run({"board", "member", "list", "payroll"})), "user_id",
              ada_me["user_id"].get<std::string>()));
  CHECK(One(ada.Run({"board", "show", "payroll"}))["slug"] == "payroll");
  Ok(admin.Run({"board", "member", "rm", "payroll", "ada@example.com"}));
  Fails(ada.Run({"board", "show", "payroll"}), 1, "agor: ");
  Fails(admin.Run({"board", "member", "rm", "payroll", "ada@example.com"}), 1, "agor: ");

  // API keys: shown once, usable as AGOR_TOKEN, listed without the key, revoked by name.
  Json key = One(ada.Run({"apikey", "create", "laptop"}));
  std::string secret = key.value("key", key.value("api_key", ""));
  REQUIRE(secret.rfind("agor_sk_", 0) == 0);
  Shell script{daemon, {}, secret};
  CHECK(One(script.Run({"whoami"}))["email"] == "ada@example.com");
  std::vector<Json> keys = Ok(ada.Run({"apikey", "list"}));
  REQUIRE(Lists(keys, "name", "laptop"));
  CHECK(ada.Run({"apikey", "list"}).out.find(secret) == std::string::npos);
  Ok(ada.Run({"apikey", "rm", "laptop"}));
  Fails(script.Run({"whoami"}), 4, NotLoggedIn(daemon));
  Fails(script.Run({"board", "list", "--token", "bad token"}), 2, "agor: --token: ");

  // Logout revokes the saved token and removes the file: the next call is exit 4.
  Ok(ada.Run({"logout"}));
  CHECK(access((ada.agor_folder() + "/cli-token").c_str(), F_OK) != 0);
  Fails(ada.Run({"board", "list"}), 4, NotLoggedIn(daemon));
  Fails(ada.Run({"board", "list", "--token", jwt}), 4, NotLoggedIn(daemon));

  // Removing the user.
  Ok(admin.Run({"user", "rm", "ada@example.com"}));
  CHECK_FALSE(Lists(Ok(admin.Run({"user", "list"})), "email", "ada@example.com"));
}

}  // namespace agor
