// EngineServer: Engine.IO v4 sessions over HTTP long-polling and WebSocket, with the upgrade
// from one to the other, heartbeats, and a bounded send queue per session. The layer above
// (Socket.IO) sees each session as an EngineSocket and gets its message packets' payloads.
//
//   polling:   GET  /socket.io/?EIO=4&transport=polling           -> open packet, new sid
//              GET  ...&sid=S  held until there is something to send (or a ping)
//              POST ...&sid=S  packets separated by \x1e          -> "ok"
//   websocket: /socket.io/?EIO=4&transport=websocket[&sid=S]      (with sid: the upgrade,
//              "2probe" -> "3probe", the held poll gets "6", then "5" switches transports)
//
// Bounds: at most `max_sessions` sessions (a handshake past it gets 503); a polling handshake
// that no request ever follows expires after the ping timeout, so handshakes alone cannot pile
// up sessions; every session's unsent frames (polling outbox or WebSocket queue, pings
// included) stay under `max_queue_bytes`, past which the session is dropped.
//
// Threading: the daemon's event loop only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/stats.h"
#include "server/net/web_server.h"
#include "server/wire/http_types.h"

namespace agor {

struct EngineOptions {
  int64_t ping_interval_ms = 25000;
  int64_t ping_timeout_ms = 20000;
  int64_t max_payload = 1000000;             // largest accepted packet or polling body
  size_t max_queue_bytes = 8 * 1024 * 1024;  // a session whose unsent bytes pass this is dropped
  size_t max_sessions = 20000;               // open sessions, both transports
};

class EngineSession;

// What the Socket.IO layer holds of one session. Valid until EngineHandler::OnClose returns.
class EngineSocket {
 public:
  virtual ~EngineSocket() = default;
  // The query of the request that opened the session (raw, e.g. "EIO=4&board_id=a").
  virtual const std::string& query() const = 0;
  // What else that request said (the polling handshake, or the WebSocket upgrade of a session
  // opened on WebSocket): its Authorization header ("" when none) and the peer's IP address.
  virtual const std::string& authorization() const = 0;
  virtual const std::string& remote_address() const = 0;
  // Queues one complete Engine.IO message frame ("42[...]", "40{...}").
  virtual void Send(std::string_view frame) = 0;
  virtual void Send(const SharedFrame& frame) = 0;
  // Bytes queued and not yet sent (or, on polling, not yet taken by a GET).
  virtual size_t queued_bytes() const = 0;
  // Ends the session; OnClose follows (at once for polling, after the socket closes for WS).
  virtual void Close(const std::string& reason) = 0;
};

class EngineHandler {
 public:
  virtual ~EngineHandler() = default;
  virtual void OnOpen(EngineSocket* socket) = 0;
  // The payload of a message packet, without its leading '4'.
  virtual void OnMessage(EngineSocket* socket, std::string_view payload) = 0;
  virtual void OnClose(EngineSocket* socket, const std::string& reason) = 0;
};

class EngineServer {
 public:
  // `handler`, `clock` and `stats` are borrowed and must outlive the server.
  EngineServer(EngineHandler* handler, Clock* clock, ServerStats* stats, EngineOptions options);
  ~EngineServer();

  // True for requests under /socket.io/.
  static bool Owns(const std::string& path);
  void HandleHttp(const HttpRequest& req, std::shared_ptr<HttpReply> reply);
  Status AcceptWs(const HttpRequest& req);
  void OnWsOpen(WsConnection* ws, const HttpRequest& req);
  void OnWsMessage(WsConnection* ws, std::string_view text);
  void OnWsClose(WsConnection* ws);
  // Heartbeats and timeouts; call about once a second.
  void Tick();
  // Answers held polls so shutdown does not wait for them.
  void ReleasePolls();
  size_t session_count() const { return sessions_.size(); }
  // Open sessions by their transport now (one mid-upgrade still counts as polling). Walks
  // the sessions: for a scrape of /metrics, not for a hot path.
  void CountTransports(size_t* polling, size_t* websocket) const;

 private:
  friend class EngineSession;
  EngineSession* Find(const std::string& sid);
  EngineSession* Create(const HttpRequest& req);
  bool Full() const { return sessions_.size() >= options_.max_sessions; }
  void Destroy(EngineSession* session, const std::string& reason);
  void HandlePoll(const HttpRequest& req, const std::string& sid, std::shared_ptr<HttpReply> reply);

  EngineHandler* handler_;
  Clock* clock_;
  ServerStats* stats_;
  EngineOptions options_;
  std::unordered_map<std::string, std::unique_ptr<EngineSession>> sessions_;
  std::vector<std::string> doomed_;  // sessions to destroy on the next Tick
};

}  // namespace agor
