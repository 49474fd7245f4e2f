// agor serve: runs the daemon until SIGINT/SIGTERM, one per SQLite database: it holds an
// exclusive lock on `<db>.lock` (base/lock_file.h) from before the store opens until it exits,
// and writes "pid P port N" into it once the port is bound, so a second daemon on the same
// database refuses to start with one line naming the first. Nodes on a PostgreSQL store
// (--store) share it by design and take no lock; their own files go to --data-dir.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/lock_file.h"
#include "base/log.h"
#include "cmd/command.h"
#include "cmd/resource_cli.h"
#include "server/node.h"
#include "server/wire/redis_url.h"

namespace agor {
namespace {

std::string DefaultDataDir() {
  const char* home = getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.agor";
}

std::string DefaultDbPath() {
  return DefaultDataDir() + "/agor.db";
}

struct ServeFlags {
  int port = 3030;
  std::string host = "127.0.0.1";
  std::string db = DefaultDbPath();
  std::string log_level = "info";
  size_t max_body = 1024 * 1024;
  std::string channels = "boards";
  std::vector<std::string> cors_origins = {"http://localhost:5173"};
  std::vector<std::string> allowed_hosts;
  size_t max_connections = 0;
  int64_t retention_count = 100000;
  int64_t retention_age_s = 7 * 86400;
  size_t max_send_queue = 8 * 1024 * 1024;
  size_t max_sessions = 20000;
  size_t max_subscriptions = 10000;
  int64_t ping_interval_ms = 25000;
  int64_t ping_timeout_ms = 20000;
  int stop_grace_ms = 3000;
  std::string agent_workdir;
  int64_t header_timeout_ms = 10000;
  int64_t body_timeout_ms = 10000;
  std::string token_ttl = "24h";
  int presence_grace_ms = 5000;
  int presence_typing_ms = 5000;
  int presence_idle_ms = 60000;
  int presence_heartbeat_ms = 2000;
  std::string broker;
  std::string store;     // postgresql://... ("" = the SQLite file of --db)
  std::string data_dir;  // the node's local files ("" = --db's folder, or ~/.agor)
  int64_t node_lease_ms = 30000;
};

// The URL without its password, for the log and the terminal.
std::string Redacted(const std::string& url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

// "3600" or "3600s", "30m", "24h", "7d" -> seconds, between 1 s and 365 days; false otherwise.
bool ParseTokenTtl(const std::string& text, int64_t* seconds) {
  if (text.empty() || text.size() > 12) return false;
  size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0) return false;
  std::string unit = digits == std::string::npos ? "s" : text.substr(digits);
  int64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
  if (scale == 0) return false;
  int64_t value = std::stoll(text.substr(0, digits));  // at most 12 digits: no overflow
  if (value < 1 || value > 365 * 86400 / scale) return false;
  *seconds = value * scale;
  return true;
}

const char* const kExamples = R"(examples:
  agor serve                                    # 127.0.0.1:3030, ~/.agor/agor.db
  agor serve --port 0 --db /tmp/agor.db --log-level debug
  agor serve --host 0.0.0.0 --cors-origin https://agor.example.com
  agor serve --store postgresql://agor@db:5432/agor --broker redis://cache:6379  # one of N nodes)";

void AddFlags(CLI::App& app, ServeFlags* f) {
  // --help shows each flag's default (the value it holds before parsing).
  app.option_defaults()->always_capture_default();
  app.add_option("--port", f->port, "port to listen on (0 picks a free one)")
      ->envname("AGOR_PORT")
      ->check(CLI::Range(0, 65535));
  app.add_option("--host", f->host, "address to bind (loopback by default)")->envname("AGOR_HOST");
  app.add_option(
         "--db", f->db,
         "SQLite database file (its folder is created); <db>.lock keeps a second daemon off it")
      ->envname("AGOR_DB");
  CLI::Option* store =
      app.add_option("--store", f->store,
                     "postgresql://USER[:PASSWORD]@HOST[:PORT]/DB: the store and event log on "
                     "PostgreSQL, shared by every node started on it (instead of --db)")
          ->envname("AGOR_STORE")
          ->check(CLI::Validator(
              [](std::string& text) {
                return IsPostgresUrl(text) ? std::string()
                                           : "a postgresql:// URL (a SQLite file is --db)";
              },
              "URL"));
  app.get_option("--db")->excludes(store);
  app.add_option("--data-dir", f->data_dir,
                 "folder of the node's own files (admin-credentials, the agents' default "
                 "working directory)")
      ->default_str("--db's folder, or ~/.agor with --store")
      ->envname("AGOR_DATA_DIR");
  app.add_option("--log-level", f->log_level,
                 "debug (adds a line per request and call), info, warn or error")
      ->envname("AGOR_LOG_LEVEL")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--max-body", f->max_body, "largest accepted request body in bytes")
      ->check(CLI::Range(size_t{1024}, size_t{64} << 20));
  app.add_option("--channels", f->channels,
                 "boards (each board's events to its subscribers) or "
                 "everybody (every event to every connection)")
      ->check(CLI::IsMember({"boards", "everybody"}));
  app.add_option("--cors-origin", f->cors_origins,
                 "browser origin allowed to connect (repeatable; the daemon's own origins "
                 "always are)");
  app.add_option("--allowed-host", f->allowed_hosts,
                 "Host name accepted besides localhost, 127.0.0.1 and [::1] when bound to "
                 "loopback (repeatable)");
  app.add_option("--max-connections", f->max_connections,
                 "connections open at once; more are refused with 503")
      ->default_str("file limit - 64")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24));
  app.add_option("--event-retention-count", f->retention_count,
                 "events kept in the log for recovery")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--event-retention-age", f->retention_age_s,
                 "seconds an event is kept for recovery (0: no age limit)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 32));
  app.add_option("--max-send-queue", f->max_send_queue,
                 "bytes queued for one client before it is dropped as too slow")
      ->check(CLI::Range(size_t{4096}, size_t{1} << 32));
  app.add_option("--max-sessions", f->max_sessions,
                 "Engine.IO sessions (polling and WebSocket) open at once; handshakes past it "
                 "get 503")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24));
  app.add_option("--max-subscriptions", f->max_subscriptions,
                 "boards and sessions one Socket.IO client may subscribe to at once")
      ->check(CLI::Range(size_t{1}, size_t{1} << 24));
  app.add_option("--ping-interval", f->ping_interval_ms, "Engine.IO ping interval in ms")
      ->check(CLI::Range(int64_t{100}, int64_t{600000}));
  app.add_option("--ping-timeout", f->ping_timeout_ms, "Engine.IO pong timeout in ms")
      ->check(CLI::Range(int64_t{100}, int64_t{600000}));
  app.add_option("--stop-grace", f->stop_grace_ms,
                 "ms between SIGTERM and SIGKILL when a task is stopped")
      ->check(CLI::Range(0, 600000));
  app.add_option("--agent-workdir", f->agent_workdir,
                 "directory where the agents of sessions without a repo (or whose repo has no "
                 "local_path) run (default: the data folder; the daemon's working directory "
                 "for :memory:)")
      ->envname("AGOR_AGENT_WORKDIR");
  // Hidden: the tests shorten the request deadlines; operators have no reason to.
  app.add_option("--http-header-timeout", f->header_timeout_ms,
                 "ms from a request's first byte to the end of its headers")
      ->check(CLI::Range(int64_t{50}, int64_t{600000}))
      ->group("");
  app.add_option("--http-body-timeout", f->body_timeout_ms,
                 "ms a request body may take beyond its size at 16 KiB/s")
      ->check(CLI::Range(int64_t{50}, int64_t{600000}))
      ->group("");
  app.add_option("--token-ttl", f->token_ttl,
                 "lifetime of the access tokens logins issue: seconds, or 30m, 24h, 7d")
      ->envname("AGOR_TOKEN_TTL")
      ->check(CLI::Validator(
          [](std::string& text) {
            int64_t seconds = 0;
            return ParseTokenTtl(text, &seconds) ? std::string()
                                                 : "a duration from 1s to 365d (3600, 30m, 24h)";
          },
          "DURATION"));
  app.add_option("--presence-grace-ms", f->presence_grace_ms,
                 "ms a closed connection's presence waits for its client to recover it")
      ->check(CLI::Range(10, 600000));
  app.add_option("--presence-typing-ms", f->presence_typing_ms,
                 "ms after which a presence's typing_session_id clears by itself")
      ->check(CLI::Range(10, 600000));
  app.add_option("--presence-idle-ms", f->presence_idle_ms,
                 "ms without activity after which a presence is marked idle")
      ->check(CLI::Range(10, 86400000));
  app.add_option("--presence-heartbeat-ms", f->presence_heartbeat_ms,
                 "with --broker: ms between a node's presence beats to the others; a node "
                 "unheard for 3 beats (dead) has its presence entries removed")
      ->check(CLI::Range(50, 60000));
  app.add_option("--broker", f->broker,
                 "redis://HOST[:PORT][/DB]: carry events between nodes through Redis pub/sub "
                 "(default: in process, one node)")
      ->envname("AGOR_BROKER")
      ->check(CLI::Validator(
          [](std::string& text) {
            RedisUrl url;
            Status s = ParseRedisUrl(text, &url);
            return s.ok() ? std::string() : s.message();
          },
          "URL"));
  app.add_option("--node-lease-ms", f->node_lease_ms,
                 "with --store: ms after a node's last heartbeat (sent every third of it) at "
                 "which another node marks its running tasks stopped")
      ->check(CLI::Range(int64_t{300}, int64_t{3600000}));
  app.footer(kExamples);
}

NodeOptions ToOptions(const ServeFlags& f) {
  NodeOptions o;
  o.web.host = f.host;
  o.web.port = f.port;
  o.web.max_body_bytes = f.max_body;
  o.web.header_timeout_ms = f.header_timeout_ms;
  o.web.body_timeout_ms = f.body_timeout_ms;
  o.store.path = f.store.empty() ? f.db : f.store;
  o.data_dir = f.data_dir;
  if (!f.store.empty() && o.data_dir.empty()) o.data_dir = DefaultDataDir();
  o.channels = f.channels == "everybody" ? ChannelMode::kEverybody : ChannelMode::kBoards;
  o.cors_origins = f.cors_origins;
  o.allowed_hosts = f.allowed_hosts;
  o.web.max_connections = f.max_connections;
  o.retention.count = f.retention_count;
  o.retention.age_ms = f.retention_age_s * 1000;
  o.engine.max_queue_bytes = f.max_send_queue;
  o.engine.max_sessions = f.max_sessions;
  o.socketio.max_subscriptions = f.max_subscriptions;
  o.engine.ping_interval_ms = f.ping_interval_ms;
  o.engine.ping_timeout_ms = f.ping_timeout_ms;
  o.stop_grace_ms = f.stop_grace_ms;
  o.agent_workdir = f.agent_workdir;
  ParseTokenTtl(f.token_ttl, &o.token_ttl_s);  // checked by the flag's validator
  o.presence.grace_ms = f.presence_grace_ms;
  o.presence.typing_ms = f.presence_typing_ms;
  o.presence.idle_ms = f.presence_idle_ms;
  o.presence.heartbeat_ms = f.presence_heartbeat_ms;
  o.broker_url = f.broker;
  o.lease_ms = f.node_lease_ms;
  return o;
}

// "pid 123, port 3030" from a lock file's "pid 123 port 3030" (read as it is being
// written, perhaps: whatever is missing is said so).
std::string DescribeHolder(const std::string& text) {
  long pid = 0, port = 0;
  int got = sscanf(text.c_str(), "pid %ld port %ld", &pid, &port);
  if (got < 1 || pid <= 0) return "pid unknown";
  if (got < 2 || port <= 0) return "pid " + std::to_string(pid) + ", port not bound yet";
  return "pid " + std::to_string(pid) + ", port " + std::to_string(port);
}

std::string HolderText(int port) {
  std::string text = "pid " + std::to_string(getpid());
  if (port > 0) text += " port " + std::to_string(port);
  return text + "\n";
}

// One daemon per database: takes <db>.lock (its folder created first, as the store would)
// before the store opens. Conflict names the daemon that holds it.
Status LockDatabase(const std::string& db, std::unique_ptr<LockFile>* lock) {
  if (db == ":memory:") return Status::OK();  // nobody else can open it
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(db, ec);
  if (ec) path = db;
  std::filesystem::create_directories(path.parent_path(), ec);  // else open says why
  // Symlinks resolved: two spellings of one database must meet at one lock.
  std::filesystem::path real = std::filesystem::weakly_canonical(path, ec);
  if (!ec) path = real;
  std::string holder;
  Status s = LockFile::Acquire(path.string() + ".lock", lock, &holder);
  if (s.code() == Code::kConflict) {
    return Status::Conflict("database " + path.string() + " is in use by agor serve (" +
                            DescribeHolder(holder) + ")");
  }
  return s.ok() ? (*lock)->Write(HolderText(0)) : s;
}

Status MakeDataDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::BadRequest("cannot create the data folder " + dir + ": " + ec.message());
  return Status::OK();
}

}  // namespace

int RunServe(int argc, char** argv) {
  CLI::App app{"agor serve: REST and Socket.IO on one port, SQLite or PostgreSQL store",
               "agor serve"};
  ServeFlags flags;
  AddFlags(app, &flags);
  if (int code = ParseCommandLine(app, argc, argv, "agor serve"); code >= 0) return code;
  signal(SIGPIPE, SIG_IGN);  // a closed agent pipe or socket is an error code, not a death
  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(flags.log_level, &level);
  SetLogLevel(level);

  // PostgreSQL nodes share their store by design: the one-daemon lock guards a SQLite file.
  std::unique_ptr<LockFile> lock;  // held until the process ends
  NodeOptions options = ToOptions(flags);
  Status s = flags.store.empty() ? LockDatabase(flags.db, &lock) : Status::OK();
  if (s.ok() && !options.data_dir.empty()) s = MakeDataDir(options.data_dir);
  Node node;
  if (s.ok()) s = node.Start(options);
  if (s.ok() && lock) s = lock->Write(HolderText(node.port()));
  if (!s.ok()) {
    fprintf(stderr, "agor: %s\n", s.message().c_str());
    return kExitFailure;
  }
  std::string store = flags.store.empty() ? "db " + flags.db : "store " + Redacted(flags.store);
  printf("agor listening on %s (%s)\n", node.url().c_str(), store.c_str());
  fflush(stdout);
  node.Run();
  return kExitOk;
}

}  // namespace agor
