// The benchmark's scenarios. Each runs on every server of the context, one after the other,
// each time on a freshly started server with a fresh database; each adds table rows and JSON
// runs to the report and checks what must hold (no missing events, all clients connected).
//   fanout   N clients receive `messages created` while a producer creates M messages by REST,
//            at full speed (16 in flight) then paced: events/s, server CPU per delivered event,
//            create->receive latency, missing events per client.
//   rest     POST /messages at C keep-alive connections for T seconds: creates/s, latency.
//   boards   B boards x K clients (handshake ?board_id=), events spread over the boards, agor's
//            boards mode against everybody mode (the peer's CHANNELS=board/everybody): events
//            and bytes per client.
//   idle     server RSS with 0 and growing numbers of idle clients, then one event to all.
//   connect  new Socket.IO connections per second until N are open.
//   login-storm  agor (and its nodes) only: the paced fanout run quiet, then while L clients
//            log in at once over and over (Argon2id on agor's worker thread): fan-out p99 must
//            not move.
//   crowd    agor only: C clients on one board, opened by generator processes (each its own
//            epoll loop and source address 127.0.0.x, under the open-files limit), spread over
//            the --nodes (or one agor); then one create: connections held, server RSS per
//            connection, time until the broadcast reached all, how many got it. See
//            scenario_crowd.cpp.
//   presence B boards x K clients (handshake ?board_id=; on agor also `presence` create), each
//            sending `cursor-move` at R/s for T s: moves the server received, cursor updates
//            delivered (same board, cross-board, self), server CPU per received move and per
//            delivered update, move->receive latency, RSS. See scenario_presence.cpp.
// With --nodes N every scenario but crowd runs on N agor nodes too (ServerKind kNodes,
// Deployment) after the usual servers, in boards mode (the nodes' only mode: boards runs its
// boards mode only there), the clients and the producer's connections spread round-robin over
// the nodes; with --nodes the one-node runs are in boards mode as well, so the columns compare
// alike (fanout's, idle's and login-storm's clients join the messages' board at the handshake).
// Every request and Socket.IO CONNECT to agor presents its admin's API key (ServerProcess's
// token()); the peer has no authentication and gets none.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "bench/client_pool.h"
#include "bench/cluster.h"
#include "bench/deployment.h"
#include "bench/event_loop.h"
#include "bench/fixtures.h"
#include "bench/options.h"
#include "bench/proc_stats.h"
#include "bench/report.h"
#include "bench/server_process.h"

namespace agor::bench {

struct BenchContext {
  const BenchOptions& options;
  ServerPaths paths;
  std::vector<ServerKind> servers;
  Report* report;
  Cluster* cluster;  // the --nodes deployment's services
};

void RunFanout(BenchContext& ctx);
void RunRest(BenchContext& ctx);
void RunBoards(BenchContext& ctx);
void RunIdle(BenchContext& ctx);
void RunConnect(BenchContext& ctx);
void RunLoginStorm(BenchContext& ctx);
void RunPresence(BenchContext& ctx);
void RunCrowd(BenchContext& ctx);

// Runs the scenario called name; false for an unknown name.
bool RunScenario(const std::string& name, BenchContext& ctx);

// Helpers shared by the scenarios.
// Runs `run` for every server of the context, then (with --nodes) for the nodes; agor_only
// skips the peer.
void ForEachDeployment(BenchContext& ctx, const std::function<void(ServerKind)>& run,
                       bool agor_only = false);
// agor's kinds (one daemon or its nodes), which authenticate, count and keep presence.
inline bool IsAgor(ServerKind kind) {
  return kind != ServerKind::kPeer;
}
// The channel mode of the scenarios that run on --nodes: boards (the nodes' only mode) on
// every deployment when --nodes is given, so that one node and the nodes compare alike.
ChannelMode ModeFor(const BenchContext& ctx);
// With --nodes, every client joins board_id at its handshake (boards mode delivers the board's
// events to its subscribers only); without, no query (nullptr).
ClientPool::QueryFn BoardQueryFor(const BenchContext& ctx, const std::string& board_id);
// Starts a deployment (kNodes: ctx's cluster with --nodes nodes); on failure records a failed
// check and returns false.
bool StartDeployment(BenchContext& ctx, ServerKind kind, ChannelMode mode, Deployment* out);
// StartDeployment, then creates `boards` boards with one session each through the loop (on the
// first server: the nodes share their store).
bool StartWithBoards(BenchContext& ctx, ServerKind kind, ChannelMode mode, int boards,
                     Deployment* server, EventLoop* loop, std::vector<BoardSession>* out);
// Opens count more clients of the pool with the configured handshakes in flight, bounded by
// 10 s + 20 ms per client.
ConnectStats OpenClients(BenchContext& ctx, ClientPool* pool, int count,
                         const ClientPool::QueryFn& query = nullptr);
// Records a failed check when some clients did not connect; true when all did.
bool CheckConnected(BenchContext& ctx, ServerKind kind, const std::string& label,
                    const ConnectStats& stats);
// The rows of a run of `items` things at a rate: "<label>: <rate>" (per_s), "<latency> p50"
// and "p99 (ms)", server and generator "CPU per <unit> (us)".
struct RateRows {
  const char* rate;     // e.g. "connections/s"
  const char* latency;  // e.g. "handshake"
  const char* unit;     // e.g. "connection"
};
void AddRateRows(BenchContext& ctx, ServerKind kind, const std::string& label,
                 const RateRows& names, double per_s, const LatencySummary& latency,
                 const CpuUsage& cpu, int64_t items);
// With --nodes, "<label>: redis CPU per <unit> (us)" and the postgres one: set for the nodes,
// reserved on the other runs so that the rows keep their place before the rows that follow.
void AddServiceCpuRows(BenchContext& ctx, ServerKind kind, const std::string& label,
                       const char* unit, const CpuUsage& cpu, int64_t items);
// Adds "<label>: foreign CPU (s)": other work on the machine during a measurement (noise).
void ReportForeignCpu(BenchContext& ctx, ServerKind kind, const std::string& label,
                      const CpuUsage& cpu);
// CPU ns per item in microseconds (0 when there are no items).
double MicrosPer(int64_t ns, int64_t items);
double Mib(int64_t kib);
// A short line on stderr so a long run shows progress.
void Progress(const std::string& line);

}  // namespace agor::bench
