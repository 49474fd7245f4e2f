// rest: POST /messages at C keep-alive connections for T seconds. See scenarios.h. With --nodes
// also on the nodes: the connections round-robin over them, every create in the one session of
// the one-node run (the store numbers a session's messages safely across nodes), and the count
// read back from the first node (their shared store).
#include <climits>
#include <string>

#include "bench/producer.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

constexpr int64_t kRestDrainTimeoutNs = 30 * kNsPerSec;

// Runs the producer for rest_seconds, then lets the requests in flight finish.
ProducerResult Produce(EventLoop& loop, const Deployment& server, const BenchOptions& o,
                       const std::string& session_id) {
  Producer producer(
      &loop, server.ports(),
      ProducerConfig{INT_MAX, o.rest_connections, 0, 1, {session_id}, server.token()});
  producer.Start();
  loop.RunFor(static_cast<int64_t>(o.rest_seconds * kNsPerSec));
  producer.Stop();
  loop.RunUntil([&] { return producer.done(); }, NowNs() + kRestDrainTimeoutNs);
  return producer.Result();
}

void AddRows(BenchContext& ctx, ServerKind kind, const std::string& label, const ProducerResult& p,
             const CpuUsage& cpu) {
  Report* r = ctx.report;
  AddRateRows(ctx, kind, label, RateRows{"creates/s", "latency", "create"}, p.creates_per_s(),
              p.create, cpu, p.created);
  AddServiceCpuRows(ctx, kind, label, "create", cpu, p.created);
  r->Set(label + ": TCP connections opened", kind, p.connects);
  ReportForeignCpu(ctx, kind, label, cpu);
}

void RestOnServer(BenchContext& ctx, ServerKind kind) {
  const BenchOptions& o = ctx.options;
  std::string label = "rest " + std::to_string(o.rest_connections) + " conns";
  std::string name = ServerName(kind);
  Deployment server(ctx.cluster);
  EventLoop loop;
  std::vector<BoardSession> target;
  if (!StartWithBoards(ctx, kind, ModeFor(ctx), 1, &server, &loop, &target)) return;
  Progress(name + ": " + label + ", " + FormatValue(o.rest_seconds) + " s");
  CpuSnapshot before = TakeCpuSnapshot(server.cpu_pids());
  ProducerResult p = Produce(loop, server, o, target[0].session_id);
  CpuUsage cpu = CpuBetween(before, TakeCpuSnapshot(server.cpu_pids()));
  int64_t rows = -1;
  Status s = CountMessages(&loop, server.port(), server.token(), &rows);
  AddRows(ctx, kind, label, p, cpu);
  ctx.report->AddRun("rest", kind,
                     Json{{"run", label},
                          {"connections", o.rest_connections},
                          {"producer", p.ToJson()},
                          {"cpu", cpu.ToJson()},
                          {"rows_in_db", rows},
                          {"server_rss_mib", Mib(server.RssKiB())}});
  ctx.report->Check(p.failed == 0 && rows == p.created,
                    name + " " + label + ": " + std::to_string(p.failed) + " failed (" +
                        p.first_error + "), " + std::to_string(rows) + " rows for " +
                        std::to_string(p.created) + " creates " + s.message());
}

}  // namespace

void RunRest(BenchContext& ctx) {
  ForEachDeployment(ctx, [&](ServerKind kind) { RestOnServer(ctx, kind); });
}

}  // namespace agor::bench
