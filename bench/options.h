// BenchOptions: what agor_bench runs, from its command line. `--smoke` shrinks every size so the
// whole suite runs against agor alone in a few seconds (the ctest).
#pragma once

#include <string>
#include <vector>

namespace agor::bench {

struct BenchOptions {
  std::string agor_binary;
  std::string peer_source;  // read-only peer sources (../shared/peers/feathers)
  std::string peer_cache;   // where the peer is copied and installed
  std::string only;         // "", "agor", "peer" or "both"
  std::vector<std::string> scenarios = {"fanout",  "rest",        "boards",  "idle",
                                        "connect", "login-storm", "presence"};
  std::string json_path;
  bool smoke = false;

  // fanout
  std::vector<int> fanout_clients = {200, 1000};
  int fanout_messages = 0;  // 0: 2000 up to 1000 clients, 2000000 / clients beyond
  int concurrency = 16;
  double paced_rate = 100;
  // idle
  std::vector<int> idle_steps = {1000, 10000};
  int idle_settle_ms = 3000;
  // rest
  int rest_connections = 50;
  double rest_seconds = 10;
  // boards
  int boards = 100;
  int board_clients = 10;
  int board_events = 1000;
  // connect
  int connect_total = 10000;
  // login-storm (agor only): clients logging in at once during the paced fan-out
  int storm_logins = 100;
  // presence: boards x clients per board, each sending cursor moves at rate/s for seconds
  int presence_boards = 50;
  int presence_clients = 20;
  double presence_rate = 30;
  double presence_seconds = 10;
  // handshakes in flight while opening clients (all scenarios; per generator process in crowd)
  int handshakes_in_flight = 100;
  // --nodes N: fanout also runs on N agor nodes on a PostgreSQL and a Redis of the benchmark's
  // own (bench/cluster.h), next to the one-node run; crowd runs on them. 0: one node only.
  int nodes = 0;
  // crowd: clients on one board held by generator processes of at most per_generator each,
  // then one broadcast
  int crowd_clients = 10000;
  int crowd_per_generator = 15000;
};

// Parses argv into *options (defaults: AGOR_BENCH_* paths compiled in). Returns -1 to go on, or
// the exit code (0 after --help, 2 for bad usage).
int ParseOptions(int argc, char** argv, BenchOptions* options);

// The messages a fanout run with `clients` receivers creates.
int FanoutMessages(const BenchOptions& options, int clients);

}  // namespace agor::bench
