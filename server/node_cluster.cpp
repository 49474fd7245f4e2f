// Node: what a node does with the other nodes of its cluster (issue 14, docs/scale-out.md):
// the Redis broker and its interest, the login-failure and presence relays, the task lease,
// the shared store's revocations, and the health they report. One node without --store and
// --broker takes none of it but the lease's SQLite recovery.
#include "base/ids.h"
#include "base/log.h"
#include "server/node.h"

namespace agor {

// Tasks left by dead daemons. A SQLite file has one daemon: the previous one is dead (its lock
// was free), so every running task and recorded agent is its, recovered at once. On a shared
// store they may be a live node's: each node holds a lease instead (task_lease.h), and a dead
// node's tasks are ended by the node that claims it, this one's former self included.
Status Node::WireLease() {
  const std::string node_id = NewUuid();
  tasks_->SetNode(node_id);
  tasks_->SetShared(IsPostgres());
  if (!IsPostgres()) {
    tasks_->RecoverAfterRestart();
    return Status::OK();
  }
  lease_ = std::make_unique<TaskLease>(store_.get(), tasks_.get(), SystemClock(), node_id,
                                       options_.lease_ms, &stats_.reclaimed);
  Status s = lease_->Start();
  if (s.ok()) web_->Every(lease_->interval_ms(), [this] { lease_->Tick(); });
  return s;
}

// Failed logins reach the other nodes' limiters (login_failure_relay.h), on a Redis
// connection of their own (the broker's carries fan-out only).
Status Node::WireLoginRelay() {
  RedisConnectionOptions ro;
  ro.url = options_.broker_url;
  login_relay_ = std::make_unique<LoginFailureRelay>(
      std::make_unique<RedisConnection>(web_->io_context(), ro), options_.broker.prefix, NewUuid(),
      [this](const LoginFailure& f) { auth_->CountRemoteFailure(f.email, f.address); });
  auth_->SetFailureHook([this](const std::string& email, const std::string& address,
                               int64_t at_ms) { login_relay_->Publish(email, address, at_ms); });
  metrics_->SetLoginRelay(login_relay_.get());
  return login_relay_->Start();
}

// Rosters span the nodes (presence_relay.h), on a Redis connection of their own too; a node
// unheard for three heartbeats leaves.
Status Node::WirePresenceRelay() {
  RedisConnectionOptions ro;
  ro.url = options_.broker_url;
  PresenceRelayOptions po;
  po.prefix = options_.broker.prefix;
  po.heartbeat_ms = options_.presence.heartbeat_ms;
  po.timeout_ms = 3 * po.heartbeat_ms;
  presence_relay_ = std::make_unique<PresenceRelay>(
      std::make_unique<RedisConnection>(web_->io_context(), ro), presence_.get(), SystemClock(),
      [web = web_.get()](int ms, std::function<void()> fn) { web->After(ms, std::move(fn)); },
      NewUuid(), po);
  metrics_->SetPresenceRelay(presence_relay_.get());
  return presence_relay_->Start();
}

// Every node takes in every change of users, boards and members (the global channel, always
// subscribed), and its hub's channels decide which boards' events Redis brings it. Channels
// are boards, so "everybody" mode (every event to every connection) has no filter to give:
// refused here, the flag's check says so first.
Status Node::WireRedisBroker() {
  if (options_.channels == ChannelMode::kEverybody)
    return Status::BadRequest("--channels everybody cannot run with --broker");
  RedisConnectionOptions ro;
  ro.url = options_.broker_url;
  auto redis = std::make_unique<RedisConnection>(web_->io_context(), ro);
  log_reader_ = std::make_unique<EventLogReader>(store_.get());
  auto broker = std::make_unique<RedisBroker>(web_->io_context(), std::move(redis), *SystemClock(),
                                              *log_reader_, options_.broker);
  redis_ = broker.get();
  broker_ = std::move(broker);
  metrics_->SetBroker(redis_);
  interest_ = std::make_unique<BrokerInterest>(
      broker_.get(), [this](const std::string& id) { return BoardOfSession(id); });
  hub_->SetInterestHook([this](Hub::ChannelKind kind, const std::string& id, bool wanted) {
    interest_->OnChannel(kind, id, wanted);
  });
  return Status::OK();
}

// The broker's state: while Redis is down this node's clients get other nodes' events only
// from the log, late, so the node says it is degraded (still 200: it serves).
void Node::AddHealth(Json* health) const {
  (*health)["store"] = {{"engine", IsPostgres() ? "postgresql" : "sqlite"}};
  if (!redis_) {
    (*health)["broker"] = {{"kind", "in-process"}, {"up", true}};
    return;
  }
  (*health)["broker"] = {{"kind", "redis"}, {"up", redis_->up()}, {"position", redis_->position()}};
  if (!redis_->up()) (*health)["status"] = "degraded";
}

// The board a session channel's events travel on (its board's broker channel).
std::string Node::BoardOfSession(const std::string& session_id) {
  Json record;
  if (!store_->Get("sessions", session_id, &record).ok()) return "";
  const Json& board = record["board_id"];
  return board.is_string() ? board.get<std::string>() : "";
}

// Another node's logouts and password changes, for the calls of this node's open connections
// (a JWT being resolved reads its own rows at once: Store::IsTokenRevokedNow).
void Node::RefreshTokens() {
  Status s = store_->RefreshTokens();
  if (!s.ok()) Log(LogLevel::kWarn, "re-reading the revoked tokens failed: " + s.message());
}

}  // namespace agor
