// presence: B boards x K connections, each on its board (handshake ?board_id=; on agor also
// `presence` create, which puts it on the board's roster), each sending
// `42["cursor-move",{boardId,x,y}]` at R/s for T s, open loop, the senders' phases spread evenly
// over the period. agor relays a move to the board's other connections, coalesced per sender
// (at most 20/s); the peer relays every move to every other socket, whatever its board.
//
// After the window every connection makes one call (`find` boards, $limit 0): Socket.IO handles
// a connection's packets in order, so its answer means the server has read all of that
// connection's moves. Then the run waits until no cursor update came for kQuietNs. The server
// CPU is measured from the first move to that point.
//
// Deliveries are counted at the clients (see cursor_tracker.h): every `cursor-moved` frame is a
// delivered update (the server's work); same-board ones are what a user sees (latency, final
// positions), cross-board ones what Agor's clients filter out (by design all of the peer's
// foreign-board traffic; must be 0 for agor).
//
// With --nodes also on the nodes: each board's connections round-robin over them, so a move
// reaches most of its board through the presence relay (Redis) of another node; each connection
// sends its barrier to its own node. CPU and RSS are summed over the nodes, /metrics' counts too.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "bench/cursor_tracker.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

constexpr int64_t kTickNs = 1 * kNsPerMs;
constexpr int64_t kCallTimeoutNs = 30 * kNsPerSec;
constexpr int64_t kQuietNs = 250 * kNsPerMs;
constexpr int64_t kPresenceSettleNs = 300 * kNsPerMs;

struct PresenceSetup {
  BenchContext& ctx;
  Deployment& server;
  EventLoop& loop;
  ClientPool& pool;
  CursorTracker& tracker;
  std::string label;
  int moves = 0;  // per connection
};

// What one run measured.
struct PresenceRun {
  int64_t start_ns = 0, send_end_ns = 0, barrier_ns = 0, end_ns = 0;
  bool barrier_done = false;
  // agor's own count of the run's cursor moves (GET /metrics), -1 when not read (the peer).
  int64_t server_taken = -1, server_dropped = -1;
  CpuUsage cpu;
  int64_t peak_rss_kib = 0, end_rss_kib = 0;
};

// Sends the moves of every connection at their due times: global move g = k * N + c (client c's
// k-th move) is due at start + g * period / N, so the senders' phases are spread evenly.
class MoveSender {
 public:
  MoveSender(PresenceSetup& s, double rate) : s_(s), rate_(rate) {}

  void Start(int64_t start_ns) {
    start_ns_ = start_ns;
    Tick();
  }
  bool done() const { return next_ >= total(); }

 private:
  int64_t total() const { return int64_t{s_.pool.size()} * s_.moves; }
  int64_t Due(int64_t g) const {
    return start_ns_ + static_cast<int64_t>(static_cast<double>(g) * 1e9 / rate_ /
                                            static_cast<double>(s_.pool.size()));
  }
  void Tick() {
    int64_t now = NowNs();
    for (; next_ < total() && Due(next_) <= now; ++next_) Send(now);
    if (!done()) s_.loop.At(now + kTickNs, [this] { Tick(); });
  }
  // A sender whose previous output is still in its buffer skips the move (counted): the server
  // is not reading, and a growing backlog in the generator would only measure the generator.
  void Send(int64_t now) {
    int n = s_.pool.size();
    SioClient* c = s_.pool.client(static_cast<int>(next_ % n));
    if (!c->sio_connected() || c->pending_output() > 0) {
      s_.tracker.Skipped();
      return;
    }
    c->EmitNoAck(s_.tracker.Move(c->index(), static_cast<int>(next_ / n), now));
  }

  PresenceSetup& s_;
  double rate_;
  int64_t start_ns_ = 0;
  int64_t next_ = 0;
};

// Every connected client emits `args_of(client)` with an ack; waits for all answers. True when
// all came back without an error.
template <typename ArgsFn>
bool CallOnEach(PresenceSetup& s, ArgsFn args_of, int64_t timeout_ns) {
  s.tracker.ResetAcks();
  int64_t calls = 0;
  for (int c = 0; c < s.pool.size(); ++c) {
    if (!s.pool.client(c)->sio_connected()) continue;
    s.pool.client(c)->Emit(args_of(c));
    ++calls;
  }
  auto answered = [&] { return s.tracker.acks_ok() + s.tracker.acks_failed() >= calls; };
  s.loop.RunUntil(answered, NowNs() + timeout_ns);
  return answered() && s.tracker.acks_failed() == 0 && calls == s.pool.size();
}

// agor: puts every connection on its board's roster (`presence` create).
bool JoinRosters(PresenceSetup& s) {
  bool ok = CallOnEach(
      s,
      [&](int c) {
        return Json::array({"create", "presence", {{"board_id", s.tracker.board_of(c)}}}).dump();
      },
      kCallTimeoutNs);
  s.ctx.report->Check(ok, std::string(ServerName(s.server.kind())) + " " + s.label +
                              ": presence create: " + std::to_string(s.tracker.acks_ok()) + " of " +
                              std::to_string(s.pool.size()) + " joined " +
                              s.tracker.first_ack_error());
  return ok;
}

// The value of the /metrics sample line starting with `sample` ("name{labels} "), or -1.
int64_t MetricValue(const std::string& page, const std::string& sample) {
  size_t at = page.find("\n" + sample);
  if (at == std::string::npos) return -1;
  return std::strtoll(page.c_str() + at + 1 + sample.size(), nullptr, 10);
}

// agor's counts of cursor moves it took and dropped (rate limit, invalid) so far, summed over
// the nodes (each counts the moves of its own connections); -1 each when a page cannot be read
// (the peer has none).
void ServerMoveCounts(PresenceSetup& s, int64_t* taken, int64_t* dropped) {
  *taken = *dropped = -1;
  if (!IsAgor(s.server.kind())) return;
  int64_t sum_taken = 0, sum_dropped = 0;
  for (uint16_t port : s.server.ports()) {
    std::string page;
    if (!CallText(&s.loop, port, s.server.token(), "GET", "/metrics", nullptr, &page).ok()) return;
    int64_t t = MetricValue(page, "agor_cursor_moves_total{result=\"taken\"} ");
    int64_t d = MetricValue(page, "agor_cursor_moves_total{result=\"dropped\"} ");
    if (t < 0 || d < 0) return;
    sum_taken += t, sum_dropped += d;
  }
  *taken = sum_taken, *dropped = sum_dropped;
}

// Runs until kQuietNs passed without a cursor update, or until deadline_ns.
void WaitQuiet(PresenceSetup& s, int64_t since_ns, int64_t deadline_ns) {
  for (;;) {
    int64_t last = std::max(since_ns, s.tracker.last_receive_ns());
    int64_t now = NowNs();
    if (now - last >= kQuietNs || now >= deadline_ns) return;
    s.loop.RunFor(std::min(last + kQuietNs, deadline_ns) - now);
  }
}

void Measure(PresenceSetup& s, PresenceRun* r) {
  const BenchOptions& o = s.ctx.options;
  MoveSender sender(s, o.presence_rate);
  int64_t taken0 = 0, dropped0 = 0;
  ServerMoveCounts(s, &taken0, &dropped0);
  PeakRssSampler rss(&s.loop, s.server.pids());
  CpuSnapshot before = TakeCpuSnapshot(s.server.cpu_pids());
  r->start_ns = NowNs();
  sender.Start(r->start_ns);
  s.loop.RunUntil(
      [&] { return sender.done(); },
      r->start_ns + static_cast<int64_t>(o.presence_seconds * 2 * kNsPerSec) + kCallTimeoutNs);
  r->send_end_ns = NowNs();
  Json barrier = Json::array({"find", "boards", {{"$limit", 0}}});
  r->barrier_done = CallOnEach(
      s, [&](int) { return barrier.dump(); }, kCallTimeoutNs);
  r->barrier_ns = NowNs();
  WaitQuiet(s, r->barrier_ns, r->barrier_ns + kCallTimeoutNs);
  r->end_ns = NowNs();
  r->cpu = CpuBetween(before, TakeCpuSnapshot(s.server.cpu_pids()));
  r->peak_rss_kib = rss.peak_kib();
  r->end_rss_kib = s.server.RssKiB();
  ServerMoveCounts(s, &r->server_taken, &r->server_dropped);  // after the CPU reading
  if (taken0 >= 0 && r->server_taken >= 0) r->server_taken -= taken0;
  if (dropped0 >= 0 && r->server_dropped >= 0) r->server_dropped -= dropped0;
}

double PerSecond(int64_t count, int64_t from_ns, int64_t to_ns) {
  return to_ns > from_ns ? static_cast<double>(count) * 1e9 / static_cast<double>(to_ns - from_ns)
                         : 0;
}

// Moves the server has read: all sent ones once every connection answered the barrier; else
// (an overloaded server) only those known to be handled: relayed to at least one client.
int64_t MovesReceived(const PresenceSetup& s, const PresenceRun& r) {
  return r.barrier_done ? s.tracker.counts().sent : s.tracker.counts().moves_relayed;
}

Json RunJson(PresenceSetup& s, const PresenceRun& r) {
  const CursorCounts& n = s.tracker.counts();
  int64_t received = MovesReceived(s, r);
  return Json{
      {"run", s.label},
      {"boards", s.ctx.options.presence_boards},
      {"clients_per_board", s.ctx.options.presence_clients},
      {"rate_per_connection", s.ctx.options.presence_rate},
      {"seconds", s.ctx.options.presence_seconds},
      {"counts", n.ToJson()},
      {"barrier_done", r.barrier_done},
      {"server_moves_taken", r.server_taken},
      {"server_moves_dropped", r.server_dropped},
      {"moves_received", received},
      {"moves_sent_per_s", PerSecond(n.sent, r.start_ns, r.send_end_ns)},
      {"moves_received_per_s",
       PerSecond(received, r.start_ns, r.barrier_done ? r.barrier_ns : r.end_ns)},
      {"updates_per_s", PerSecond(n.all_deliveries(), r.start_ns, s.tracker.last_receive_ns())},
      {"same_board_updates_per_s",
       PerSecond(n.same_board, r.start_ns, s.tracker.last_receive_ns())},
      {"server_cpu_us_per_move", MicrosPer(r.cpu.server_ns, received)},
      {"server_cpu_us_per_update", MicrosPer(r.cpu.server_ns, n.all_deliveries())},
      {"generator_cpu_us_per_update", MicrosPer(r.cpu.generator_ns, n.all_deliveries())},
      {"latency", s.tracker.Latency().ToJson()},
      {"stale_final_positions", s.tracker.StaleFinalPositions()},
      {"drain_s", static_cast<double>(r.end_ns - r.send_end_ns) / 1e9},
      {"cpu", r.cpu.ToJson()},
      {"server_rss_peak_mib", Mib(r.peak_rss_kib)},
      {"server_rss_end_mib", Mib(r.end_rss_kib)},
      {"clients_dropped", s.pool.dropped()}};
}

void AddRows(PresenceSetup& s, const PresenceRun& r, const Json& run) {
  ServerKind kind = s.server.kind();
  Report* rep = s.ctx.report;
  const std::string& l = s.label;
  const CursorCounts& n = s.tracker.counts();
  rep->Set(l + ": moves sent/s", kind, run["moves_sent_per_s"]);
  rep->Set(l + ": moves received by the server/s", kind, run["moves_received_per_s"]);
  rep->Set(l + ": cursor updates delivered/s", kind, run["updates_per_s"]);
  rep->Set(l + ": same-board updates delivered/s", kind, run["same_board_updates_per_s"]);
  rep->Set(l + ": server CPU per received move (us)", kind, run["server_cpu_us_per_move"]);
  rep->Set(l + ": server CPU per delivered update (us)", kind, run["server_cpu_us_per_update"]);
  AddServiceCpuRows(s.ctx, kind, l, "received move", r.cpu, MovesReceived(s, r));
  rep->Set(l + ": generator CPU per delivered update (us)", kind,
           run["generator_cpu_us_per_update"]);
  rep->Set(l + ": move->receive p50 (ms)", kind, run["latency"]["p50_ms"]);
  rep->Set(l + ": move->receive p99 (ms)", kind, run["latency"]["p99_ms"]);
  rep->Set(l + ": server RSS peak (MiB)", kind, Mib(r.peak_rss_kib));
  rep->Set(l + ": cross-board deliveries", kind, static_cast<double>(n.cross_board));
  rep->Set(l + ": moves skipped (sender backed up)", kind, static_cast<double>(n.skipped));
  rep->Set(l + ": stale final positions", kind, run["stale_final_positions"]);
  ReportForeignCpu(s.ctx, kind, l, r.cpu);
}

// What must hold. The peer's cross-board deliveries are its design (clients filter them); an
// overloaded server that has not read every move within the bounds is reported, not failed.
void CheckRun(PresenceSetup& s, const PresenceRun& r) {
  const CursorCounts& n = s.tracker.counts();
  std::string what = std::string(ServerName(s.server.kind())) + " " + s.label + ": ";
  Report* rep = s.ctx.report;
  rep->Check(s.pool.dropped() == 0, what + std::to_string(s.pool.dropped()) + " clients dropped");
  rep->Check(n.unreadable == 0, what + std::to_string(n.unreadable) + " unreadable cursor-moved");
  if (!IsAgor(s.server.kind())) return;
  rep->Check(n.cross_board == 0, what + std::to_string(n.cross_board) + " cross-board updates");
  rep->Check(r.barrier_done,
             what + "the end barrier was not answered: " + s.tracker.first_ack_error());
  rep->Check(r.server_taken == n.sent && r.server_dropped == 0,
             what + "agor's /metrics counted " + std::to_string(r.server_taken) + " moves taken, " +
                 std::to_string(r.server_dropped) + " dropped, of " + std::to_string(n.sent));
  int64_t stale = s.tracker.StaleFinalPositions();
  rep->Check(stale == 0, what + std::to_string(stale) + " receivers lack a sender's final move");
  rep->Check(n.same_board > 0, what + "no cursor update delivered");
}

bool Connect(PresenceSetup& s, const std::vector<BoardSession>& boards) {
  int k = s.ctx.options.presence_clients;
  ConnectStats connect = OpenClients(s.ctx, &s.pool, static_cast<int>(boards.size()) * k,
                                     [&](int c) { return "board_id=" + boards[c / k].board_id; });
  if (!CheckConnected(s.ctx, s.server.kind(), s.label, connect)) return false;
  return !IsAgor(s.server.kind()) || JoinRosters(s);
}

void PresenceOnServer(BenchContext& ctx, ServerKind kind) {
  const BenchOptions& o = ctx.options;
  Deployment server(ctx.cluster);
  EventLoop loop;
  std::vector<BoardSession> boards;
  if (!StartWithBoards(ctx, kind, ChannelMode::kBoards, o.presence_boards, &server, &loop,
                       &boards)) {
    return;
  }
  CursorTracker tracker;
  ClientPool pool(&loop, server.port(), &tracker, server.token());
  pool.SpreadOver(server.ports());
  std::string label =
      "presence " + std::to_string(o.presence_boards) + "x" + std::to_string(o.presence_clients);
  int moves = std::max(1, static_cast<int>(std::lround(o.presence_rate * o.presence_seconds)));
  PresenceSetup s{ctx, server, loop, pool, tracker, label, moves};
  std::vector<std::string> ids;
  for (const BoardSession& b : boards) ids.push_back(b.board_id);
  tracker.Reset(ids, o.presence_clients, moves);
  Progress(std::string(ServerName(kind)) + ": " + label + ", " + FormatValue(o.presence_rate) +
           " moves/s each for " + FormatValue(o.presence_seconds) + " s");
  if (!Connect(s, boards)) return;
  loop.RunFor(kPresenceSettleNs);
  tracker.Reset(ids, o.presence_clients, moves);
  PresenceRun r;
  Measure(s, &r);
  Json run = RunJson(s, r);
  AddRows(s, r, run);
  ctx.report->AddRun("presence", kind, run);
  CheckRun(s, r);
}

}  // namespace

void RunPresence(BenchContext& ctx) {
  ForEachDeployment(ctx, [&](ServerKind kind) { PresenceOnServer(ctx, kind); });
}

}  // namespace agor::bench
