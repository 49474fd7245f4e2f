#include "server/realtime/engine_server.h"

#include <vector>

#include "base/ids.h"
#include "base/log.h"
#include "server/wire/engineio.h"

namespace agor {

// One Engine.IO session. Polling keeps frames in `outbox` until a GET takes them; a WebSocket
// transport hands them to its WsConnection at once, whose queue the server writes out.
class EngineSession : public EngineSocket, public WsConnectionOwner {
 public:
  EngineSession(EngineServer* server, std::string sid, const HttpRequest& opening, int64_t now)
      : sid(std::move(sid)),
        server_(server),
        query_(opening.query),
        authorization_(opening.Header("authorization")),
        remote_address_(opening.remote_address) {
    next_ping_ms = now + server_->options_.ping_interval_ms;
    unused_until_ms = now + server_->options_.ping_timeout_ms;
  }

  const std::string& query() const override { return query_; }
  const std::string& authorization() const override { return authorization_; }
  const std::string& remote_address() const override { return remote_address_; }
  void Send(std::string_view frame) override;
  void Send(const SharedFrame& frame) override;
  size_t queued_bytes() const override { return ws ? ws->buffered_bytes() : outbox_bytes; }
  void Close(const std::string& reason) override;

  // Answers the held GET with everything queued.
  void Flush();
  void Answer(std::string body);
  void Enqueue(std::string_view frame);
  void AfterWsSend();

  std::string sid;
  WsConnection* ws = nullptr;       // the transport, once on WebSocket
  WsConnection* probe = nullptr;    // a WebSocket mid-upgrade
  std::shared_ptr<HttpReply> poll;  // a held GET
  std::vector<std::string> outbox;  // polling frames not yet taken
  size_t outbox_bytes = 0;
  int64_t next_ping_ms = 0;
  int64_t ping_sent_ms = 0;     // 0: no ping awaiting its pong
  int64_t unused_until_ms = 0;  // a handshake no request followed expires then; 0: used
  bool closing = false;

 private:
  EngineServer* server_;
  std::string query_;
  std::string authorization_;  // bounded by the HTTP parser's header limits
  std::string remote_address_;
};

namespace {

HttpResponse EngineError(int code, const char* message, int status = 400) {
  HttpResponse r;
  r.status = status;
  r.body = Json{{"code", code}, {"message", message}}.dump();
  return r;
}

HttpResponse Text(std::string body, const char* type = "text/plain; charset=UTF-8") {
  HttpResponse r;
  r.content_type = type;
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace

void EngineSession::Send(std::string_view frame) {
  if (closing) return;
  if (ws) {
    ws->Send(frame);
    AfterWsSend();
  } else {
    Enqueue(frame);
  }
}

void EngineSession::Send(const SharedFrame& frame) {
  if (closing) return;
  if (ws) {
    ws->Send(frame);
    AfterWsSend();
  } else {
    Enqueue(frame.text());
  }
}

// A client that stops reading must not grow the daemon's memory: past the bound, drop it.
void EngineSession::AfterWsSend() {
  if (ws->buffered_bytes() <= server_->options_.max_queue_bytes) return;
  Log(LogLevel::kWarn, "dropping slow client " + sid + ": send queue over " +
                           std::to_string(server_->options_.max_queue_bytes) + " bytes");
  closing = true;
  ++server_->stats_->slow_drops;
  ws->Abort();
}

void EngineSession::Enqueue(std::string_view frame) {
  outbox.emplace_back(frame);
  outbox_bytes += frame.size();
  if (outbox_bytes > server_->options_.max_queue_bytes) {
    // Destroyed on the next Tick: the caller may be iterating the channel this session is in.
    Log(LogLevel::kWarn, "dropping slow polling client " + sid);
    closing = true;
    outbox.clear();
    outbox_bytes = 0;
    server_->doomed_.push_back(sid);
    ++server_->stats_->slow_drops;
    return;
  }
  Flush();
}

void EngineSession::Flush() {
  if (!poll || outbox.empty()) return;
  std::string body;
  body.reserve(outbox_bytes + outbox.size());
  for (const auto& f : outbox) AppendPollingFrame(&body, f);
  outbox.clear();
  outbox_bytes = 0;
  Answer(std::move(body));
}

void EngineSession::Answer(std::string body) {
  auto reply = std::move(poll);
  poll.reset();
  reply->Send(Text(std::move(body)));
}

void EngineSession::Close(const std::string& reason) {
  if (closing) return;
  closing = true;
  if (ws) {
    ws->Close(1000, reason);  // OnWsClose destroys the session
    return;
  }
  if (poll) Answer("1");
  server_->Destroy(this, reason);
}

EngineServer::EngineServer(EngineHandler* handler, Clock* clock, ServerStats* stats,
                           EngineOptions options)
    : handler_(handler), clock_(clock), stats_(stats), options_(options) {}

EngineServer::~EngineServer() = default;

bool EngineServer::Owns(const std::string& path) {
  return path == "/socket.io/" || path == "/socket.io";
}

EngineSession* EngineServer::Find(const std::string& sid) {
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second.get();
}

EngineSession* EngineServer::Create(const HttpRequest& req) {
  std::string sid = NewToken();
  auto session = std::make_unique<EngineSession>(this, sid, req, clock_->NowMillis());
  EngineSession* raw = session.get();
  sessions_.emplace(sid, std::move(session));
  ++stats_->sockets;
  return raw;
}

void EngineServer::CountTransports(size_t* polling, size_t* websocket) const {
  *polling = *websocket = 0;
  for (const auto& entry : sessions_) ++*(entry.second->ws ? websocket : polling);
}

void EngineServer::Destroy(EngineSession* session, const std::string& reason) {
  auto it = sessions_.find(session->sid);
  if (it == sessions_.end()) return;
  std::unique_ptr<EngineSession> owned = std::move(it->second);
  sessions_.erase(it);
  --stats_->sockets;
  session->closing = true;
  if (session->poll) session->Answer("1");
  if (session->probe) session->probe->owner = nullptr;
  if (session->ws) session->ws->owner = nullptr;
  handler_->OnClose(session, reason);
}

namespace {

// The packets a client may send once a session is open.
void HandlePacket(EngineHandler* handler, EngineSession* s, const EnginePacket& p) {
  switch (p.type) {
    case EngineType::kMessage:
      handler->OnMessage(s, p.data);
      break;
    case EngineType::kPong:
      s->ping_sent_ms = 0;
      break;
    case EngineType::kPing:  // Engine.IO v3 clients ping; answer rather than drop them
      s->Send(EncodeEnginePacket(EngineType::kPong, p.data));
      break;
    case EngineType::kClose:
      s->Close("client closed the transport");
      break;
    default:  // upgrade and noop need nothing here; open is never sent by a client
      break;
  }
}

}  // namespace

void EngineServer::HandleHttp(const HttpRequest& req, std::shared_ptr<HttpReply> reply) {
  if (QueryParam(req.query, "EIO") != "4")
    return reply->Send(EngineError(5, "Unsupported protocol version"));
  if (QueryParam(req.query, "transport") != "polling")
    return reply->Send(EngineError(0, "Transport unknown"));
  std::string sid = QueryParam(req.query, "sid");
  if (!sid.empty()) return HandlePoll(req, sid, std::move(reply));
  if (req.method != "GET") return reply->Send(EngineError(2, "Bad handshake method"));
  if (Full()) return reply->Send(EngineError(3, "Too many sessions, try again later", 503));
  EngineSession* s = Create(req);
  reply->Send(Text(EncodeOpen(s->sid, {"websocket"}, options_.ping_interval_ms,
                              options_.ping_timeout_ms, options_.max_payload)));
  handler_->OnOpen(s);
}

void EngineServer::HandlePoll(const HttpRequest& req, const std::string& sid,
                              std::shared_ptr<HttpReply> reply) {
  EngineSession* s = Find(sid);
  if (!s) return reply->Send(EngineError(1, "Session ID unknown"));
  if (s->ws) return reply->Send(EngineError(3, "Bad request"));
  s->unused_until_ms = 0;
  if (req.method == "GET") {
    if (s->poll) {
      reply->Send(EngineError(3, "Bad request"));
      return s->Close("overlapping polls");
    }
    s->poll = std::move(reply);
    return s->Flush();
  }
  if (req.method != "POST") return reply->Send(EngineError(3, "Bad request"));
  std::vector<EnginePacket> packets;
  Status st = req.body.size() > static_cast<size_t>(options_.max_payload)
                  ? Status::PayloadTooLarge("payload over maxPayload")
                  : DecodePollingPayload(req.body, &packets);
  reply->Send(st.ok() ? Text("ok", "text/html") : EngineError(3, "Bad request"));
  for (const auto& p : packets) {
    if (!Find(sid)) return;  // a packet closed the session
    HandlePacket(handler_, s, p);
  }
  if (!st.ok() && Find(sid)) s->Close("parse error: " + st.message());
}

Status EngineServer::AcceptWs(const HttpRequest& req) {
  if (QueryParam(req.query, "EIO") != "4")
    return Status::BadRequest("Unsupported protocol version");
  if (QueryParam(req.query, "transport") != "websocket")
    return Status::BadRequest("Transport unknown");
  std::string sid = QueryParam(req.query, "sid");
  if (sid.empty()) {
    return Full() ? Status::Unavailable("Too many sessions, try again later") : Status::OK();
  }
  EngineSession* s = Find(sid);
  if (!s) return Status::BadRequest("Session ID unknown");
  if (s->ws || s->probe) return Status::BadRequest("session already upgrading or upgraded");
  return Status::OK();
}

void EngineServer::OnWsOpen(WsConnection* ws, const HttpRequest& req) {
  std::string sid = QueryParam(req.query, "sid");
  EngineSession* s = sid.empty() ? nullptr : Find(sid);
  if (!sid.empty()) {
    if (!s || s->ws || s->probe) return ws->Close(1008, "Session ID unknown");
    s->probe = ws;
    s->unused_until_ms = 0;
    ws->owner = s;
    return;
  }
  if (Full()) return ws->Close(1013, "Too many sessions, try again later");
  s = Create(req);
  s->ws = ws;
  s->unused_until_ms = 0;
  ws->owner = s;
  ws->Send(EncodeOpen(s->sid, {}, options_.ping_interval_ms, options_.ping_timeout_ms,
                      options_.max_payload));
  handler_->OnOpen(s);
}

// The upgrade: "2probe" is answered "3probe" and the held poll released with a noop; "5"
// makes the WebSocket the transport and sends what polling had queued.
void EngineServer::OnWsMessage(WsConnection* ws, std::string_view text) {
  auto* s = static_cast<EngineSession*>(ws->owner);
  if (!s) return;
  EnginePacket p;
  Status st = DecodeEnginePacket(text, &p);
  if (!st.ok()) return s->Close("parse error: " + st.message());
  if (s->probe == ws) {
    if (p.type == EngineType::kPing && p.data == "probe") {
      ws->Send(EncodeEnginePacket(EngineType::kPong, "probe"));
      if (s->poll) s->Answer("6");
    } else if (p.type == EngineType::kUpgrade) {
      s->probe = nullptr;
      s->ws = ws;
      if (s->poll) s->Answer("1");
      for (const auto& f : s->outbox) ws->Send(f);
      s->outbox.clear();
      s->outbox_bytes = 0;
    }
    return;
  }
  HandlePacket(handler_, s, p);
}

void EngineServer::OnWsClose(WsConnection* ws) {
  auto* s = static_cast<EngineSession*>(ws->owner);
  ws->owner = nullptr;
  if (!s) return;
  if (s->probe == ws) {
    s->probe = nullptr;  // a failed upgrade: the session goes on polling
    return;
  }
  if (s->ws == ws) {
    s->ws = nullptr;
    Destroy(s, s->closing ? "server closed the connection" : "transport close");
  }
}

void EngineServer::Tick() {
  for (const auto& sid : doomed_) {
    if (EngineSession* s = Find(sid)) Destroy(s, "send queue full");
  }
  doomed_.clear();
  int64_t now = clock_->NowMillis();
  std::vector<EngineSession*> unused, expired, to_ping;
  for (auto& entry : sessions_) {
    EngineSession* s = entry.second.get();
    if (s->unused_until_ms && now >= s->unused_until_ms) {
      unused.push_back(s);
    } else if (s->ping_sent_ms && now - s->ping_sent_ms > options_.ping_timeout_ms) {
      expired.push_back(s);
    } else if (!s->ping_sent_ms && now >= s->next_ping_ms) {
      to_ping.push_back(s);
    }
  }
  for (EngineSession* s : unused) Destroy(s, "handshake never followed by a request");
  for (EngineSession* s : to_ping) {
    s->ping_sent_ms = now;
    s->next_ping_ms = now + options_.ping_interval_ms;
    s->Send(EncodeEnginePacket(EngineType::kPing));
  }
  for (EngineSession* s : expired) {
    if (!s->ws) {
      Destroy(s, "ping timeout");
    } else {
      s->closing = true;
      s->ws->Abort();  // no pong: the peer is gone or stuck, a close handshake would hang
    }
  }
}

void EngineServer::ReleasePolls() {
  for (auto& entry : sessions_) {
    if (entry.second->poll) entry.second->Answer("1");
  }
}

}  // namespace agor
