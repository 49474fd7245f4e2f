// idle: server RSS with 0 and growing numbers of idle clients, then one event to all of them.
// See scenarios.h. With --nodes also on the nodes (RSS summed over them), every deployment in
// boards mode with the clients on the event's board.
#include <string>

#include "bench/mark_tracker.h"
#include "bench/producer.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

constexpr int64_t kEventTimeoutNs = 60 * kNsPerSec;

struct IdleSetup {
  BenchContext& ctx;
  Deployment& server;
  EventLoop& loop;
  ClientPool& pool;
  int64_t rss0_kib;
  ClientPool::QueryFn query;  // BoardQueryFor the event's board
};

// Grows the pool to `clients`, lets the server settle, reads its RSS; false when clients failed
// to connect.
bool Step(IdleSetup& s, int clients, Json* steps) {
  const BenchOptions& o = s.ctx.options;
  ServerKind kind = s.server.kind();
  ConnectStats connect = OpenClients(s.ctx, &s.pool, clients - s.pool.size(), s.query);
  bool ok = CheckConnected(s.ctx, kind, "idle", connect);
  s.loop.RunFor(o.idle_settle_ms * kNsPerMs);
  int64_t rss = s.server.RssKiB();
  double per_conn = (rss - s.rss0_kib) * 1024.0 / clients;
  std::string label = "idle " + std::to_string(clients) + " clients";
  s.ctx.report->Set(label + ": server RSS (MiB)", kind, Mib(rss));
  s.ctx.report->Set(label + ": server bytes per connection", kind, per_conn);
  steps->push_back(Json{{"clients", s.pool.connected()},
                        {"server_rss_mib", Mib(rss)},
                        {"bytes_per_connection", per_conn},
                        {"generator_rss_mib", Mib(RssKiB(0))},
                        {"connect", connect.ToJson()}});
  return ok;
}

// Creates one message, which every client must receive; returns how many did.
int64_t OneEventToAll(IdleSetup& s, MarkTracker& tracker, const std::string& session_id) {
  tracker.Reset(s.pool.size(), 1, 7);
  Producer producer(&s.loop, s.server.port(),
                    ProducerConfig{1, 1, 0, 7, {session_id}, s.server.token()});
  producer.Start();
  s.loop.RunUntil([&] { return tracker.received() >= s.pool.size(); }, NowNs() + kEventTimeoutNs);
  return tracker.received();
}

void IdleOnServer(BenchContext& ctx, ServerKind kind) {
  std::string name = ServerName(kind);
  Deployment server(ctx.cluster);
  EventLoop loop;
  std::vector<BoardSession> target;
  if (!StartDeployment(ctx, kind, ModeFor(ctx), &server)) return;
  Status made = CreateBoardSessions(&loop, server.port(), server.token(), 1, &target);
  ctx.report->Check(made.ok(), name + ": creating boards: " + made.message());
  if (!made.ok()) return;
  loop.RunFor(ctx.options.idle_settle_ms * kNsPerMs);
  MarkTracker tracker;
  ClientPool pool(&loop, server.port(), &tracker, server.token());
  pool.SpreadOver(server.ports());
  IdleSetup s{ctx, server, loop, pool, server.RssKiB(), BoardQueryFor(ctx, target[0].board_id)};
  ctx.report->Set("idle 0 clients: server RSS (MiB)", kind, Mib(s.rss0_kib));
  Json steps = Json::array();
  bool connected = true;
  for (size_t i = 0; i < ctx.options.idle_steps.size() && connected; ++i) {
    Progress(name + ": idle " + std::to_string(ctx.options.idle_steps[i]) + " clients");
    connected = Step(s, ctx.options.idle_steps[i], &steps);
  }
  int64_t got = connected ? OneEventToAll(s, tracker, target[0].session_id) : 0;
  ctx.report->Set("idle: clients that got 1 event of " + std::to_string(pool.size()), kind, got);
  ctx.report->AddRun("idle", kind,
                     Json{{"server_rss_mib_0_clients", Mib(s.rss0_kib)},
                          {"steps", steps},
                          {"one_event_received_by", got},
                          {"clients", pool.size()}});
  ctx.report->Check(got == pool.size() && pool.dropped() == 0,
                    name + " idle: " + std::to_string(got) + " of " + std::to_string(pool.size()) +
                        " clients got the event, " + std::to_string(pool.dropped()) + " dropped");
}

}  // namespace

void RunIdle(BenchContext& ctx) {
  ForEachDeployment(ctx, [&](ServerKind kind) { IdleOnServer(ctx, kind); });
}

}  // namespace agor::bench
