#include "server/realtime/socketio_server.h"

#include <algorithm>
#include <optional>
#include <set>

#include "base/ids.h"
#include "base/log.h"
#include "server/realtime/presence.h"
#include "server/realtime/socketio_client.h"
#include "server/wire/http_types.h"

namespace agor {
namespace {

constexpr int kReplayWaitMs = 5;  // how often a paused recovery looks at the client's queue

bool ParseOffset(const Json& offset, int64_t* out) {
  if (!offset.is_string()) return false;
  const std::string& s = offset.get_ref<const std::string&>();
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    return false;
  *out = std::stoll(s);
  return true;
}

// The comma-separated items of `list`, empty ones skipped, each once.
std::vector<std::string> SplitIds(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    std::string id = list.substr(pos, comma - pos);
    if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    pos = comma + 1;
  }
  return out;
}

}  // namespace

SocketIoServer::SocketIoServer(Store* store, Services* services, CredentialResolver* credentials,
                               Hub* hub, Clock* clock, Retention retention, Post post,
                               SocketIoOptions options)
    : store_(store),
      services_(services),
      credentials_(credentials),
      hub_(hub),
      clock_(clock),
      retention_(retention),
      post_(std::move(post)),
      options_(options) {}

SocketIoServer::~SocketIoServer() {
  for (auto& entry : clients_) hub_->Remove(&entry.second->sub);
}

void SocketIoServer::OnOpen(EngineSocket* socket) {
  auto client = std::make_shared<Client>();
  client->sub.socket = socket;
  clients_.emplace(socket, std::move(client));
}

void SocketIoServer::OnClose(EngineSocket* socket, const std::string& reason) {
  auto it = clients_.find(socket);
  if (it == clients_.end()) return;
  hub_->Remove(&it->second->sub);
  if (presence_) presence_->Detach(&it->second->sub);
  Log(LogLevel::kDebug, "socket closed: " + reason);
  clients_.erase(it);  // a posted wait or replay holds a weak_ptr: it finds nothing
}

void SocketIoServer::OnMessage(EngineSocket* socket, std::string_view payload) {
  auto it = clients_.find(socket);  // the one map from a socket to its state: no user pointer
  if (it == clients_.end()) return;
  Client* c = it->second.get();
  const bool connected = c->state != ClientState::kOpen;
  // Cursor moves come many times a second from every connection: in their common shape they
  // skip the JSON tree (anything else takes the general path below, to the same effect).
  CursorEvent cursor;
  if (connected && presence_ && DecodeCursorEvent(payload, &cursor)) {
    return presence_->Cursor(&c->sub, c->pid, cursor);
  }
  SocketPacket packet;
  Status s = DecodeSocketPacket(payload, &packet);
  // A refused call the client numbered is answered, as Feathers answers every call; any
  // other refusal closes the connection, as stock socket.io does.
  if (!s.ok() && connected && packet.type == SocketType::kEvent && packet.ack_id &&
      packet.nsp == "/") {
    return Finish(it->second, Reserve(c, *packet.ack_id), s, Json(), std::nullopt);
  }
  if (!s.ok()) return socket->Close("parse error: " + s.message());
  if (packet.nsp != "/") {
    if (packet.type == SocketType::kConnect)
      return socket->Send(EncodeConnectError("Invalid namespace", nullptr, packet.nsp));
    return socket->Close("packet for a namespace not connected");
  }
  switch (packet.type) {
    case SocketType::kConnect:
      return OnConnect(c, packet);
    case SocketType::kDisconnect:
      return socket->Close("client namespace disconnect");
    case SocketType::kEvent:
      if (!connected) return socket->Close("event before CONNECT");
      return OnEvent(c, std::move(packet));
    default:  // clients never ack the server's events in Feathers; nothing else is valid
      return;
  }
}

// A refused handshake (query, token, board) is a CONNECT_ERROR: the connection stays, the
// client may retry. The reply goes out before any replay, which waits for a caller.
void SocketIoServer::OnConnect(Client* c, const SocketPacket& packet) {
  if (c->state != ClientState::kOpen)
    return c->sub.socket->Close("second CONNECT on the same namespace");
  Status s = Handshake(c, packet.data);
  if (!s.ok()) {
    c->sub.caller = Caller();
    if (s.code() == Code::kNotAuthenticated) {  // Feathers' error JSON, as its clients expect
      return c->sub.socket->Send("44" + s.ToJsonText());
    }
    return c->sub.socket->Send(EncodeConnectError(s.message(), s.data()));
  }
  int64_t offset = 0;
  const bool recovered = Restore(c, packet.data, &offset);
  if (!recovered) c->pid = NewToken();
  c->sub.socket->Send(EncodeConnect(Json{{"sid", NewToken()}, {"pid", c->pid}}));
  if (!recovered) return JoinHub(c);
  c->replay_offset = offset;
  if (!c->sub.caller.authenticated()) return WaitForAuthentication(c);
  Admit(c);
  c->state = ClientState::kReplaying;
  ReplaySlice(clients_.at(c->sub.socket), offset);
}

// The handshake's query and credentials: the caller (when a token came) and the boards.
Status SocketIoServer::Handshake(Client* c, const Json& auth) {
  const std::string& query = c->sub.socket->query();
  Status s = EventFormatFromQuery(query, &c->sub.log_entries);
  std::vector<std::string> ids;
  if (s.ok()) s = BoardIdsFromQuery(query, &ids);
  if (s.ok()) s = AuthenticateAtConnect(c, auth);
  if (!s.ok()) return s;
  c->query_boards.clear();
  c->query_raw = !c->sub.caller.authenticated();
  if (c->query_raw) {  // judged once the client authenticates: nothing to tell before
    c->query_boards = std::move(ids);
    return Status::OK();
  }
  for (const auto& id : ids) {
    std::string full;
    s = ResolveVisible(*c, true, id, &full);
    if (!s.ok()) return s;
    c->query_boards.push_back(full);
  }
  return Status::OK();
}

// `?agor_events=log` in the handshake: logged events as their log entries (hub.h).
Status SocketIoServer::EventFormatFromQuery(const std::string& query, bool* log_entries) {
  std::string format = QueryParam(query, "agor_events");
  if (!format.empty() && format != "log") {
    return Status::BadRequest("agor_events in the handshake must be 'log'",
                              Json{{"field", "agor_events"}});
  }
  *log_entries = format == "log";
  return Status::OK();
}

// `?board_id=a,b` in the handshake: at most max_query_boards ids, each ASCII.
Status SocketIoServer::BoardIdsFromQuery(const std::string& query, std::vector<std::string>* ids) {
  *ids = SplitIds(QueryParam(query, "board_id"));
  if (ids->size() > options_.max_query_boards) {
    return Status::BadRequest("Too many board ids in the handshake (max " +
                              std::to_string(options_.max_query_boards) + ")");
  }
  for (const auto& id : *ids) {
    // Ids are ASCII: anything else is refused without echoing bytes that may not be UTF-8.
    if (std::any_of(id.begin(), id.end(), [](char ch) { return ch & 0x80; })) {
      return Status::BadRequest("A board id in the handshake is not an id");
    }
  }
  return Status::OK();
}

// Restores the subscriptions of {pid} (not yet joined) and where its replay starts. False
// (nothing changed) when the pid is unknown or the log no longer holds every event after
// the offset.
bool SocketIoServer::Restore(Client* c, const Json& auth, int64_t* offset) {
  Json state;
  if (!auth.is_object() || !auth.contains("pid") || !auth["pid"].is_string()) return false;
  if (!auth.contains("offset") || !ParseOffset(auth["offset"], offset)) return false;
  std::string pid = auth["pid"].get<std::string>();
  if (!store_->LoadClientState(pid, &state).ok() || !state.is_object()) return false;
  if (!store_->event_log()->Covers(*offset, retention_, clock_->NowMillis())) return false;
  c->pid = pid;
  for (const auto& b : state.value("boards", Json::array())) {
    if (b.is_string()) c->sub.boards.insert(b.get<std::string>());
  }
  for (const auto& s : state.value("sessions", Json::array())) {
    if (s.is_string()) c->sub.sessions.insert(s.get<std::string>());
  }
  return true;
}

// A recovery without a caller: the replay starts when the client authenticates
// (OnAuthenticated), or never, if it has not within recovery_auth_ms.
void SocketIoServer::WaitForAuthentication(Client* c) {
  c->state = ClientState::kAwaitingAuth;
  Weak weak = clients_.at(c->sub.socket);
  post_(options_.recovery_auth_ms, [this, weak] {
    std::shared_ptr<Client> client = weak.lock();
    if (!client || client->state != ClientState::kAwaitingAuth) return;
    Log(LogLevel::kInfo, "recovery of " + client->pid + " dropped: no authentication in time");
    JoinHub(client.get());
  });
}

// What the hub has not been handed yet (a remote broker still orders it) comes live: the
// replay stops before it, and reads as if the log ended there.
void SocketIoServer::LimitToLive(int64_t live, std::vector<Event>* events) {
  size_t keep = 0;
  while (keep < events->size() && (*events)[keep].seq <= live) ++keep;
  if (keep < events->size()) events->resize(keep);
}

// One turn of a recovery: sends up to `replay_slice` of the events after `offset` the client
// may see, then posts the next turn. The open batch is committed first, so no event read
// here can still roll back or be published live again; the turn that reads the log's end
// (or the live position, see SocketIoOptions) joins the client's channels before anything
// else can be delivered.
void SocketIoServer::ReplaySlice(const Weak& weak, int64_t offset) {
  std::shared_ptr<Client> c = weak.lock();
  if (!c) return;  // the client left meanwhile
  if (c->sub.socket->queued_bytes() > options_.replay_high_water) {
    return post_(kReplayWaitMs, [this, weak, offset] { ReplaySlice(weak, offset); });
  }
  store_->Commit();
  EventLog* log = store_->event_log();
  if (log->FirstSeq() > offset + 1) return c->sub.socket->Close("recovery outran retention");
  std::vector<Event> events;
  Status s = log->ReadSince(offset, options_.replay_slice, &events);
  if (!s.ok()) return c->sub.socket->Close("recovery failed: " + s.message());
  if (options_.live_position) LimitToLive(options_.live_position(), &events);
  size_t sent = 0;
  while (sent < events.size()) {
    const Event& ev = events[sent++];
    if (hub_->Wants(c->sub, ev)) c->sub.socket->Send(Hub::EncodeFrameFor(c->sub, ev));
    offset = ev.seq;
    if (c->sub.socket->queued_bytes() > options_.replay_high_water) break;  // let it drain
  }
  if (sent == events.size() && events.size() < options_.replay_slice) {
    c->sub.seen_through = offset;  // past this node's live position when it came from ahead
    return JoinHub(c.get());
  }
  post_(0, [this, weak, offset] { ReplaySlice(weak, offset); });
}

// The client goes live: its channels (restored and from the handshake) joined, in the hub.
void SocketIoServer::JoinHub(Client* c) {
  JoinChannels(c);
  c->state = ClientState::kConnected;
  hub_->Add(&c->sub);
  SaveState(*c);
}

// Joins the hub's channels for the restored subscriptions and the handshake's boards (those
// still waiting for a caller stay aside).
void SocketIoServer::JoinChannels(Client* c) {
  std::set<std::string> boards(c->sub.boards.begin(), c->sub.boards.end());
  if (!c->query_raw) {
    boards.insert(c->query_boards.begin(), c->query_boards.end());
    c->query_boards.clear();
  }
  c->sub.boards.clear();
  for (const auto& b : boards) hub_->JoinBoard(&c->sub, b);
  std::vector<std::string> sessions(c->sub.sessions.begin(), c->sub.sessions.end());
  c->sub.sessions.clear();
  for (const auto& s : sessions) hub_->JoinSession(&c->sub, s);
}

// Agor's `42["cursor-move",{...}]` and `42["cursor-leave",{...}]`: presence events, no calls.
bool SocketIoServer::OnCursorEvent(Client* c, const Json& data) {
  if (!presence_ || !data.is_array() || data.size() != 2 || !data[0].is_string()) return false;
  const std::string& name = data[0].get_ref<const std::string&>();
  if (name == "cursor-move") {
    presence_->CursorMove(&c->sub, c->pid, data[1]);
  } else if (name == "cursor-leave") {
    presence_->CursorLeave(&c->sub, data[1]);
  } else {
    return false;
  }
  return true;
}

void SocketIoServer::OnEvent(Client* c, SocketPacket packet) {
  if (OnCursorEvent(c, packet.data)) return;
  int64_t started_us = options_.on_call ? SteadyClock()->NowMicros() : 0;
  FeathersCall call;
  std::optional<int64_t> ack = packet.ack_id;
  Status s = DecodeFeathersCall(std::move(packet.data), &call);
  const bool local = call.path == "subscriptions" || (presence_ && call.path == "presence");
  if (!s.ok() && !call.path.empty() && !local && !services_->HasService(call.path)) {
    s = Status::NotFound("Service '" + call.path + "' not found");
  }
  std::optional<CallReport> report;
  if (options_.on_call) report = CallReport{call.path, call.method_name, false, started_us};
  std::optional<uint64_t> slot;
  if (ack) {  // no ack id: the caller wants no answer
    slot = Reserve(c, *ack);
    if (!slot) return;  // closed
  }
  const Weak weak = clients_.at(c->sub.socket);
  Json result;
  if (s.ok() && call.path != "authentication") s = CheckExpiry(c->sub.caller, clock_->NowMillis());
  if (s.ok() && call.path == "subscriptions") s = CallSubscriptions(c, call, &result);
  if (s.ok() && call.path == "presence" && presence_) {
    ServiceCall sc{call.method_name, call.path, call.id, call.data, call.query, c->sub.caller};
    s = presence_->Call(sc, &c->sub, c->pid, &result);
  }
  if (!s.ok() || local) return Finish(weak, slot, s, std::move(result), report);
  CallService(c, {call.method_name, call.path, call.id, call.data, call.query, c->sub.caller}, slot,
              std::move(report));
}

// The call goes to the services with the client's caller; an answer of `authentication`
// changes the caller.
void SocketIoServer::CallService(Client* c, ServiceCall call, std::optional<uint64_t> slot,
                                 std::optional<CallReport> report) {
  const Weak weak = clients_.at(c->sub.socket);
  auto shared = std::make_shared<ServiceCall>(std::move(call));
  services_->Call(*shared, [this, weak, shared, slot, report = std::move(report)](
                               const Status& s, Json result, std::string) mutable {
    std::shared_ptr<Client> client = weak.lock();
    if (client && s.ok() && shared->path == "authentication") {
      AfterAuthenticationCall(client.get(), *shared, result);
    }
    Finish(weak, slot, s, std::move(result), std::move(report));
  });
}

// A place in the client's line of answers for a numbered call; none (and the connection
// closed) when too many wait already.
std::optional<uint64_t> SocketIoServer::Reserve(Client* c, int64_t ack_id) {
  if (c->answers.size() >= options_.max_pending_calls) {
    c->sub.socket->Close("too many calls awaiting their answers");
    return std::nullopt;
  }
  c->answers.push_back(PendingAnswer{ack_id, false, ""});
  return c->first_answer + c->answers.size() - 1;
}

// Answered once what the call wrote (or read of a batch still open) is committed; the ack
// waits for the calls before it, so the acks of a client's calls leave in their order.
void SocketIoServer::Finish(const Weak& weak, std::optional<uint64_t> slot, const Status& s,
                            Json result, std::optional<CallReport> report) {
  store_->AfterCommit([this, weak, slot, s, result = std::move(result),
                       report = std::move(report)](const Status& committed) {
    Status answer = s.ok() ? committed : s;
    if (report) Report(*report, answer.ok());
    std::shared_ptr<Client> client = weak.lock();
    if (!client || !slot || *slot < client->first_answer) return;  // left, or wants none
    PendingAnswer& pending = client->answers[*slot - client->first_answer];
    const int64_t id = pending.ack_id;
    pending.frame = answer.ok() ? EncodeResultAck(id, result) : EncodeErrorAck(id, answer);
    pending.ready = true;
    while (!client->answers.empty() && client->answers.front().ready) {
      client->sub.socket->Send(client->answers.front().frame);
      client->answers.pop_front();
      ++client->first_answer;
    }
  });
}

// `report.micros` holds the call's arrival until here, where it becomes its duration.
void SocketIoServer::Report(CallReport report, bool ok) const {
  report.ok = ok;
  report.micros = SteadyClock()->NowMicros() - report.micros;
  options_.on_call(report);
}

}  // namespace agor
