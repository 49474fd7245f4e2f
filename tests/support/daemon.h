// Daemon: starts the real `agor serve` binary on an ephemeral port with a temporary database,
// for end-to-end tests. Waits for the daemon's "listening on <url>" line (an event, not a
// sleep) and kills the process on destruction.
//
// Authentication: on first start the daemon writes `admin-credentials` (JSON {email, password,
// api_key, url}, mode 0600) beside its database before it accepts connections; Daemon reads it
// once listening and hands the admin's API key (token()) to the clients of tests/support
// (RestApi, EventStream, Cli) so every test presents credentials like a real client does.
// Not thread-safe: one test thread owns a Daemon.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace agor::test {

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Result of running a program to completion.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The admin's credentials a daemon wrote beside its database ({} when there is no such file,
// e.g. a ":memory:" database).
struct AdminCredentials {
  std::string email;
  std::string password;
  std::string api_key;
};
AdminCredentials AdminCredentialsOf(const std::string& db_path);

// Runs `argv` (argv[0] is a path) with extra environment entries ("K=V") and `input` on stdin.
RunResult RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                     const std::string& input = "");

class Daemon {
 public:
  // Starts `agor serve --port 0 --db <dir>/agor.db <extra_args...>` with extra environment
  // entries ("AGOR_CLAUDE_BIN=...") added to the test's own. With `--store` among the args (a
  // node on a shared PostgreSQL store) `--data-dir <dir>` replaces `--db`: token() is then the
  // admin's only on the node that created the admin (the first on an empty store).
  explicit Daemon(std::vector<std::string> extra_args = {}, const std::string& db_path = "",
                  std::vector<std::string> env = {});
  ~Daemon();

  const std::string& url() const { return url_; }  // "http://127.0.0.1:PORT"
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& db_path() const { return db_path_; }
  // The admin's API key (`agor_sk_...`): what clients present as `Authorization: Bearer`.
  const std::string& token() const { return admin_.api_key; }
  const std::string& admin_email() const { return admin_.email; }
  const std::string& admin_password() const { return admin_.password; }
  // "Authorization: Bearer <token>" as one header line without CRLF, for raw requests.
  std::string AuthHeader() const { return "Authorization: Bearer " + token(); }
  // The environment of a CLI run against this daemon as its admin: AGOR_URL, AGOR_TOKEN, then
  // `extra` ("K=V"); an AGOR_TOKEN in `extra` replaces the admin's.
  std::vector<std::string> ClientEnv(const std::vector<std::string>& extra = {}) const;

  // Sends `sig` and waits for the exit; returns the exit status (or 128+signal).
  int Stop(int sig);
  // Runs `agor <args...>` against this daemon as its admin (ClientEnv(env), NO_COLOR=1 unless
  // `env` sets it), stdout piped.
  RunResult Cli(const std::vector<std::string>& args, const std::string& input = "",
                const std::vector<std::string>& env = {}) const;

 private:
  TempDir dir_;
  std::string db_path_;
  std::string url_;
  int port_ = 0;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  AdminCredentials admin_;
};

}  // namespace agor::test
