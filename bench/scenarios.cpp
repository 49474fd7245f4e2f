#include "bench/scenarios.h"

#include <cstdio>

namespace agor::bench {

bool RunScenario(const std::string& name, BenchContext& ctx) {
  if (name == "fanout")
    RunFanout(ctx);
  else if (name == "rest")
    RunRest(ctx);
  else if (name == "boards")
    RunBoards(ctx);
  else if (name == "idle")
    RunIdle(ctx);
  else if (name == "connect")
    RunConnect(ctx);
  else if (name == "login-storm")
    RunLoginStorm(ctx);
  else if (name == "presence")
    RunPresence(ctx);
  else if (name == "crowd")
    RunCrowd(ctx);
  else
    return false;
  return true;
}

void ForEachDeployment(BenchContext& ctx, const std::function<void(ServerKind)>& run,
                       bool agor_only) {
  for (ServerKind kind : ctx.servers) {
    if (!agor_only || IsAgor(kind)) run(kind);
  }
  if (ctx.options.nodes > 0) run(ServerKind::kNodes);
}

ChannelMode ModeFor(const BenchContext& ctx) {
  return ctx.options.nodes > 0 ? ChannelMode::kBoards : ChannelMode::kEverybody;
}

ClientPool::QueryFn BoardQueryFor(const BenchContext& ctx, const std::string& board_id) {
  if (ctx.options.nodes == 0) return nullptr;
  return [query = "board_id=" + board_id](int) { return query; };
}

bool StartDeployment(BenchContext& ctx, ServerKind kind, ChannelMode mode, Deployment* out) {
  Status s = out->Start(kind, mode, ctx.options.nodes, ctx.paths);
  ctx.report->Check(s.ok(), std::string("start ") + ServerName(kind) + " (" +
                                ChannelModeName(mode) + "): " + s.message());
  return s.ok();
}

bool StartWithBoards(BenchContext& ctx, ServerKind kind, ChannelMode mode, int boards,
                     Deployment* server, EventLoop* loop, std::vector<BoardSession>* out) {
  if (!StartDeployment(ctx, kind, mode, server)) return false;
  Status s = CreateBoardSessions(loop, server->port(), server->token(), boards, out);
  ctx.report->Check(s.ok(), std::string(ServerName(kind)) + ": creating boards: " + s.message());
  return s.ok();
}

ConnectStats OpenClients(BenchContext& ctx, ClientPool* pool, int count,
                         const ClientPool::QueryFn& query) {
  int64_t timeout = 10 * kNsPerSec + int64_t{count} * 20 * kNsPerMs;
  return pool->Grow(count, ctx.options.handshakes_in_flight, timeout, query);
}

bool CheckConnected(BenchContext& ctx, ServerKind kind, const std::string& label,
                    const ConnectStats& stats) {
  ctx.report->Check(stats.failed == 0, std::string(ServerName(kind)) + " " + label + ": " +
                                           std::to_string(stats.failed) + " of " +
                                           std::to_string(stats.requested) +
                                           " clients failed to connect: " + stats.first_error);
  return stats.failed == 0;
}

void AddRateRows(BenchContext& ctx, ServerKind kind, const std::string& label,
                 const RateRows& names, double per_s, const LatencySummary& latency,
                 const CpuUsage& cpu, int64_t items) {
  Report* r = ctx.report;
  std::string per = std::string(" CPU per ") + names.unit + " (us)";
  r->Set(label + ": " + names.rate, kind, per_s);
  r->Set(label + ": " + names.latency + " p50 (ms)", kind, latency.p50_ms);
  r->Set(label + ": " + names.latency + " p99 (ms)", kind, latency.p99_ms);
  r->Set(label + ": server" + per, kind, MicrosPer(cpu.server_ns, items));
  r->Set(label + ": generator" + per, kind, MicrosPer(cpu.generator_ns, items));
}

void AddServiceCpuRows(BenchContext& ctx, ServerKind kind, const std::string& label,
                       const char* unit, const CpuUsage& cpu, int64_t items) {
  if (ctx.options.nodes == 0) return;
  Report* r = ctx.report;
  std::string per = std::string(" CPU per ") + unit + " (us)";
  r->Reserve(label + ": redis" + per);
  r->Reserve(label + ": postgres" + per);
  if (kind != ServerKind::kNodes) return;
  r->Set(label + ": redis" + per, kind, MicrosPer(cpu.redis_ns, items));
  r->Set(label + ": postgres" + per, kind, MicrosPer(cpu.postgres_ns, items));
}

void ReportForeignCpu(BenchContext& ctx, ServerKind kind, const std::string& label,
                      const CpuUsage& cpu) {
  ctx.report->Set(label + ": foreign CPU (s)", kind, static_cast<double>(cpu.foreign_ns) / 1e9);
}

double MicrosPer(int64_t ns, int64_t items) {
  return items > 0 ? static_cast<double>(ns) / 1000.0 / static_cast<double>(items) : 0;
}

double Mib(int64_t kib) {
  return static_cast<double>(kib) / 1024.0;
}

void Progress(const std::string& line) {
  fprintf(stderr, "agor_bench: %s\n", line.c_str());
}

}  // namespace agor::bench
