// login-storm: the paced fan-out of `fanout` (its first client count, --rate creates/s), run
// twice on the same agor with the same clients: once quiet, once while --storm-logins clients
// log in at once, over and over, for the whole run (bench/login_storm.h). Password hashing runs
// on agor's worker thread, so the fan-out's p99 must not move. agor only: the Feathers peer has
// no users to log in. See scenarios.h. With --nodes also on the nodes: the fan-out's clients,
// the producer's connections (all in the one session) and the storm's logins round-robin over
// the nodes: each node hashes its share.
#include <string>

#include "bench/login_storm.h"
#include "bench/mark_tracker.h"
#include "bench/producer.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

constexpr int64_t kLoginDrainTimeoutNs = 20 * kNsPerSec;
constexpr int64_t kStormStopTimeoutNs = 60 * kNsPerSec;

struct StormSetup {
  BenchContext& ctx;
  Deployment& server;
  EventLoop& loop;
  MarkTracker& tracker;
  std::string session_id;
  int clients;
};

// One paced run, with `storm` logging in meanwhile when not null.
struct StormRun {
  std::string label;
  int messages = 0;
  CpuUsage cpu;
  ProducerResult produced;
  DeliveryCheck delivery;
  LatencySummary latency;
};

void Produce(StormSetup& s, int64_t run_id, LoginStorm* storm, StormRun* r) {
  const BenchOptions& o = s.ctx.options;
  s.tracker.Reset(s.clients, r->messages, run_id);
  Producer producer(
      &s.loop, s.server.ports(),
      ProducerConfig{
          r->messages, o.concurrency, o.paced_rate, run_id, {s.session_id}, s.server.token()});
  CpuSnapshot before = TakeCpuSnapshot(s.server.cpu_pids());
  if (storm) storm->Start();
  producer.Start();
  double produce_s = r->messages / o.paced_rate * 2 + 30;
  s.loop.RunUntil([&] { return producer.done(); },
                  NowNs() + static_cast<int64_t>(produce_s * kNsPerSec));
  int64_t expected = static_cast<int64_t>(s.clients) * r->messages;
  s.loop.RunUntil([&] { return s.tracker.received() >= expected; }, NowNs() + kLoginDrainTimeoutNs);
  r->cpu = CpuBetween(before, TakeCpuSnapshot(s.server.cpu_pids()));
  if (storm) storm->Stop();
  r->produced = producer.Result();
  r->delivery = s.tracker.Check([](int, int) { return true; });
  r->latency = s.tracker.Latency();
}

void Record(StormSetup& s, const StormRun& r, const LoginStormResult* logins) {
  ServerKind kind = s.server.kind();
  Report* report = s.ctx.report;
  report->Set(r.label + ": latency p50 (ms)", kind, r.latency.p50_ms);
  report->Set(r.label + ": latency p99 (ms)", kind, r.latency.p99_ms);
  report->Set(r.label + ": latency max (ms)", kind, r.latency.max_ms);
  report->Set(r.label + ": missing events", kind, static_cast<double>(r.delivery.missing));
  Json run{{"run", r.label},
           {"clients", s.clients},
           {"messages", r.messages},
           {"rate_per_s", s.ctx.options.paced_rate},
           {"latency", r.latency.ToJson()},
           {"delivery", r.delivery.ToJson()},
           {"producer", r.produced.ToJson()},
           {"cpu", r.cpu.ToJson()}};
  if (logins) {
    report->Set(r.label + ": logins/s", kind, logins->logins_per_s());
    report->Set(r.label + ": login latency p99 (ms)", kind, logins->login.p99_ms);
    report->Set(r.label + ": logins refused (429)", kind, logins->limited);
    run["logins"] = logins->ToJson();
  }
  ReportForeignCpu(s.ctx, kind, r.label, r.cpu);
  report->AddRun("login-storm", kind, run);
  report->Check(r.delivery.missing == 0 && r.produced.failed == 0,
                std::string(ServerName(kind)) + " " + r.label + ": " +
                    std::to_string(r.delivery.missing) + " events missing, " +
                    std::to_string(r.produced.failed) + " creates failed " +
                    r.produced.first_error);
}

void RunOne(StormSetup& s, int64_t run_id, int logins) {
  const BenchOptions& o = s.ctx.options;
  StormRun r;
  r.messages = FanoutMessages(o, s.clients);
  r.label = "login storm " + std::to_string(s.clients) + "c paced " + FormatValue(o.paced_rate) +
            "/s, " + (logins > 0 ? std::to_string(logins) + " logins at once" : "no logins");
  std::string name = ServerName(s.server.kind());
  Progress(name + ": " + r.label + ", " + std::to_string(r.messages) + " messages");
  if (logins == 0) {
    Produce(s, run_id, nullptr, &r);
    return Record(s, r, nullptr);
  }
  LoginStorm storm(&s.loop, s.server.ports(), logins, s.server.admin_email(),
                   s.server.admin_password());
  Produce(s, run_id, &storm, &r);
  s.loop.RunUntil([&] { return storm.done(); }, NowNs() + kStormStopTimeoutNs);
  LoginStormResult result = storm.Result();
  Record(s, r, &result);
  s.ctx.report->Check(result.failed == 0 && result.ok > 0,
                      name + " " + r.label + ": " + std::to_string(result.ok) + " logins, " +
                          std::to_string(result.failed) + " failed " + result.first_error);
}

void StormOnServer(BenchContext& ctx, ServerKind kind) {
  std::string name = ServerName(kind);
  Deployment server(ctx.cluster);
  EventLoop loop;
  std::vector<BoardSession> target;
  if (!StartWithBoards(ctx, kind, ModeFor(ctx), 1, &server, &loop, &target)) return;
  if (server.admin_password().empty()) {  // an agor from before authentication: nothing to storm
    Progress(name + ": login-storm skipped: no admin-credentials to log in with");
    return;
  }
  int clients = ctx.options.fanout_clients.front();
  MarkTracker tracker;
  ClientPool pool(&loop, server.port(), &tracker, server.token());
  pool.SpreadOver(server.ports());
  ConnectStats connect = OpenClients(ctx, &pool, clients, BoardQueryFor(ctx, target[0].board_id));
  if (!CheckConnected(ctx, kind, "login-storm", connect)) return;
  StormSetup s{ctx, server, loop, tracker, target[0].session_id, clients};
  RunOne(s, 1, 0);
  RunOne(s, 2, ctx.options.storm_logins);
  ctx.report->Check(pool.dropped() == 0,
                    name + " login-storm: " + std::to_string(pool.dropped()) + " clients dropped");
}

}  // namespace

void RunLoginStorm(BenchContext& ctx) {
  ForEachDeployment(
      ctx, [&](ServerKind kind) { StormOnServer(ctx, kind); }, true);
}

}  // namespace agor::bench
