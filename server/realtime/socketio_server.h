// SocketIoServer: the Socket.IO v5 + Feathers layer over Engine.IO sessions. It owns one Client
// per session: CONNECT (with authentication and connection-state recovery), DISCONNECT,
// Feathers calls answered error-first through the Services (the api layer's dispatcher), and
// the `subscriptions` service that joins channels.
//
// Identity: each client has a Caller (hub.h's Subscriber), set from the CONNECT packet's auth
// payload `{token}` (socket.io-client merges `pid`/`offset` into the same object), else from
// the handshake's `Authorization: Bearer <token>` header, else by a successful `create` on
// `authentication` (its answer's accessToken, resolved like the others); a successful `remove`
// on `authentication` clears it. The token is a JWT or an API key, at most kMaxCredentialBytes; a
// refused one at CONNECT is a CONNECT_ERROR carrying the Feathers error JSON (`jwt expired`,
// `Invalid authentication information`) and the client may CONNECT again. Every call goes
// through Services::Call with the client's Caller; once the caller's token has expired, calls
// (but `authentication`) answer 401 `jwt expired` and the Hub gives it no more events. An
// unauthenticated client receives no event at all.
//
// Answers: each numbered call gets its ack once its answer is known and what it wrote is
// committed, in the order of the calls, even when an earlier call answers later (a password
// hash on a worker thread): at most `max_pending_calls` wait per client, past which the
// connection is closed.
//
// Recovery: the CONNECT reply carries a `pid` whose subscriptions are kept in the store. A
// client reconnecting with {pid, offset} gets its pid back in the CONNECT reply, then, once it
// is authenticated (at CONNECT, or by its first `create authentication` within
// `recovery_auth_ms`), every event after `offset` it may see now, read from the durable event
// log (so this holds across daemon restarts), then joins its channels. A client that does not
// authenticate in time loses the replay: its recovery is dropped (logged), it stays connected
// with its restored channels and gets nothing until it authenticates, then only live events.
// When events after the offset were pruned, or the pid is unknown, the client gets a fresh pid
// and is told it was not recovered. The replay goes out `replay_slice` events per loop turn
// (posted), so a long one never holds the loop, and waits while the client's queue is past
// `replay_high_water`, so a long one is not dropped as a slow reader (one that never reads
// misses its pings and goes); the client joins its channels in the turn that reads the log's
// end, after committing the open batch, so each event reaches it once, in order, from the log
// or live. The wait for authentication is a posted task holding only a weak reference: a
// client that closes makes it inert.
//
// Channels: `subscriptions` needs an authenticated caller (401); joining a board or session
// the caller may not see answers NotFound exactly like a missing one. On connect, and again
// whenever the client authenticates, channels the caller may not see are left. The
// handshake's `?board_id=a,b` is checked against the caller when one is known at CONNECT (an
// invisible board is a CONNECT_ERROR like a missing one); otherwise the boards are joined once
// the client authenticates, invisible or missing ones skipped.
//
// A call refused before it reaches a service (its JSON breaks the entry rule, or its shape is
// wrong) is answered with a 400 error ack when it has an ack id; the connection stays.
//
// Presence (presence.h), when set: `presence` calls are answered here with the calling
// connection (a Feathers call like the others, expiry checked first), Agor's `cursor-move` /
// `cursor-leave` events go to it (no ack), a closed client's entry starts its grace, and a
// client whose caller becomes known or changes is re-attached (a recovered pid takes its entry
// back).
//
// Event format: `?agor_events=log` at the handshake makes the connection get logged events as
// log entries (hub.h), live and in recovery replays; any other value is a CONNECT_ERROR.
//
// Bounds: a client joins at most `max_subscriptions` channels (429 past it); the handshake's
// `?board_id=a,b` names at most `max_query_boards` boards; a token is at most kMaxCredentialBytes;
// a client has at most one recovery and `max_pending_calls` unanswered calls.
//
// Threading: the daemon's event loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
  int recovery_auth_ms = 10000;        // how long a recovery waits for its authentication
  size_t max_pending_calls = 10000;    // unanswered calls of one client; past it, closed
  // Optional: told of each call once answered (unanswered ones: once handled). Only when
  // set are calls timed and their names copied.
  std::function<void(const CallReport&)> on_call;
  // Optional: the seq up to which the hub has been handed every event (a remote broker's
  // position, redis_broker.h). A recovery replays only up to it and joins the hub there, so
  // the events committed but not yet delivered on this node come live, once. Unset: the
  // log's end (the in-process broker delivers each event at its commit).
  std::function<int64_t()> live_position;
};

class Presence;

class SocketIoServer : public EngineHandler {
 public:
  // Runs a function on a later turn of the event loop, after `delay_ms` (0: next turn).
  using Post = std::function<void(int delay_ms, std::function<void()>)>;

  // Everything is borrowed and must outlive the server (and the tasks it posts). `credentials`
  // turns tokens into Callers (the api layer's Authenticator).
  SocketIoServer(Store* store, Services* services, CredentialResolver* credentials, Hub* hub,
                 Clock* clock, Retention retention, Post post, SocketIoOptions options = {});
  ~SocketIoServer() override;

  void OnOpen(EngineSocket* socket) override;
  void OnMessage(EngineSocket* socket, std::string_view payload) override;
  void OnClose(EngineSocket* socket, const std::string& reason) override;

  size_t client_count() const { return clients_.size(); }
  // Borrowed; must outlive the server. Set before the first connection.
  void SetPresence(Presence* presence) { presence_ = presence; }

 private:
  using Weak = std::weak_ptr<Client>;

  // CONNECT and recovery (socketio_server.cpp).
  void OnConnect(Client* c, const SocketPacket& packet);
  Status Handshake(Client* c, const Json& auth);
  Status BoardIdsFromQuery(const std::string& query, std::vector<std::string>* ids);
  Status EventFormatFromQuery(const std::string& query, bool* log_entries);
  bool Restore(Client* c, const Json& auth, int64_t* offset);
  void WaitForAuthentication(Client* c);
  void ReplaySlice(const Weak& weak, int64_t offset);
  static void LimitToLive(int64_t live, std::vector<Event>* events);
  void JoinHub(Client* c);
  void JoinChannels(Client* c);
  // Calls and their answers, in order.
  void OnEvent(Client* c, SocketPacket packet);
  bool OnCursorEvent(Client* c, const Json& data);
  void CallService(Client* c, ServiceCall call, std::optional<uint64_t> slot,
                   std::optional<CallReport> report);
  std::optional<uint64_t> Reserve(Client* c, int64_t ack_id);
  void Finish(const Weak& weak, std::optional<uint64_t> slot, const Status& s, Json result,
              std::optional<CallReport> report);
  void Report(CallReport report, bool ok) const;
  // Identity (socketio_auth.cpp).
  Status AuthenticateAtConnect(Client* c, const Json& auth);
  Status Authenticate(Client* c, const std::string& token);
  void AfterAuthenticationCall(Client* c, const ServiceCall& call, const Json& result);
  void OnAuthenticated(Client* c);
  void Admit(Client* c);
  bool CanSeeChannel(const Client& c, bool board, const std::string& id);
  Status ResolveVisible(const Client& c, bool board, const std::string& id, std::string* full);
  // The `subscriptions` service (socketio_subscriptions.cpp).
  Status CallSubscriptions(Client* c, const FeathersCall& call, Json* result);
  Status Subscribe(Client* c, const Json& data, Json* result);
  Status Unsubscribe(Client* c, const Json& id, Json* result);
  void Join(Client* c, bool board, const std::string& id);
  void Leave(Client* c, bool board, const std::string& id);
  Json ListSubscriptions(const Client& c) const;
  void SaveState(const Client& c);
  void SaveChannel(const Client& c, const char* kind, const std::string& id, bool joined);

  Store* store_;
  Services* services_;
  CredentialResolver* credentials_;
  Hub* hub_;
  Clock* clock_;
  Retention retention_;
  Presence* presence_ = nullptr;
  Post post_;
  SocketIoOptions options_;
  // shared: an answer waiting on a commit holds a weak_ptr to find out if its client left.
  std::unordered_map<EngineSocket*, std::shared_ptr<Client>> clients_;
};

}  // namespace agor
