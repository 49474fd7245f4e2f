// PresenceRelay: presence across nodes (issue 14, `--broker`). Each node tells the others of
// its own entries' changes through Redis pub/sub and keeps theirs in its Presence as remote
// entries, so a board's roster, its `presence *` events and its cursor frames span the nodes
// (presence.h says who hears them: the same privacy path as local entries).
//
// Channel `<prefix>presence`, messages presence_relay_message.h: upsert and remove as they
// happen, cursor and left as the origin's flush tick sends them (no more often than the local
// coalescing), and a beat every heartbeat_ms carrying the node's entry count. Each beat also
// refreshes `<prefix>presence:<node>` (SET ... PX timeout_ms) with a snapshot of the node's
// entries (at most kMaxPresenceSnapshotEntries) and adds the node to the set
// `<prefix>presence-nodes`. A node whose pub/sub comes up loads every listed node's snapshot
// (SMEMBERS, then GET each; a gone key's node is SREMed), so its rosters are complete after a
// restart or an outage; a beat whose count differs from the entries held of that node loads
// its snapshot again (at most once per timeout_ms a node). A snapshot replaces the node's
// entries: those absent leave (`presence removed`), a change racing it heals at the next beat.
//
// Liveness: a remote node unheard for timeout_ms (any message counts) has its entries removed
// (`presence removed` to the watchers): a node that dies leaves within the timeout. While this
// node's Redis is down it publishes nothing (no queue) and hears no one, so the others' entries
// leave after the timeout and come back from their snapshots once Redis is up; the others drop
// this node's the same way and load its snapshot at its next beat.
//
// Bounds: remote entries per node and in total (PresenceOptions); at most kMaxRemoteNodes
// remote nodes are tracked (messages of further ones are dropped until one times out). Every
// message is decoded strictly; a node's own messages (its random id) are skipped. Entries'
// presence_ids stay the origin's random ids; the recovery pid never leaves the node.
//
// Ownership: owns its RedisConnection (handed in unstarted); the presence and clock are
// borrowed and outlive it. Threading: the event loop only; destroy it before the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "base/status.h"
#include "server/net/redis_connection.h"
#include "server/realtime/presence.h"
#include "server/realtime/presence_relay_message.h"

namespace agor {

inline constexpr size_t kMaxRemoteNodes = 256;

struct PresenceRelayOptions {
  std::string prefix = "agor:";  // the broker's channel prefix
  int heartbeat_ms = 2000;       // beat and snapshot refresh
  int timeout_ms = 6000;         // a node unheard this long leaves; the snapshot key's TTL
};

class PresenceRelay : public PresenceListener {
 public:
  using Post = Presence::Post;
  struct Stats {
    int64_t published = 0;  // messages sent to Redis (beats included)
    int64_t received = 0;   // other nodes' messages taken (snapshots included)
    int64_t invalid = 0;    // messages or snapshots dropped as malformed
    int64_t expired = 0;    // remote nodes dropped as silent
  };

  // `node_id`: this node's random id. `post` runs a task on the loop after a delay.
  PresenceRelay(std::unique_ptr<RedisConnection> redis, Presence* presence, Clock* clock, Post post,
                std::string node_id, PresenceRelayOptions options = {});
  ~PresenceRelay() override;

  // Listens to the presence and starts the connection and the heartbeat.
  Status Start();
  void Close();
  const Stats& stats() const { return stats_; }
  bool up() const { return redis_->up(); }
  // Remote nodes currently tracked.
  size_t nodes() const { return remotes_.size(); }

  void Changed(const PresenceEntry& e) override;
  void Removed(const PresenceEntry& e) override;
  void CursorSent(const PresenceEntry& e, bool left, int64_t at_ms) override;

 private:
  struct Remote {
    int64_t seen_ms = 0;    // last message
    bool loaded = false;    // a snapshot load was asked
    int64_t loaded_ms = 0;  // when the last one was
  };

  void Tick();  // Beat and Expire, every heartbeat_ms
  void Send(PresenceRelayMessage m);
  void OnMessage(const std::string& payload);
  bool Heard(const std::string& node);
  void Apply(PresenceRelayMessage& m);
  void ApplySnapshot(PresenceRelayMessage& m);
  void Beat();
  void Expire();
  void LoadAll();
  void Load(const std::string& node);
  std::string KeyOf(const std::string& node) const { return prefix_ + "presence:" + node; }

  std::unique_ptr<RedisConnection> redis_;
  Presence* presence_;
  Clock* clock_;
  Post post_;
  std::string node_id_;
  PresenceRelayOptions options_;
  std::string prefix_, channel_, nodes_key_;
  std::unordered_map<std::string, Remote> remotes_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // posted ticks check it
  Stats stats_;
};

}  // namespace agor
