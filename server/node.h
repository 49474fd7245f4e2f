// Node: the facade `agor serve` runs. It owns the store, the dispatcher, the REST router, the
// real-time layers (Engine.IO sessions, Socket.IO clients, the channel Hub, presence) and the
// web server; the agents' process supervisor and task manager; it publishes each committed
// event through the Broker, whose delivery hands it to the Hub and presence (the activity
// feed's events go to the Hub through the ActivityRelay, which paces their patches): in
// process by default (server/realtime/in_process_broker.h), or Redis between nodes with
// --broker (redis_broker.h: the hub's channels drive its subscriptions through
// BrokerInterest, other nodes' events are taken into the access policy before the hub routes
// them, recoveries replay up to its position, and its gaps fill from the event log),
// checks Host headers and browser origins (answering CORS preflights), prunes the event log in
// the background, and shuts down cleanly: stop accepting, close sockets with a reason, finish
// in-flight requests, checkpoint the WAL. On a PostgreSQL store it holds a lease on its agents'
// tasks and claims dead nodes' (TaskLease); on a SQLite file it recovers the previous
// daemon's tasks at start.
//
// Identity: the first start of an empty database creates the admin and writes its
// `admin-credentials` in the data folder (--data-dir; by default beside a SQLite file) once the
// port is bound and before any request is served (server/api/bootstrap.h); logins hash on the
// PasswordHasher's worker, whose answers come back through the loop; the Authenticator resolves
// every request's credential (REST) and every connection's (Socket.IO).
//
// It also keeps the metrics (ServerStats, served by the MetricsPage at GET /metrics): every
// HTTP request and Socket.IO call is timed to its answer, every COMMIT to its end, every
// publish counted with its recipients. At --log-level debug each request and call gets one
// log line (method, path without its query, status, ms; outside text escaped); at info no
// line is formatted.
//
// Thread-safety: Run() blocks the calling thread, which becomes the event loop; Stop() may be
// called from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "server/agents/agent_paths.h"
#include "server/agents/process_supervisor.h"
#include "server/agents/task_lease.h"
#include "server/agents/task_manager.h"
#include "server/api/authenticator.h"
#include "server/api/bootstrap.h"
#include "server/api/dispatcher.h"
#include "server/api/password_hasher.h"
#include "server/api/rest_router.h"
#include "server/metrics_page.h"
#include "server/net/host_policy.h"
#include "server/net/origin_policy.h"
#include "server/net/web_server.h"
#include "server/realtime/activity_relay.h"
#include "server/realtime/broker_interest.h"
#include "server/realtime/engine_server.h"
#include "server/realtime/event_log_reader.h"
#include "server/realtime/hub.h"
#include "server/realtime/in_process_broker.h"
#include "server/realtime/login_failure_relay.h"
#include "server/realtime/presence.h"
#include "server/realtime/presence_relay.h"
#include "server/realtime/redis_broker.h"
#include "server/realtime/socketio_server.h"
#include "store/store.h"

namespace agor {

struct NodeOptions {
  WebServerOptions web;
  StoreOptions store;
  EngineOptions engine;
  SocketIoOptions socketio;
  ChannelMode channels = ChannelMode::kBoards;
  std::vector<std::string> cors_origins = {"http://localhost:5173"};
  std::vector<std::string> allowed_hosts;  // Host names besides localhost and the loopback IPs
  Retention retention;                     // how much of the event log recovery replays
  int stop_grace_ms = 3000;                // SIGTERM -> SIGKILL delay when a task is stopped
  std::string agent_workdir;        // where agents without a repo run; "" = the database's folder
  int64_t token_ttl_s = 24 * 3600;  // lifetime of the access tokens logins issue
  PresenceOptions presence;         // grace, typing and idle times (cursor limits fixed)
  std::string
      data_dir;  // admin-credentials, agents' default workdir; "" = the SQLite file's folder
  std::string broker_url;       // redis://HOST[:PORT][/DB]; "" = in process (one node)
  RedisBroker::Options broker;  // channel prefix, tick and fill delays
  int64_t lease_ms = 30000;     // on a shared store: a node silent this long is dead
};

class Node {
 public:
  Node();
  ~Node();

  // Opens the store and binds the port. Errors name what failed (database or port).
  Status Start(const NodeOptions& options);
  // "http://127.0.0.1:3030" once started.
  std::string url() const;
  // The bound port once started (what --port 0 picked).
  int port() const;
  // The admin this start created (first start of an empty database), else empty: what
  // `admin-credentials` holds, for in-process tests of a `:memory:` database.
  const AdminCredentials& created_admin() const { return admin_; }
  // Serves until Stop() or SIGINT/SIGTERM, then checkpoints the store.
  void Run();
  void Stop();

 private:
  Status Bootstrap();
  std::string DataAnchor() const;
  bool IsPostgres() const;  // the store is a postgresql:// URL (else a SQLite file)
  Status WriteCredentials();
  Status WireAuth();
  void WireHttp();
  void WireWebSocket();
  void WirePresence();
  Status WireLease();
  Status WireBroker();
  Status WireRedisBroker();
  Status WireLoginRelay();
  Status WirePresenceRelay();
  std::string BoardOfSession(const std::string& session_id);
  // GET /health's store and broker fields; the status "degraded" while the broker is down.
  void AddHealth(Json* health) const;
  void Deliver(const Event& ev);      // an event the broker delivers, to connections and presence
  void PublishLive(const Event& ev);  // a seq-less event of this node's, here and to the others
  void OnCall(const CallReport& report);
  void Prune();
  void RefreshTokens();  // a shared store's revocations, re-read (Store::RefreshTokens)

  NodeOptions options_;
  ServerStats stats_;
  std::unique_ptr<HostPolicy> hosts_;
  std::unique_ptr<OriginPolicy> origins_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<WebServer> web_;
  std::unique_ptr<AgentPaths> paths_;
  std::unique_ptr<ProcessSupervisor> processes_;
  std::unique_ptr<TaskManager> tasks_;
  std::unique_ptr<TaskLease> lease_;  // PostgreSQL only: this node's, and dead nodes' claims
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<Authenticator> auth_;
  AdminCredentials admin_;  // set when this start created the admin
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<RestRouter> router_;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<Broker> broker_;                  // InProcessBroker, or redis_ with --broker
  RedisBroker* redis_ = nullptr;                    // broker_ when it is the Redis one
  std::unique_ptr<EventLogReader> log_reader_;      // the Redis broker's gap fills
  std::unique_ptr<BrokerInterest> interest_;        // the hub's channels -> Redis subscriptions
  std::unique_ptr<LoginFailureRelay> login_relay_;  // login limits shared with the other nodes
  std::unique_ptr<Presence> presence_;
  std::unique_ptr<PresenceRelay> presence_relay_;  // rosters shared with the other nodes
  std::unique_ptr<ActivityRelay> activity_;
  std::unique_ptr<SocketIoServer> sockets_;
  std::unique_ptr<EngineServer> engine_;
  std::unique_ptr<MetricsPage> metrics_;
};

}  // namespace agor
