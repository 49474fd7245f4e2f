#include "server/realtime/presence_relay.h"

#include <unordered_set>
#include <utility>

#include "base/log.h"

namespace agor {

PresenceRelay::PresenceRelay(std::unique_ptr<RedisConnection> redis, Presence* presence,
                             Clock* clock, Post post, std::string node_id,
                             PresenceRelayOptions options)
    : redis_(std::move(redis)),
      presence_(presence),
      clock_(clock),
      post_(std::move(post)),
      node_id_(std::move(node_id)),
      options_(std::move(options)),
      prefix_(options_.prefix),
      channel_(prefix_ + "presence"),
      nodes_key_(prefix_ + "presence-nodes") {}

PresenceRelay::~PresenceRelay() {
  Close();
}

Status PresenceRelay::Start() {
  redis_->Subscribe(channel_, [this](const std::string& payload) { OnMessage(payload); });
  // Up (again): the others learn of this node's entries, and this node of theirs.
  redis_->OnState([this](bool up) {
    if (!up) return;
    Beat();
    LoadAll();
  });
  Status s = redis_->Start();
  if (!s.ok()) return s;
  presence_->SetListener(this);
  Tick();
  return Status::OK();
}

void PresenceRelay::Close() {
  *alive_ = false;
  if (presence_) presence_->SetListener(nullptr);
  presence_ = nullptr;
  redis_->Close();
}

void PresenceRelay::Tick() {
  Beat();
  Expire();
  post_(options_.heartbeat_ms, [this, alive = alive_] {
    if (*alive) Tick();
  });
}

void PresenceRelay::Changed(const PresenceEntry& e) {
  PresenceRelayMessage m;
  m.op = PresenceOp::kUpsert;
  m.entries.push_back(e);
  Send(std::move(m));
}

void PresenceRelay::Removed(const PresenceEntry& e) {
  PresenceRelayMessage m;
  m.op = PresenceOp::kRemove;
  m.presence_id = e.presence_id;
  Send(std::move(m));
}

void PresenceRelay::CursorSent(const PresenceEntry& e, bool left, int64_t at_ms) {
  PresenceRelayMessage m;
  m.op = left ? PresenceOp::kLeft : PresenceOp::kCursor;
  m.presence_id = e.presence_id;
  m.x = e.x;
  m.y = e.y;
  m.at_ms = at_ms;
  Send(std::move(m));
}

// Dropped while Redis is down: the beat after it comes back carries the whole state.
void PresenceRelay::Send(PresenceRelayMessage m) {
  if (!redis_->up()) return;
  m.node = node_id_;
  ++stats_.published;
  redis_->Command({"PUBLISH", channel_, EncodePresenceRelayMessage(m)}, [](Status, RedisReply) {});
}

void PresenceRelay::OnMessage(const std::string& payload) {
  PresenceRelayMessage m;
  Status s = DecodePresenceRelayMessage(payload, &m);
  if (s.ok() && m.op == PresenceOp::kSnapshot) s = Status::BadRequest("a snapshot on the channel");
  if (!s.ok()) {
    if (stats_.invalid++ % 1000 == 0)
      Log(LogLevel::kWarn, "presence relay: dropped a message: " + LogEscape(s.message()));
    return;
  }
  if (!presence_ || !Heard(m.node)) return;  // our own, back from Redis, or one node too many
  ++stats_.received;
  Apply(m);
}

// Marks `node` alive now; false for this node itself and for nodes past kMaxRemoteNodes.
bool PresenceRelay::Heard(const std::string& node) {
  if (node == node_id_) return false;
  auto it = remotes_.find(node);
  if (it == remotes_.end()) {
    if (remotes_.size() >= kMaxRemoteNodes) return false;
    it = remotes_.emplace(node, Remote{}).first;
  }
  it->second.seen_ms = clock_->NowMillis();
  return true;
}

void PresenceRelay::Apply(PresenceRelayMessage& m) {
  switch (m.op) {
    case PresenceOp::kUpsert:
      m.entries[0].node = m.node;
      presence_->PutRemote(std::move(m.entries[0]));
      return;
    case PresenceOp::kRemove:
      return presence_->RemoveRemote(m.node, m.presence_id);
    case PresenceOp::kCursor:
      return presence_->MoveRemote(m.node, m.presence_id, m.x, m.y, m.at_ms);
    case PresenceOp::kLeft:
      return presence_->LeaveRemote(m.node, m.presence_id, m.at_ms);
    case PresenceOp::kBeat:
      break;
    case PresenceOp::kSnapshot:
      return;
  }
  // A count that differs from what this node holds: something was missed (an outage, a
  // restart here or there); the snapshot says what is true, at most once per timeout.
  if (static_cast<int64_t>(presence_->registry().CountOf(m.node)) == m.count) return;
  const Remote& r = remotes_[m.node];
  if (!r.loaded || clock_->NowMillis() - r.loaded_ms >= options_.timeout_ms) Load(m.node);
}

// The node's entries become exactly the snapshot's (within the bounds).
void PresenceRelay::ApplySnapshot(PresenceRelayMessage& m) {
  std::unordered_set<std::string> keep;
  for (PresenceEntry& e : m.entries) {
    keep.insert(e.presence_id);
    e.node = m.node;
    presence_->PutRemote(std::move(e));
  }
  presence_->DropNode(m.node, keep);
}

// This node's snapshot refreshed (its TTL restarted) and a beat with its count.
void PresenceRelay::Beat() {
  if (!redis_->up() || !presence_) return;
  PresenceRelayMessage snapshot;
  snapshot.node = node_id_;
  snapshot.op = PresenceOp::kSnapshot;
  presence_->registry().ForEach([&](const PresenceEntry* e) {
    if (e->node.empty() && snapshot.entries.size() < kMaxPresenceSnapshotEntries)
      snapshot.entries.push_back(*e);
  });
  const std::string key = KeyOf(node_id_);
  redis_->Command(
      {"SET", key, EncodePresenceRelayMessage(snapshot), "PX", std::to_string(options_.timeout_ms)},
      [](Status, RedisReply) {});
  redis_->Command({"SADD", nodes_key_, node_id_}, [](Status, RedisReply) {});
  PresenceRelayMessage beat;
  beat.op = PresenceOp::kBeat;
  beat.count = static_cast<int64_t>(snapshot.entries.size());
  Send(std::move(beat));
}

// Nodes unheard for the timeout leave, with their entries.
void PresenceRelay::Expire() {
  const int64_t now = clock_->NowMillis();
  for (auto it = remotes_.begin(); it != remotes_.end();) {
    if (now - it->second.seen_ms < options_.timeout_ms) {
      ++it;
      continue;
    }
    if (presence_) presence_->DropNode(it->first);
    ++stats_.expired;
    it = remotes_.erase(it);
  }
}

// Every listed node's snapshot (this node's own skipped).
void PresenceRelay::LoadAll() {
  redis_->Command({"SMEMBERS", nodes_key_}, [this](Status s, RedisReply reply) {
    if (!s.ok() || !reply.is_array()) return;
    for (const RedisReply& node : reply.elements) {
      if (node.is_string() && node.str.size() <= 64 && Heard(node.str)) Load(node.str);
    }
  });
}

// GET the node's snapshot; a key gone (its node silent past the TTL) leaves the set.
void PresenceRelay::Load(const std::string& node) {
  Remote& r = remotes_[node];
  r.loaded = true;
  r.loaded_ms = clock_->NowMillis();
  redis_->Command({"GET", KeyOf(node)}, [this, node](Status s, RedisReply reply) {
    if (!s.ok() || !presence_) return;
    if (reply.is_nil()) {
      redis_->Command({"SREM", nodes_key_, node}, [](Status, RedisReply) {});
      return;
    }
    PresenceRelayMessage m;
    Status d = reply.is_string() ? DecodePresenceRelayMessage(reply.str, &m)
                                 : Status::BadRequest("not a string");
    if (!d.ok() || m.op != PresenceOp::kSnapshot || m.node != node) {
      ++stats_.invalid;
      return;
    }
    ++stats_.received;
    if (remotes_.count(node)) ApplySnapshot(m);
  });
}

}  // namespace agor
