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
// recovered.
//
// Threading: the daemon's event loop only.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "server/realtime/engine_server.h"
#include "server/realtime/hub.h"
#include "server/wire/feathers_call.h"
#include "server/wire/service_call.h"
#include "server/wire/socketio.h"
#include "store/store.h"

namespace agor {

struct Client;

class SocketIoServer : public EngineHandler {
 public:
  // Everything is borrowed and must outlive the server.
  SocketIoServer(Store* store, Services* services, Hub* hub, Clock* clock, Retention retention);
  ~SocketIoServer() override;

  void OnOpen(EngineSocket* socket) override;
  void OnMessage(EngineSocket* socket, std::string_view payload) override;
  void OnClose(EngineSocket* socket, const std::string& reason) override;

  size_t client_count() const { return clients_.size(); }

 private:
  void OnConnect(Client* c, const SocketPacket& packet);
  bool Recover(Client* c, const Json& auth);
  void JoinFromQuery(Client* c);
  void OnEvent(Client* c, SocketPacket packet);
  Status CallSubscriptions(Client* c, const FeathersCall& call, Json* result);
  Status Subscribe(Client* c, const Json& data, Json* result);
  Status Unsubscribe(Client* c, const Json& id, Json* result);
  Json ListSubscriptions(const Client& c) const;
  void SaveState(const Client& c);

  Store* store_;
  Services* services_;
  Hub* hub_;
  Clock* clock_;
  Retention retention_;
  // shared: an answer waiting on a commit holds a weak_ptr to find out if its client left.
  std::unordered_map<EngineSocket*, std::shared_ptr<Client>> clients_;
};

}  // namespace agor
