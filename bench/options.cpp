#include "bench/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>

namespace agor::bench {
namespace {

#ifndef AGOR_BENCH_AGOR
#define AGOR_BENCH_AGOR "build/agor"
#endif
#ifndef AGOR_BENCH_PEER_SOURCE
#define AGOR_BENCH_PEER_SOURCE "../shared/peers/feathers"
#endif
#ifndef AGOR_BENCH_PEER_CACHE
#define AGOR_BENCH_PEER_CACHE "build/bench-peer"
#endif

// Smoke sizes for every size flag the command line did not set.
void ApplySmoke(const CLI::App& app, BenchOptions* o) {
  auto unset = [&](const char* flag) { return app.count(flag) == 0; };
  if (unset("--only")) o->only = "agor";
  if (unset("--clients")) o->fanout_clients = {5};
  if (unset("--messages")) o->fanout_messages = 20;
  if (unset("--rate")) o->paced_rate = 200;
  if (unset("--idle-steps")) o->idle_steps = {10, 50};
  if (unset("--idle-settle-ms")) o->idle_settle_ms = 200;
  if (unset("--rest-connections")) o->rest_connections = 4;
  if (unset("--rest-seconds")) o->rest_seconds = 1;
  if (unset("--boards")) o->boards = 5;
  if (unset("--board-clients")) o->board_clients = 2;
  if (unset("--board-events")) o->board_events = 20;
  if (unset("--connect-total")) o->connect_total = 50;
  if (unset("--storm-logins")) o->storm_logins = 5;
  if (unset("--presence-boards")) o->presence_boards = 2;
  if (unset("--presence-clients")) o->presence_clients = 3;
  if (unset("--presence-seconds")) o->presence_seconds = 0.5;
  if (unset("--crowd-clients")) o->crowd_clients = 20;
  if (unset("--crowd-per-generator")) o->crowd_per_generator = 10;
}

void AddSizeFlags(CLI::App& app, BenchOptions* o) {
  app.add_option("--clients", o->fanout_clients, "fanout: receiving clients (default 200,1000)")
      ->delimiter(',')
      ->check(CLI::Range(1, 100000));
  app.add_option(
      "--messages", o->fanout_messages,
      "fanout: messages per run (default 2000 up to 1000 clients, 2000000/clients else)");
  app.add_option("--concurrency", o->concurrency, "producer requests in flight")
      ->check(CLI::Range(1, 1000));
  app.add_option("--rate", o->paced_rate, "fanout: paced creates per second")
      ->check(CLI::Range(1.0, 100000.0));
  app.add_option("--idle-steps", o->idle_steps, "idle: client counts (default 1000,10000)")
      ->delimiter(',')
      ->check(CLI::Range(1, 100000));
  app.add_option("--idle-settle-ms", o->idle_settle_ms, "idle: wait before reading RSS");
  app.add_option("--rest-connections", o->rest_connections)->check(CLI::Range(1, 5000));
  app.add_option("--rest-seconds", o->rest_seconds)->check(CLI::Range(0.1, 600.0));
  app.add_option("--boards", o->boards)->check(CLI::Range(1, 10000));
  app.add_option("--board-clients", o->board_clients)->check(CLI::Range(1, 1000));
  app.add_option("--board-events", o->board_events)->check(CLI::Range(1, 1000000));
  app.add_option("--connect-total", o->connect_total)->check(CLI::Range(1, 100000));
  app.add_option("--storm-logins", o->storm_logins,
                 "login-storm: clients logging in at once during the paced fan-out")
      ->check(CLI::Range(1, 10000));
  app.add_option("--presence-boards", o->presence_boards, "presence: boards (default 50)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--presence-clients", o->presence_clients,
                 "presence: connections per board (default 20)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--presence-rate", o->presence_rate,
                 "presence: cursor moves per second per connection (default 30)")
      ->check(CLI::Range(0.1, 1000.0));
  app.add_option("--presence-seconds", o->presence_seconds,
                 "presence: seconds of cursor moves (default 10)")
      ->check(CLI::Range(0.1, 600.0));
  app.add_option("--handshakes", o->handshakes_in_flight,
                 "Socket.IO handshakes in flight (per generator process in crowd)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--crowd-clients", o->crowd_clients,
                 "crowd: Socket.IO clients on one board, all receiving one broadcast "
                 "(default 10000)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--crowd-per-generator", o->crowd_per_generator,
                 "crowd: clients per generator process, under its open-files limit "
                 "(default 15000)")
      ->check(CLI::Range(1, 100000));
}

}  // namespace

int ParseOptions(int argc, char** argv, BenchOptions* o) {
  CLI::App app{"agor_bench: one load generator for agor and the Feathers peer", "agor_bench"};
  o->agor_binary = AGOR_BENCH_AGOR;
  o->peer_source = AGOR_BENCH_PEER_SOURCE;
  o->peer_cache = AGOR_BENCH_PEER_CACHE;
  app.add_option("--agor", o->agor_binary, "agor binary");
  app.add_option("--peer-source", o->peer_source, "Feathers peer sources (read-only)");
  app.add_option("--peer-cache", o->peer_cache, "where the peer is copied and npm-installed");
  app.add_option("--only", o->only, "agor, peer or both (default both; agor with --smoke)")
      ->check(CLI::IsMember({"agor", "peer", "both"}));
  app.add_option("--scenario", o->scenarios,
                 "fanout, rest, boards, idle, connect, login-storm, presence (default all); "
                 "crowd (agor only, on the --nodes when given)")
      ->check(CLI::IsMember(
          {"fanout", "rest", "boards", "idle", "connect", "login-storm", "presence", "crowd"}))
      ->delimiter(',');
  app.add_option("--nodes", o->nodes,
                 "every scenario also on N agor nodes (their own PostgreSQL and redis-server; "
                 "clients round-robin over the nodes) next to one node; crowd on them")
      ->check(CLI::Range(0, 64));
  app.add_option("--json", o->json_path, "write all results to this file");
  app.add_flag("--smoke", o->smoke,
               "tiny sizes (unless given), agor only (unless --only): seconds");
  AddSizeFlags(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (o->smoke) ApplySmoke(app, o);
  std::sort(o->idle_steps.begin(), o->idle_steps.end());
  return -1;
}

int FanoutMessages(const BenchOptions& o, int clients) {
  if (o.fanout_messages > 0) return o.fanout_messages;
  // 2000 messages (2M events at 1000 clients): at 400 (0.3 s for agor) the figures were mostly
  // the run's warm-up, 1.6 us per event instead of the steady 0.8.
  return clients <= 1000 ? 2000 : std::max(100, 2000000 / clients);
}

}  // namespace agor::bench
