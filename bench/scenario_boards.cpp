// boards: B boards x K clients, events spread over the boards, in the server's boards mode and
// in everybody mode. See scenarios.h. With --nodes also on the nodes, in boards mode only (they
// refuse everybody mode): the clients of each board and the producer's connections round-robin
// over the nodes, so most events reach their board's clients through Redis.
#include <algorithm>
#include <string>

#include "bench/mark_tracker.h"
#include "bench/producer.h"
#include "bench/scenarios.h"

namespace agor::bench {
namespace {

constexpr int64_t kProduceTimeoutNs = 300 * kNsPerSec;
constexpr int64_t kDrainTimeoutNs = 20 * kNsPerSec;
constexpr int64_t kSettleNs = 300 * kNsPerMs;  // for events that should not come at all

// Client c watches board c / K; message seq goes to board seq % B.
bool Expected(const BenchOptions& o, ChannelMode mode, int client, int seq) {
  return mode == ChannelMode::kEverybody || seq % o.boards == client / o.board_clients;
}

int64_t ExpectedTotal(const BenchOptions& o, ChannelMode mode) {
  int64_t per_message =
      mode == ChannelMode::kEverybody ? int64_t{o.boards} * o.board_clients : o.board_clients;
  return per_message * o.board_events;
}

// Creates the messages and waits for what should arrive, then a little longer for what should
// not.
ProducerResult Produce(EventLoop& loop, const Deployment& server, const BenchOptions& o,
                       ChannelMode mode, const std::vector<BoardSession>& boards,
                       MarkTracker& tracker) {
  ProducerConfig config{o.board_events, o.concurrency, 0, 1, {}, server.token()};
  for (const BoardSession& b : boards) config.sessions.push_back(b.session_id);
  Producer producer(&loop, server.ports(), config);
  producer.Start();
  loop.RunUntil([&] { return producer.done(); }, NowNs() + kProduceTimeoutNs);
  int64_t expected = ExpectedTotal(o, mode);
  loop.RunUntil([&] { return tracker.received() >= expected; }, NowNs() + kDrainTimeoutNs);
  loop.RunFor(kSettleNs);
  return producer.Result();
}

// Events and bytes per client since the counters were reset.
Json ClientFigures(ClientPool& pool, const MarkTracker& tracker) {
  int n = std::max(1, pool.size());
  int64_t events = 0, bytes = 0, min_events = INT64_MAX, max_events = 0;
  for (int c = 0; c < pool.size(); ++c) {
    int64_t e = tracker.received_by(c);
    events += e;
    bytes += static_cast<int64_t>(pool.client(c)->bytes_received());
    min_events = std::min(min_events, e), max_events = std::max(max_events, e);
  }
  return Json{{"events_per_client", static_cast<double>(events) / n},
              {"min_events", pool.size() ? min_events : 0},
              {"max_events", max_events},
              {"bytes_per_client", static_cast<double>(bytes) / n}};
}

// Opens B x K clients, each on its board; false when some failed.
bool Connect(BenchContext& ctx, ServerKind kind, const std::string& label,
             const std::vector<BoardSession>& boards, ClientPool* pool) {
  const BenchOptions& o = ctx.options;
  int k = o.board_clients;
  ConnectStats connect = OpenClients(ctx, pool, o.boards * k,
                                     [&](int c) { return "board_id=" + boards[c / k].board_id; });
  return CheckConnected(ctx, kind, label, connect);
}

void Record(BenchContext& ctx, ServerKind kind, const std::string& label, const Json& figures,
            const DeliveryCheck& delivery, const ProducerResult& produced) {
  const BenchOptions& o = ctx.options;
  ctx.report->Set(label + ": events per client", kind, figures["events_per_client"]);
  ctx.report->Set(label + ": KiB received per client", kind,
                  figures["bytes_per_client"].get<double>() / 1024);
  ctx.report->Set(label + ": missing + foreign events", kind,
                  static_cast<double>(delivery.missing + delivery.unexpected));
  ctx.report->AddRun("boards", kind,
                     Json{{"run", label},
                          {"boards", o.boards},
                          {"clients_per_board", o.board_clients},
                          {"events", o.board_events},
                          {"per_client", figures},
                          {"delivery", delivery.ToJson()},
                          {"producer", produced.ToJson()}});
  ctx.report->Check(delivery.missing == 0 && delivery.unexpected == 0 && produced.failed == 0,
                    std::string(ServerName(kind)) + " " + label + ": " + delivery.ToJson().dump() +
                        " " + produced.first_error);
}

// Measures one server in one mode: the events per client, or -1 when it could not run.
double BoardsRun(BenchContext& ctx, ServerKind kind, ChannelMode mode) {
  const BenchOptions& o = ctx.options;
  std::string label = std::string("boards ") + ChannelModeName(mode) + " mode";
  Deployment server(ctx.cluster);
  EventLoop loop;
  std::vector<BoardSession> boards;
  if (!StartWithBoards(ctx, kind, mode, o.boards, &server, &loop, &boards)) return -1;
  Progress(std::string(ServerName(kind)) + ": " + label + ", " + std::to_string(o.boards) +
           " boards x " + std::to_string(o.board_clients) + " clients");
  MarkTracker tracker;
  ClientPool pool(&loop, server.port(), &tracker, server.token());
  pool.SpreadOver(server.ports());
  if (!Connect(ctx, kind, label, boards, &pool)) return -1;
  loop.RunFor(kSettleNs);
  for (int c = 0; c < pool.size(); ++c) pool.client(c)->reset_bytes_received();
  tracker.Reset(pool.size(), o.board_events, 1);
  ProducerResult produced = Produce(loop, server, o, mode, boards, tracker);
  DeliveryCheck delivery = tracker.Check([&](int c, int seq) { return Expected(o, mode, c, seq); });
  Json figures = ClientFigures(pool, tracker);
  Record(ctx, kind, label, figures, delivery, produced);
  return figures["events_per_client"];
}

}  // namespace

void RunBoards(BenchContext& ctx) {
  for (ServerKind kind : ctx.servers) {
    double boards = BoardsRun(ctx, kind, ChannelMode::kBoards);
    double everybody = boards < 0 ? -1 : BoardsRun(ctx, kind, ChannelMode::kEverybody);
    if (boards >= 0 && everybody > 0) {
      ctx.report->Set("boards: events per client, boards / everybody mode", kind,
                      boards / everybody);
    }
  }
  if (ctx.options.nodes > 0) BoardsRun(ctx, ServerKind::kNodes, ChannelMode::kBoards);
}

}  // namespace agor::bench
