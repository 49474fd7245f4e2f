// agor_bench: one load generator for agor and the Feathers peer (see docs/benchmarks.md).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "bench/machine.h"
#include "bench/options.h"
#include "bench/peer_install.h"
#include "bench/report.h"
#include "bench/scenarios.h"

#ifndef AGOR_BENCH_SOURCE_DIR
#define AGOR_BENCH_SOURCE_DIR "."
#endif

namespace agor::bench {
namespace {

// The most connections any selected scenario holds at once in one process.
int PeakConnections(const BenchOptions& o) {
  int peak = o.boards * o.board_clients + o.concurrency + o.rest_connections;
  peak = std::max(peak, o.presence_boards * o.presence_clients);
  for (int c : o.fanout_clients) peak = std::max(peak, c + o.concurrency);
  for (int c : o.idle_steps) peak = std::max(peak, c);
  // crowd: each generator process holds at most its share
  peak = std::max(peak, std::min(o.crowd_clients, o.crowd_per_generator));
  return std::max(peak, o.connect_total);
}

// The servers to measure; the peer installed first when it is one of them.
bool ChooseServers(const BenchOptions& o, std::vector<ServerKind>* servers) {
  if (o.only != "peer") servers->push_back(ServerKind::kAgor);
  if (o.only == "agor") return true;
  Status s = PreparePeer(o.peer_source, o.peer_cache);
  if (!s.ok()) {
    fprintf(stderr, "agor_bench: cannot install the peer: %s\n", s.message().c_str());
    return false;
  }
  servers->push_back(ServerKind::kPeer);
  return true;
}

Json Meta(const BenchOptions& o) {
  Json meta = DescribeMachine(AGOR_BENCH_SOURCE_DIR);
  meta["agor_binary"] = o.agor_binary;
  meta["smoke"] = o.smoke;
  meta["scenarios"] = o.scenarios;
  return meta;
}

bool WriteJson(const std::string& path, const Json& json) {
  std::ofstream out(path);
  out << json.dump(2) << "\n";
  return static_cast<bool>(out);
}

int Run(const BenchOptions& o) {
  if (access(o.agor_binary.c_str(), X_OK) != 0 && o.only != "peer") {
    fprintf(stderr, "agor_bench: no agor binary at %s (--agor)\n", o.agor_binary.c_str());
    return 2;
  }
  std::string warnings = PrepareLimits(PeakConnections(o));
  if (!warnings.empty()) fprintf(stderr, "agor_bench: warning: %s", warnings.c_str());
  Cluster cluster;  // started by the first scenario that runs on --nodes
  BenchContext ctx{o, ServerPaths{o.agor_binary, o.peer_cache}, {}, nullptr, &cluster};
  if (!ChooseServers(o, &ctx.servers)) return 1;
  Json meta = Meta(o);
  Report report;
  ctx.report = &report;
  if (o.nodes > 0)
    report.set_nodes_label("agor " + std::to_string(o.nodes) + (o.nodes == 1 ? " node" : " nodes"));
  for (const std::string& name : o.scenarios) RunScenario(name, ctx);
  printf("agor_bench %s, %s, %lld cores, %s\n", meta["date"].get<std::string>().c_str(),
         meta["cpu_model"].get<std::string>().c_str(), meta["nproc"].get<long long>(),
         meta["commit"].get<std::string>().c_str());
  report.PrintTable(stdout);
  if (!o.json_path.empty() && !WriteJson(o.json_path, report.ToJson(meta))) {
    fprintf(stderr, "agor_bench: cannot write %s\n", o.json_path.c_str());
    return 1;
  }
  return report.ok() ? 0 : 1;
}

}  // namespace
}  // namespace agor::bench

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  agor::bench::BenchOptions options;
  int code = agor::bench::ParseOptions(argc, argv, &options);
  if (code >= 0) return code;
  return agor::bench::Run(options);
}
