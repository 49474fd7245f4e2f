// fanout: N clients all receiving `messages created`; a producer creates M messages by REST, at
// full speed and then paced. See scenarios.h. With --nodes every deployment runs in boards mode
// (the nodes' only mode) with each client on the messages' board (handshake ?board_id=), the
// clients and the producer's connections spread round-robin over the nodes.
#include <string>

#include "bench/mark_tracker.h"
#include "bench/producer.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

constexpr int64_t kFanoutDrainTimeoutNs = 20 * kNsPerSec;

// Everything the runs on one server share.
struct FanoutSetup {
  BenchContext& ctx;
  Deployment& server;
  EventLoop& loop;
  MarkTracker& tracker;
  std::vector<std::string> sessions;  // one per server, all on one board
  int clients;
};

// What one run measured.
struct Phase {
  std::string label;
  int messages = 0;
  double rate = 0;  // 0: max
  CpuUsage cpu;
  ProducerResult produced;
  DeliveryCheck delivery;
  int64_t peak_rss_kib = 0;
};

// Waits for the producer (bounded by what the rate allows), then for the last deliveries.
void WaitForRun(FanoutSetup& f, Producer& producer, const Phase& p) {
  double produce_s = p.rate > 0 ? p.messages / p.rate * 2 + 30 : 300;
  f.loop.RunUntil([&] { return producer.done(); },
                  NowNs() + static_cast<int64_t>(produce_s * kNsPerSec));
  int64_t expected = static_cast<int64_t>(f.clients) * p.messages;
  f.loop.RunUntil([&] { return f.tracker.received() >= expected; },
                  NowNs() + kFanoutDrainTimeoutNs);
}

void Measure(FanoutSetup& f, int64_t run_id, Phase* p) {
  const BenchOptions& o = f.ctx.options;
  f.tracker.Reset(f.clients, p->messages, run_id);
  Producer producer(&f.loop, f.server.ports(),
                    ProducerConfig{p->messages, o.concurrency, p->rate, run_id, f.sessions,
                                   f.server.token(), true});
  PeakRssSampler rss(&f.loop, f.server.pids());
  CpuSnapshot before = TakeCpuSnapshot(f.server.cpu_pids());
  producer.Start();
  WaitForRun(f, producer, *p);
  p->cpu = CpuBetween(before, TakeCpuSnapshot(f.server.cpu_pids()));
  p->produced = producer.Result();
  p->delivery = f.tracker.Check([](int, int) { return true; });
  p->peak_rss_kib = rss.peak_kib();
}

Json PhaseJson(FanoutSetup& f, Phase& p) {
  int64_t delivered = f.tracker.received();
  int64_t span = f.tracker.last_receive_ns() - p.produced.start_ns;
  return Json{{"run", p.label},
              {"clients", f.clients},
              {"messages", p.messages},
              {"rate_per_s", p.rate > 0 ? Json(p.rate) : Json("max")},
              {"delivered", delivered},
              {"duplicates", f.tracker.duplicates()},
              {"delivered_per_s", span > 0 ? delivered * 1e9 / static_cast<double>(span) : 0.0},
              {"server_cpu_us_per_event", MicrosPer(p.cpu.server_ns, delivered)},
              {"generator_cpu_us_per_event", MicrosPer(p.cpu.generator_ns, delivered)},
              {"redis_cpu_us_per_event", MicrosPer(p.cpu.redis_ns, delivered)},
              {"postgres_cpu_us_per_event", MicrosPer(p.cpu.postgres_ns, delivered)},
              {"latency", f.tracker.Latency().ToJson()},
              {"delivery", p.delivery.ToJson()},
              {"producer", p.produced.ToJson()},
              {"cpu", p.cpu.ToJson()},
              {"server_rss_peak_mib", Mib(p.peak_rss_kib)}};
}

void AddRows(FanoutSetup& f, const Phase& p, const Json& run) {
  ServerKind kind = f.server.kind();
  Report* r = f.ctx.report;
  const std::string& label = p.label;
  bool paced = p.rate > 0;
  if (!paced) r->Set(label + ": delivered events/s", kind, run["delivered_per_s"]);
  if (!paced) r->Set(label + ": creates/s", kind, p.produced.creates_per_s());
  r->Set(label + ": server CPU per event (us)", kind, run["server_cpu_us_per_event"]);
  r->Set(label + ": generator CPU per event (us)", kind, run["generator_cpu_us_per_event"]);
  AddServiceCpuRows(f.ctx, kind, label, "event", p.cpu, run["delivered"].get<int64_t>());
  r->Set(label + ": latency p50 (ms)", kind, run["latency"]["p50_ms"]);
  r->Set(label + ": latency p99 (ms)", kind, run["latency"]["p99_ms"]);
  if (paced) r->Set(label + ": latency max (ms)", kind, run["latency"]["max_ms"]);
  r->Set(label + ": missing events", kind, static_cast<double>(p.delivery.missing));
  ReportForeignCpu(f.ctx, kind, label, p.cpu);
}

void RunPhase(FanoutSetup& f, int64_t run_id, double rate) {
  Phase p;
  p.rate = rate;
  p.messages = FanoutMessages(f.ctx.options, f.clients);
  p.label = "fanout " + std::to_string(f.clients) + "c " +
            (rate > 0 ? "paced " + FormatValue(rate) + "/s" : "max");
  std::string name = ServerName(f.server.kind());
  Progress(name + ": " + p.label + ", " + std::to_string(p.messages) + " messages");
  Measure(f, run_id, &p);
  Json run = PhaseJson(f, p);
  AddRows(f, p, run);
  f.ctx.report->AddRun("fanout", f.server.kind(), run);
  f.ctx.report->Check(p.delivery.missing == 0 && p.produced.failed == 0,
                      name + " " + p.label + ": " + std::to_string(p.delivery.missing) +
                          " events missing, " + std::to_string(p.produced.failed) +
                          " creates failed " + p.produced.first_error);
}

// Starts the deployment and creates the board the messages go to, with a session per server:
// each server's creates go to its own session (Producer's session_per_port).
bool StartFanout(BenchContext& ctx, ServerKind kind, Deployment* server, EventLoop* loop,
                 BoardSession* target, std::vector<std::string>* sessions) {
  if (!StartDeployment(ctx, kind, ModeFor(ctx), server)) return false;
  std::vector<BoardSession> made;
  Status s = CreateBoardSessions(loop, server->port(), server->token(), 1, &made);
  if (s.ok()) *target = made[0], sessions->push_back(target->session_id);
  while (s.ok() && sessions->size() < server->ports().size()) {
    sessions->emplace_back();
    s = CreateSession(loop, server->port(), server->token(), target->board_id, &sessions->back());
  }
  ctx.report->Check(s.ok(), std::string(ServerName(kind)) + ": creating boards: " + s.message());
  return s.ok();
}

void FanoutOnServer(BenchContext& ctx, ServerKind kind, int clients) {
  Deployment server(ctx.cluster);
  EventLoop loop;
  BoardSession target;
  std::vector<std::string> sessions;
  if (!StartFanout(ctx, kind, &server, &loop, &target, &sessions)) return;
  MarkTracker tracker;
  ClientPool pool(&loop, server.port(), &tracker, server.token());
  pool.SpreadOver(server.ports());
  ConnectStats connect = OpenClients(ctx, &pool, clients, BoardQueryFor(ctx, target.board_id));
  if (!CheckConnected(ctx, kind, "fanout", connect)) return;
  FanoutSetup f{ctx, server, loop, tracker, sessions, clients};
  RunPhase(f, 1, 0);
  RunPhase(f, 2, ctx.options.paced_rate);
  ctx.report->Check(pool.dropped() == 0, std::string(ServerName(kind)) + " fanout: " +
                                             std::to_string(pool.dropped()) + " clients dropped");
}

}  // namespace

void RunFanout(BenchContext& ctx) {
  for (int clients : ctx.options.fanout_clients)
    ForEachDeployment(ctx, [&](ServerKind kind) { FanoutOnServer(ctx, kind, clients); });
}

}  // namespace agor::bench
