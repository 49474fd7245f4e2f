// connect: new Socket.IO connections per second until N are open. See scenarios.h. With --nodes
// also on the nodes, the clients round-robin over them.
#include <string>

#include "bench/client_pool.h"
#include "bench/proc_stats.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

void AddRows(BenchContext& ctx, ServerKind kind, const std::string& label, const ConnectStats& c,
             const CpuUsage& cpu) {
  AddRateRows(ctx, kind, label, RateRows{"connections/s", "handshake", "connection"},
              c.per_second(), c.handshake, cpu, c.connected);
  AddServiceCpuRows(ctx, kind, label, "connection", cpu, c.connected);
}

void ConnectOnServer(BenchContext& ctx, ServerKind kind) {
  const BenchOptions& o = ctx.options;
  std::string name = ServerName(kind);
  std::string label = "connect " + std::to_string(o.connect_total);
  Deployment server(ctx.cluster);
  if (!StartDeployment(ctx, kind, ModeFor(ctx), &server)) return;
  Progress(name + ": " + label + " clients, " + std::to_string(o.handshakes_in_flight) +
           " handshakes in flight");
  EventLoop loop;
  ClientPool pool(&loop, server.port(), nullptr, server.token());
  pool.SpreadOver(server.ports());
  CpuSnapshot before = TakeCpuSnapshot(server.cpu_pids());
  ConnectStats c = OpenClients(ctx, &pool, o.connect_total);
  CpuUsage cpu = CpuBetween(before, TakeCpuSnapshot(server.cpu_pids()));
  AddRows(ctx, kind, label, c, cpu);
  ReportForeignCpu(ctx, kind, label, cpu);
  ctx.report->AddRun("connect", kind,
                     Json{{"run", label},
                          {"connect", c.ToJson()},
                          {"cpu", cpu.ToJson()},
                          {"server_rss_mib", Mib(server.RssKiB())}});
  ctx.report->Check(c.failed == 0, name + " " + label + ": " + std::to_string(c.failed) +
                                       " failed: " + c.first_error);
}

}  // namespace

void RunConnect(BenchContext& ctx) {
  ForEachDeployment(ctx, [&](ServerKind kind) { ConnectOnServer(ctx, kind); });
}

}  // namespace agor::bench
