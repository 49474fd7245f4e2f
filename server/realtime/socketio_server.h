// SocketIoServer: the Socket.IO v5 + Feathers layer over Engine.IO sessions. It owns one Client
// per session: CONNECT (with connection-state recovery), DISCONNECT, Feathers calls answered
// error-first through the Services (the api layer's dispatcher), and the `subscriptions` service
// that joins channels.
//
// Recovery: the CONNECT reply carries a `pid` whose subscriptions are kept in the store. A
// client reconnecting with {pid, offset} gets its subscriptions back and, before the CONNECT
// reply (as stock socket.io does), every event after `offset` it would have received, read
// from the durable event log: this holds across daemon restarts. When events after the offset
// were pruned, or the pid is unknown, the client gets a fresh pid and is told it was not
// recovered. The replay goes out `replay_slice` events per loop turn (posted), so a long one
// never holds the loop, and waits while the client's queue is past `replay_high_water`, so a
// long one is not dropped as a slow reader (one that never reads misses its pings and goes);
// the client joins its channels in the turn that reads the log's end,
// after committing the open batch, so each event reaches it once, in order, from the log or
// live.
//
// A call refused before it reaches a service (its JSON breaks the entry rule, or its shape is
// wrong) is answered with a 400 error ack when it has an ack id; the connection stays.
//
// Event format: `?agor_events=log` at the handshake makes the connection get logged events as
// log entries (hub.h), live and in recovery replays; any other value is a CONNECT_ERROR.
//
// Bounds: a client joins at most `max_subscriptions` channels (429 past it); the handshake's
// `?board_id=a,b` names at most `max_query_boards` boards, each of which must exist, or the
// CONNECT gets a CONNECT_ERROR naming the first that does not.
//
// Threading: the daemon's event loop only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/realtime/engine_server.h"
#include "server/realtime/hub.h"
#include "server/wire/feathers_call.h"
#include "server/wire/service_call.h"
#include "server/wire/socketio.h"
#include "store/store.h"

namespace agor {

struct Client;

// One Feathers call as the daemon's request log and metrics see it, once it is answered.
struct CallReport {
  std::string path;    // as the client sent it: outside text, escape it before printing
  std::string method;  // likewise ("find", ..., or whatever came)
  bool ok = false;     // answered with a result, not an error
  int64_t micros = 0;  // from its arrival to its acknowledgement (after the commit), SteadyClock
};

struct SocketIoOptions {
  size_t max_subscriptions = 10000;    // channels (boards + sessions) one client may join; a
                                       // watcher of every board joins each, so not too few
  size_t max_query_boards = 100;       // ids in the handshake's ?board_id=a,b
  size_t replay_slice = 500;           // events a recovery sends per loop turn
  size_t replay_high_water = 1 << 20;  // a recovery waits while more is queued to the client
  // Optional: told of each call once answered (unanswered ones: once handled). Only when
  // set are calls timed and their names copied.
  std::function<void(const CallReport&)> on_call;
};

class SocketIoServer : public EngineHandler {
 public:
  // Runs a function on a later turn of the event loop, after `delay_ms` (0: next turn).
  using Post = std::function<void(int delay_ms, std::function<void()>)>;

  // Everything is borrowed and must outlive the server (and the tasks it posts).
  SocketIoServer(Store* store, Services* services, Hub* hub, Clock* clock, Retention retention,
                 Post post, SocketIoOptions options = {});
  ~SocketIoServer() override;

  void OnOpen(EngineSocket* socket) override;
  void OnMessage(EngineSocket* socket, std::string_view payload) override;
  void OnClose(EngineSocket* socket, const std::string& reason) override;

  size_t client_count() const { return clients_.size(); }

 private:
  void OnConnect(Client* c, const SocketPacket& packet);
  Status BoardsFromQuery(const std::string& query, std::vector<std::string>* boards);
  Status EventFormatFromQuery(const std::string& query, bool* log_entries);
  bool Restore(Client* c, const Json& auth, int64_t* offset);
  void ReplaySlice(const std::weak_ptr<Client>& weak, int64_t offset);
  void FinishConnect(Client* c);
  void JoinChannels(Client* c);
  void OnEvent(Client* c, SocketPacket packet);
  void Answer(Client* c, int64_t ack_id, const Status& s, Json result,
              std::optional<CallReport> report = std::nullopt);
  void Report(CallReport report, bool ok) const;
  Status CallSubscriptions(Client* c, const FeathersCall& call, Json* result);
  Status Subscribe(Client* c, const Json& data, Json* result);
  Status Unsubscribe(Client* c, const Json& id, Json* result);
  Json ListSubscriptions(const Client& c) const;
  void SaveState(const Client& c);
  void SaveChannel(const Client& c, const char* kind, const std::string& id, bool joined);

  Store* store_;
  Services* services_;
  Hub* hub_;
  Clock* clock_;
  Retention retention_;
  Post post_;
  SocketIoOptions options_;
  // shared: an answer waiting on a commit holds a weak_ptr to find out if its client left.
  std::unordered_map<EngineSocket*, std::shared_ptr<Client>> clients_;
};

}  // namespace agor
