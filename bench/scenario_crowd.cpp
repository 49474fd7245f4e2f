// crowd: C Socket.IO clients on one board, held by generator processes (crowd_generator.h) and
// spread round-robin over the --nodes (or one agor), then ONE create that every client must
// receive. See scenarios.h. agor only: the peer has no nodes.
#include <cstdio>
#include <memory>
#include <string>

#include "bench/crowd_generator.h"
#include "bench/machine.h"
#include "bench/producer.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

constexpr int64_t kRun = 11;                          // the broadcast's mark
constexpr int64_t kAskReportNs = 60 * kNsPerSec;      // after the create: ask the laggards
constexpr int64_t kReportTimeoutNs = 30 * kNsPerSec;  // then wait this much more
constexpr uint32_t kFirstSource = (127u << 24) | 2;   // 127.0.0.2, .3, ...: one per generator
constexpr int kMaxGenerators = 253;                   // up to 127.0.0.254

using Generators = std::vector<std::unique_ptr<CrowdGenerator>>;

struct ConnectTotals {
  int connected = 0;
  int failed = 0;
  int64_t elapsed_ns = 0;  // the slowest generator's: they connect in parallel
  std::string first_error;
};

struct BroadcastTotals {
  int64_t received = 0, duplicates = 0, dropped = 0;
  LatencySamples latency;
  CpuUsage cpu;
};

// Forks ceil(C / per-generator) generators with consecutive shares of the crowd.
Status Spawn(BenchContext& ctx, const Deployment& server, const std::string& board,
             Generators* gens) {
  const BenchOptions& o = ctx.options;
  int count = (o.crowd_clients + o.crowd_per_generator - 1) / o.crowd_per_generator;
  if (count > kMaxGenerators) return Status::GeneralError("more than 253 generators");
  for (int g = 0, first = 0; g < count; ++g) {
    int share = std::min(o.crowd_per_generator, o.crowd_clients - first);
    gens->push_back(std::make_unique<CrowdGenerator>());
    Status s = gens->back()->Start(CrowdShare{server.ports(), server.token(), board, first, share,
                                              kFirstSource + static_cast<uint32_t>(g),
                                              o.handshakes_in_flight, kRun});
    if (!s.ok()) return s;
    first += share;
  }
  return Status::OK();
}

ConnectTotals WaitConnected(BenchContext& ctx, Generators& gens) {
  ConnectTotals t;
  int64_t deadline =
      NowNs() + 40 * kNsPerSec + int64_t{ctx.options.crowd_per_generator} * 20 * kNsPerMs;
  for (auto& g : gens) {
    CrowdReady r;
    Status s = g->WaitReady(deadline, &r);
    if (!s.ok()) r.first_error = s.message();
    t.connected += r.connected;
    t.failed += r.failed + (s.ok() ? 0 : 1);
    t.elapsed_ns = std::max(t.elapsed_ns, r.elapsed_ns);
    if (t.first_error.empty() && !r.first_error.empty()) t.first_error = r.first_error;
  }
  return t;
}

std::vector<pid_t> Pids(const Generators& gens) {
  std::vector<pid_t> pids;
  for (const auto& g : gens) pids.push_back(g->pid());
  return pids;
}

// One create through the first node, then every generator's report.
BroadcastTotals Broadcast(const Deployment& server, const std::string& session, Generators& gens,
                          EventLoop* loop) {
  BroadcastTotals t;
  CpuPids pids = server.cpu_pids();
  pids.generators = Pids(gens);
  CpuSnapshot before = TakeCpuSnapshot(pids);
  Producer producer(loop, server.port(), ProducerConfig{1, 1, 0, kRun, {session}, server.token()});
  producer.Start();
  loop->RunUntil([&] { return producer.done(); }, NowNs() + 30 * kNsPerSec);
  int64_t ask = NowNs() + kAskReportNs;
  for (auto& g : gens) {
    CrowdReport r;
    if (!g->WaitReport(ask, ask + kReportTimeoutNs, &r).ok()) continue;
    t.received += r.received, t.duplicates += r.duplicates, t.dropped += r.dropped;
    for (int64_t ns : r.latencies_ns) t.latency.Add(ns);
  }
  t.cpu = CpuBetween(before, TakeCpuSnapshot(pids));
  return t;
}

void AddRows(BenchContext& ctx, ServerKind kind, const std::string& label, const Json& run) {
  Report* r = ctx.report;
  for (const char* key :
       {"generator processes", "connections held", "connections/s", "server RSS (MiB)",
        "server bytes per connection", "generator RSS (MiB)", "machine memory used (MiB)",
        "broadcast received by", "broadcast missing", "broadcast to all (ms)", "broadcast p50 (ms)",
        "broadcast p99 (ms)", "server CPU per delivered event (us)", "redis CPU (ms)",
        "foreign CPU (s)"}) {
    r->Set(label + ": " + key, kind, run["table"][key].get<double>());
  }
}

Json RunJson(const BenchOptions& o, const Generators& gens, const ConnectTotals& c,
             int64_t rss_kib[2], int64_t mem_used_kib, BroadcastTotals& b) {
  LatencySummary lat = b.latency.Summarize();
  double per_conn = c.connected > 0 ? (rss_kib[1] - rss_kib[0]) * 1024.0 / c.connected : 0;
  Json table{{"generator processes", gens.size()},
             {"connections held", c.connected - b.dropped},
             {"connections/s", c.elapsed_ns > 0 ? c.connected * 1e9 / c.elapsed_ns : 0.0},
             {"server RSS (MiB)", Mib(rss_kib[1])},
             {"server bytes per connection", per_conn},
             {"generator RSS (MiB)", Mib(SumRssKiB(Pids(gens)))},
             {"machine memory used (MiB)", Mib(mem_used_kib)},
             {"broadcast received by", b.received},
             {"broadcast missing", o.crowd_clients - b.received},
             {"broadcast to all (ms)", lat.max_ms},
             {"broadcast p50 (ms)", lat.p50_ms},
             {"broadcast p99 (ms)", lat.p99_ms},
             {"server CPU per delivered event (us)", MicrosPer(b.cpu.server_ns, b.received)},
             {"redis CPU (ms)", static_cast<double>(b.cpu.redis_ns) / 1e6},
             {"foreign CPU (s)", static_cast<double>(b.cpu.foreign_ns) / 1e9}};
  return Json{{"clients", o.crowd_clients},   {"nodes", o.nodes},          {"table", table},
              {"latency", lat.ToJson()},      {"cpu", b.cpu.ToJson()},     {"failed", c.failed},
              {"first_error", c.first_error}, {"duplicates", b.duplicates}};
}

void Check(BenchContext& ctx, const std::string& label, const ConnectTotals& c,
           const BroadcastTotals& b) {
  const int want = ctx.options.crowd_clients;
  ctx.report->Check(
      c.failed == 0 && b.received == want && b.duplicates == 0 && b.dropped == 0,
      label + ": " + std::to_string(c.failed) + " failed to connect (" + c.first_error + "), " +
          std::to_string(b.received) + " of " + std::to_string(want) + " got the broadcast, " +
          std::to_string(b.duplicates) + " twice, " + std::to_string(b.dropped) + " dropped");
}

// Everything after the deployment and its board exist.
void Measure(BenchContext& ctx, Deployment& server, const BoardSession& target, EventLoop* loop,
             const std::string& label) {
  int64_t rss[2] = {server.RssKiB(), 0};
  int64_t mem0 = MemAvailableKiB();
  Generators gens;
  Status s = Spawn(ctx, server, target.board_id, &gens);
  ctx.report->Check(s.ok(), label + ": " + s.message());
  if (!s.ok()) return;  // the generators that did start end with gens
  ConnectTotals c = WaitConnected(ctx, gens);
  Progress(label + ": " + std::to_string(c.connected) + " connected, broadcasting");
  loop->RunFor(ctx.options.idle_settle_ms * kNsPerMs);
  rss[1] = server.RssKiB();
  int64_t mem_used = mem0 - MemAvailableKiB();
  BroadcastTotals b = Broadcast(server, target.session_id, gens, loop);
  Json run = RunJson(ctx.options, gens, c, rss, mem_used, b);
  AddRows(ctx, server.kind(), label, run);
  ctx.report->AddRun("crowd", server.kind(), run);
  Check(ctx, label, c, b);
}

}  // namespace

void RunCrowd(BenchContext& ctx) {
  const BenchOptions& o = ctx.options;
  ServerKind kind = o.nodes > 0 ? ServerKind::kNodes : ServerKind::kAgor;
  std::string label = "crowd " + std::to_string(o.crowd_clients) + "c";
  Progress(std::string(ServerName(kind)) + ": " + label);
  std::string warnings = CrowdLimits(o.crowd_clients, o.handshakes_in_flight);
  if (!warnings.empty()) fprintf(stderr, "agor_bench: warning: %s", warnings.c_str());
  Deployment server(ctx.cluster);
  EventLoop loop;
  if (!StartDeployment(ctx, kind, ChannelMode::kBoards, &server)) return;
  std::vector<BoardSession> made;
  Status s = CreateBoardSessions(&loop, server.port(), server.token(), 1, &made);
  ctx.report->Check(s.ok(), label + ": creating the board: " + s.message());
  if (!s.ok()) return;
  loop.RunFor(o.idle_settle_ms * kNsPerMs);
  Measure(ctx, server, made[0], &loop, label);
}

}  // namespace agor::bench
