// agor serve: runs the daemon until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cmd/command.h"
#include "server/node.h"
#include "store/log.h"

namespace agor {
namespace {

std::string DefaultDbPath() {
  const char* home = getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.agor/agor.db";
}

struct ServeFlags {
  int port = 3030;
  std::string host = "127.0.0.1";
  std::string db = DefaultDbPath();
  std::string log_level = "info";
  size_t max_body = 1024 * 1024;
};

void AddFlags(CLI::App& app, ServeFlags* f) {
  app.add_option("--port", f->port, "port to listen on (0 picks a free one)")
      ->envname("AGOR_PORT")
      ->check(CLI::Range(0, 65535));
  app.add_option("--host", f->host, "address to bind (loopback by default)")->envname("AGOR_HOST");
  app.add_option("--db", f->db, "SQLite database file (its folder is created)")->envname("AGOR_DB");
  app.add_option("--log-level", f->log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.add_option("--max-body", f->max_body, "largest accepted request body in bytes")
      ->check(CLI::Range(size_t{1024}, size_t{64} << 20));
}

}  // namespace

int RunServe(int argc, char** argv) {
  CLI::App app{"agor serve: REST and Socket.IO on one port, SQLite store", "agor serve"};
  ServeFlags flags;
  AddFlags(app, &flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(flags.log_level, &level);
  SetLogLevel(level);

  NodeOptions options;
  options.web.host = flags.host;
  options.web.port = flags.port;
  options.web.max_body_bytes = flags.max_body;
  options.store.path = flags.db;
  Node node;
  Status s = node.Start(options);
  if (!s.ok()) {
    fprintf(stderr, "agor serve: %s\n", s.message().c_str());
    return kExitFailure;
  }
  printf("agor listening on %s (db %s)\n", node.url().c_str(), flags.db.c_str());
  fflush(stdout);
  node.Run();
  return kExitOk;
}

}  // namespace agor
