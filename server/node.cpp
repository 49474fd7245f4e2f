#include "server/node.h"

#include <algorithm>
#include <cstdio>

#include "base/ids.h"
#include "base/log.h"

namespace agor {
namespace {

// Adds CORS headers to whatever the wrapped handler answers, now or later.
class CorsReply : public HttpReply {
 public:
  CorsReply(const OriginPolicy* policy, HttpRequest req, std::shared_ptr<HttpReply> inner)
      : policy_(policy), req_(std::move(req)), inner_(std::move(inner)) {}
  void Send(const HttpResponse& response) override {
    HttpResponse res = response;
    policy_->AddCorsHeaders(req_, &res);
    inner_->Send(res);
  }

 private:
  const OriginPolicy* policy_;
  HttpRequest req_;
  std::shared_ptr<HttpReply> inner_;
};

// Times one HTTP request to its answer (the latency histogram of its route class and method)
// and, at debug level, logs it in one line; then hands the answer on. The line's text is only
// built when debug is on.
class TimedReply : public HttpReply {
 public:
  TimedReply(ServerStats* stats, const HttpRequest& req, std::shared_ptr<HttpReply> inner)
      : inner_(std::move(inner)), started_us_(SteadyClock()->NowMicros()) {
    auto route =
        static_cast<size_t>(EngineServer::Owns(req.path) ? HttpRoute::kPolling : HttpRoute::kRest);
    histogram_ = &stats->http_latency[route][MetricIndex(kHttpMethodNames, req.method)];
    if (LogEnabled(LogLevel::kDebug)) {
      line_ = "http " + LogEscape(req.head ? "HEAD" : req.method, 16) + " " +
              LogEscape(req.path, 300) + " ";
    }
  }
  void Send(const HttpResponse& response) override {
    int64_t us = SteadyClock()->NowMicros() - started_us_;
    histogram_->Observe(us);
    if (!line_.empty())
      Log(LogLevel::kDebug, line_ + std::to_string(response.status) + " " + Ms(us));
    inner_->Send(response);
  }

  // "1.234 ms"
  static std::string Ms(int64_t us) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(us) / 1000.0);
    return buf;
  }

 private:
  std::shared_ptr<HttpReply> inner_;
  int64_t started_us_;
  LatencyHistogram* histogram_;
  std::string line_;  // "http GET /boards " at debug level, else empty
};

// A refusal as Feathers error JSON (outside text in it is made valid, never thrown on).
HttpResponse StatusResponse(const Status& status) {
  HttpResponse res;
  res.status = status.http_status();
  res.body = status.ToJsonText();
  return res;
}

}  // namespace

Node::Node() = default;

Node::~Node() {
  // A batch still open answers its waiting replies while their connections exist.
  if (store_) store_->Commit();
  // The hasher first: its workers join, and answers not yet run are dropped with the loop.
  // Then agents (their callbacks post to the loop), then the connections, which refer to
  // the layers below them.
  hasher_.reset();
  lease_.reset();
  tasks_.reset();
  processes_.reset();
  paths_.reset();
  // The Redis users' sockets and timers belong to the web server's io_context: gone before it.
  login_relay_.reset();
  presence_relay_.reset();
  if (hub_) hub_->SetInterestHook(nullptr);  // connections closing below leave no channel here
  interest_.reset();
  redis_ = nullptr;
  broker_.reset();
  web_.reset();
  engine_.reset();
  sockets_.reset();
  presence_.reset();
}

Status Node::Start(const NodeOptions& options) {
  options_ = options;
  Status s = Store::Open(options.store, SystemClock(), &store_);
  if (s.ok()) s = Bootstrap();
  if (!s.ok()) return s;
  stats_.started_ms = SystemClock()->NowMillis();
  std::string agent_dir;  // after Open, which created the database's folder
  s = AgentPaths::DefaultDirectory(RealFileSystem(), DataAnchor(), options.agent_workdir,
                                   &agent_dir);
  if (!s.ok()) return s;
  paths_ = std::make_unique<AgentPaths>(RealFileSystem(), agent_dir);
  web_ = std::make_unique<WebServer>();
  hub_ = std::make_unique<Hub>(options.channels, &store_->access(), SystemClock());
  processes_ = std::make_unique<ProcessSupervisor>(
      [web = web_.get()](std::function<void()> fn) { web->Post(std::move(fn)); });
  tasks_ = std::make_unique<TaskManager>(
      store_.get(),
      [this](const Event& ev) {
        ++stats_.streamed;
        PublishLive(ev);
      },
      processes_.get(), paths_.get(), SystemClock(),
      [web = web_.get()](int ms, std::function<void()> fn) { web->After(ms, std::move(fn)); },
      options.stop_grace_ms);
  dispatcher_ = std::make_unique<Dispatcher>(store_.get(), SystemClock());
  s = WireAuth();
  if (!s.ok()) return s;
  // The agents' routes: registered here so the api layer does not know the agents.
  dispatcher_->AddRecordRoute("sessions", "prompt",
                              [tasks = tasks_.get()](const std::string& id, const Json& data,
                                                     const Caller& caller, Json* result) {
                                return tasks->Prompt(id, data, result, caller.user_id);
                              });
  dispatcher_->AddRecordRoute(
      "sessions", "stop",
      [tasks = tasks_.get()](const std::string& id, const Json&, const Caller&, Json* result) {
        return tasks->Stop(id, result);
      });
  // A repo's local_path must be a directory; a removal stops its agents before it happens.
  dispatcher_->AddWriteCheck(
      [paths = paths_.get(), tasks = tasks_.get()](const ServiceCall& call, const std::string& id) {
        if (call.path == "repos" && call.method != "remove")
          return paths->CheckLocalPath(call.data);
        if (call.method == "remove") tasks->BeforeRemove(call.path, id);
        return Status::OK();
      });
  router_ = std::make_unique<RestRouter>(dispatcher_.get(), SystemClock(), &stats_);
  router_->SetCredentials(auth_.get());
  router_->SetHealth([this](Json* health) { AddHealth(health); });
  // A recovery pauses well before the send queue's bound, which would drop the client.
  SocketIoOptions socketio = options.socketio;
  socketio.on_call = [this](const CallReport& report) { OnCall(report); };
  socketio.replay_high_water =
      std::min(socketio.replay_high_water, options.engine.max_queue_bytes / 4);
  if (!options.broker_url.empty())
    socketio.live_position = [this] { return redis_ ? redis_->position() : 0; };
  sockets_ = std::make_unique<SocketIoServer>(
      store_.get(), dispatcher_.get(), auth_.get(), hub_.get(), SystemClock(), options.retention,
      [web = web_.get()](int delay_ms, std::function<void()> fn) {
        if (delay_ms <= 0) return web->Post(std::move(fn));
        web->After(delay_ms, std::move(fn));
      },
      socketio);
  WirePresence();
  engine_ = std::make_unique<EngineServer>(sockets_.get(), SystemClock(), &stats_, options.engine);
  metrics_ = std::make_unique<MetricsPage>(&stats_, store_.get(), engine_.get(), hub_.get(),
                                           SystemClock());
  metrics_->SetPresence(presence_.get());
  // Metrics are open to whoever can reach a loopback bind (this machine), else admins only.
  router_->SetMetricsPage([this] { return metrics_->Render(); },
                          HostPolicy::IsLoopback(options.web.host));
  // Group commit: the writes of one loop turn (all requests read together) share a COMMIT,
  // run once the loop has handled what was ready.
  store_->SetCommitScheduler([this] {
    web_->Post([this] {
      if (!store_->batch_open()) return;  // committed early (a Socket.IO recovery)
      ++stats_.commits;
      store_->Commit();
    });
  });
  store_->SetCommitTimer([this](int64_t us) { stats_.commit_latency.Observe(us); });
  // The feed's live events (seq-less) go through the relay, which paces their patches.
  activity_ = std::make_unique<ActivityRelay>(
      [this](const Event& ev) { PublishLive(ev); },
      [web = web_.get()](int ms, std::function<void()> fn) { web->After(ms, std::move(fn)); });
  store_->SetActivityListener([this](const Event& ev) { activity_->Offer(ev); });
  s = WireBroker();
  if (!s.ok()) return s;
  WireHttp();
  WireWebSocket();
  s = web_->Listen(options.web);
  if (!s.ok()) return s;
  // Made once the port is known (--port 0): a Host or origin must name the daemon's own.
  hosts_ = std::make_unique<HostPolicy>(options.web.host, web_->port(), options.allowed_hosts);
  std::vector<std::string> origins = options.cors_origins;
  for (auto& own : OriginPolicy::OwnOrigins(web_->port(), hosts_->names()))
    origins.push_back(std::move(own));
  origins_ = std::make_unique<OriginPolicy>(std::move(origins));
  s = WriteCredentials();  // the url is known now, and nothing is served before Run
  if (!s.ok()) return s;
  Log(LogLevel::kInfo, "agents of sessions without a repo run in " + paths_->default_dir());
  s = WireLease();
  if (!s.ok()) return s;
  Prune();
  // Heartbeats are checked often enough to keep short ping intervals on time.
  int tick_ms =
      static_cast<int>(std::clamp<int64_t>(options.engine.ping_interval_ms / 4, 20, 1000));
  web_->Every(tick_ms, [this] { engine_->Tick(); });
  web_->Every(60000, [this] { Prune(); });
  if (IsPostgres()) web_->Every(kTokenRefreshMs, [this] { RefreshTokens(); });
  web_->Every(presence_->SweepIntervalMs(), [this] { presence_->Sweep(); });
  web_->OnStop([this] {
    engine_->ReleasePolls();
    if (redis_) redis_->Close();  // the loop's run() returns once Redis's sockets close
    if (login_relay_) login_relay_->Close();
    if (presence_relay_) presence_relay_->Close();
  });
  return Status::OK();
}

// The first start of an empty database: its admin (the file is written once the url is known).
Status Node::Bootstrap() {
  bool created = false;
  Status s = EnsureAdmin(store_.get(), &created, &admin_);
  if (!s.ok()) return Status(s.code(), "creating the admin user: " + s.message());
  if (!created) admin_ = AdminCredentials();
  return Status::OK();
}

Status Node::WriteCredentials() {
  std::string path = AdminCredentialsPath(DataAnchor());
  if (admin_.user_id.empty() || path.empty()) return Status::OK();
  Status s = WriteAdminCredentials(path, admin_, url());
  if (!s.ok()) return s;
  Log(LogLevel::kInfo, "created the admin user " + admin_.email + "; credentials in " + path);
  return Status::OK();
}

bool Node::IsPostgres() const {
  return IsPostgresUrl(options_.store.path);
}

// A path in the node's data folder, as a SQLite file's path is in its own: the functions that
// place the node's files (admin-credentials, the agents' default folder) take its folder.
std::string Node::DataAnchor() const {
  if (options_.data_dir.empty()) return options_.store.path;
  return options_.data_dir + "/agor.db";
}

// Presence lives in the real-time layer: the Socket.IO server hands it the connections' calls
// and cursors, and the dispatcher its REST finds through a hook (api may not include realtime).
// Cursors are held for a recipient well before its send queue's bound.
void Node::WirePresence() {
  PresenceOptions o = options_.presence;
  o.backlog_bytes = std::min(o.backlog_bytes, options_.engine.max_queue_bytes / 4);
  presence_ = std::make_unique<Presence>(
      store_.get(), hub_.get(), SystemClock(),
      [web = web_.get()](int delay_ms, std::function<void()> fn) {
        web->After(delay_ms, std::move(fn));
      },
      o);
  sockets_->SetPresence(presence_.get());
  dispatcher_->AddService("presence", [p = presence_.get()](const ServiceCall& call, Json* out) {
    return p->Call(call, nullptr, "", out);
  });
}

// Committed events go out through the broker (in process: delivered at once, on the commit's
// stack); what it delivers reaches this node's connections and presence. With a remote broker
// the same delivery receives the other nodes' events too.
Status Node::WireBroker() {
  if (options_.broker_url.empty()) {
    broker_ = std::make_unique<InProcessBroker>();
  } else {
    Status s = WireRedisBroker();
    if (!s.ok()) return s;
  }
  broker_->SetDelivery([this](const Event& ev) { Deliver(ev); });
  broker_->SetLiveDelivery(
      [this](const Event& ev) { stats_.deliveries += static_cast<int64_t>(hub_->Publish(ev)); });
  store_->SetCommitListener([this](const Event& ev) {
    ++stats_.events;
    if (broker_) broker_->Publish(ev);  // none once the node is being destroyed
  });
  if (!redis_) return Status::OK();
  Status s = WireLoginRelay();
  if (s.ok()) s = WirePresenceRelay();
  return s.ok() ? redis_->Start() : s;
}

// A seq-less event made here (streamed text, the feed's live events): to this node's
// connections at once, and to the other nodes' through the broker (best effort, broker.h).
void Node::PublishLive(const Event& ev) {
  stats_.deliveries += static_cast<int64_t>(hub_->Publish(ev));
  if (broker_) broker_->PublishLive(ev);  // none once the node is being destroyed
}

// Another node's event changes who may see what here as this node's own did at its commit:
// taken in before the hub routes it (applying an own event again is harmless, see
// Store::TakeInRemote).
void Node::Deliver(const Event& ev) {
  if (redis_) store_->TakeInRemote(ev);
  if (interest_) interest_->OnEvent(ev);  // a followed session moved: follow its new board
  size_t sent = hub_->Publish(ev);
  stats_.deliveries += static_cast<int64_t>(sent);
  presence_->OnCommitted(ev);  // after the policy took the event in: revocations hold
  tasks_->OnDelivered(ev);     // a stop made on another node, of a task running here
  if (LogEnabled(LogLevel::kDebug)) {
    Log(LogLevel::kDebug, "event " + std::to_string(ev.seq) + " " + ev.service + " " + ev.event +
                              " to " + std::to_string(sent) + " clients");
  }
}

// Password hashes on a worker (its answers posted to the loop), and the Authenticator that
// logs in and resolves credentials for both transports.
Status Node::WireAuth() {
  hasher_ = std::make_unique<PasswordHasher>(
      [web = web_.get()](std::function<void()> fn) { web->Post(std::move(fn)); },
      PasswordHasher::Options());
  Status s = Authenticator::Create(store_.get(), hasher_.get(), SystemClock(), options_.token_ttl_s,
                                   &auth_);
  if (!s.ok()) return s;
  dispatcher_->SetAuthentication(auth_.get(), hasher_.get(), &stats_);
  return Status::OK();
}

void Node::WireHttp() {
  web_->SetHttpHandler([this](const HttpRequest& req, std::shared_ptr<HttpReply> reply) {
    reply = std::make_shared<TimedReply>(&stats_, req, std::move(reply));
    Status allowed = hosts_->Check(req);
    if (allowed.ok()) allowed = origins_->Check(req);
    if (!allowed.ok()) return reply->Send(StatusResponse(allowed));
    if (OriginPolicy::IsPreflight(req)) return reply->Send(origins_->Preflight(req));
    // Only browsers send Origin; other clients' answers need no CORS headers (nor a copy of
    // their request).
    std::shared_ptr<HttpReply> cors = std::move(reply);
    if (!req.Header("origin").empty())
      cors = std::make_shared<CorsReply>(origins_.get(), req, std::move(cors));
    if (EngineServer::Owns(req.path)) {
      // A long-polling GET takes the packets it answers with: a HEAD would lose them.
      if (req.head)
        return cors->Send(StatusResponse(Status::MethodNotAllowed("HEAD is not allowed here")));
      return engine_->HandleHttp(req, cors);
    }
    // Sent once what the request wrote (or read of a batch still open) is committed.
    router_->Handle(req, [this, cors](const HttpResponse& res) {
      store_->AfterCommit([cors, res](const Status& committed) {
        cors->Send(committed.ok() ? res : StatusResponse(committed));
      });
    });
  });
}

void Node::WireWebSocket() {
  WsHandlers h;
  h.accept = [this](const HttpRequest& req) {
    if (!EngineServer::Owns(req.path)) return Status::NotFound("Path " + req.path + " not found");
    Status s = hosts_->Check(req);
    if (s.ok()) s = origins_->Check(req);
    return s.ok() ? engine_->AcceptWs(req) : s;
  };
  h.open = [this](WsConnection* ws, const HttpRequest& req) { engine_->OnWsOpen(ws, req); };
  h.message = [this](WsConnection* ws, std::string_view text) { engine_->OnWsMessage(ws, text); };
  h.close = [this](WsConnection* ws) { engine_->OnWsClose(ws); };
  web_->SetWsHandlers(std::move(h));
}

// A Socket.IO call answered: into its method's histogram, and one line at debug level.
void Node::OnCall(const CallReport& report) {
  stats_.call_latency[MetricIndex(kCallMethodNames, report.method)].Observe(report.micros);
  if (!report.ok) ++stats_.call_errors;
  if (!LogEnabled(LogLevel::kDebug)) return;
  Log(LogLevel::kDebug, "socket.io " + LogEscape(report.method, 32) + " " +
                            LogEscape(report.path, 200) + (report.ok ? " ok " : " error ") +
                            TimedReply::Ms(report.micros));
}

// Keeps the event log (and the recovery states that point into it) within retention.
void Node::Prune() {
  const Retention& r = options_.retention;
  int64_t min_ts = r.age_ms > 0 ? SystemClock()->NowMillis() - r.age_ms : 0;
  int64_t removed = 0;
  Status s = store_->event_log()->Prune(r.count, min_ts, &removed);
  if (s.ok() && min_ts > 0) s = store_->PruneClientStates(min_ts);
  if (s.ok()) s = store_->PruneActivity();  // the feed keeps what the log keeps
  if (!s.ok()) Log(LogLevel::kWarn, "pruning the event log failed: " + s.message());
  if (removed > 0) Log(LogLevel::kDebug, "pruned " + std::to_string(removed) + " events");
}

// An IPv6 literal is bracketed, or the URL would not parse ("http://[::1]:3030").
std::string Node::url() const {
  const std::string& host = options_.web.host;
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(web_ ? web_->port() : 0);
}

int Node::port() const {
  return web_ ? web_->port() : 0;
}

void Node::Run() {
  web_->Run();
  if (lease_) lease_->Release();  // the loop is over: another node takes what is left now
  store_->Commit();
  Log(LogLevel::kInfo, IsPostgres() ? std::string("shutting down")
                                    : "shutting down: checkpointing " + options_.store.path);
  store_->Checkpoint();
}

void Node::Stop() {
  if (web_) web_->Stop();
}

}  // namespace agor
