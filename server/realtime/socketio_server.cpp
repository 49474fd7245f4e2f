#include "server/realtime/socketio_server.h"

#include <algorithm>
#include <optional>
#include <set>

#include "base/ids.h"
#include "base/log.h"
#include "server/wire/http_types.h"

namespace agor {

// One Socket.IO connection's protocol state.
struct Client {
  Subscriber sub;
  bool connected = false;
  bool replaying = false;                 // a recovery is being sent, CONNECT reply pending
  std::vector<std::string> query_boards;  // the handshake's boards, joined once connected
  std::string pid;
};

namespace {

constexpr int kReplayWaitMs = 5;  // how often a paused recovery looks at the client's queue

Json SubscriptionRecord(const char* field, const std::string& id) {
  return Json{{"id", id}, {field, id}};
}

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

SocketIoServer::SocketIoServer(Store* store, Services* services, Hub* hub, Clock* clock,
                               Retention retention, Post post, SocketIoOptions options)
    : store_(store),
      services_(services),
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
  Log(LogLevel::kDebug, "socket closed: " + reason);
  clients_.erase(it);
}

void SocketIoServer::OnMessage(EngineSocket* socket, std::string_view payload) {
  auto it = clients_.find(socket);  // the one map from a socket to its state: no user pointer
  if (it == clients_.end()) return;
  Client* c = it->second.get();
  SocketPacket packet;
  Status s = DecodeSocketPacket(payload, &packet);
  // A refused call the client numbered is answered, as Feathers answers every call; any
  // other refusal closes the connection, as stock socket.io does.
  if (!s.ok() && c->connected && packet.type == SocketType::kEvent && packet.ack_id &&
      packet.nsp == "/") {
    return Answer(c, *packet.ack_id, s, Json());
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
      if (!c->connected) return socket->Close("event before CONNECT");
      return OnEvent(c, std::move(packet));
    default:  // clients never ack the server's events in Feathers; nothing else is valid
      return;
  }
}

// A refused handshake query is a CONNECT_ERROR: the connection stays, the client may retry.
void SocketIoServer::OnConnect(Client* c, const SocketPacket& packet) {
  if (c->connected || c->replaying)
    return c->sub.socket->Close("second CONNECT on the same namespace");
  Status s = BoardsFromQuery(c->sub.socket->query(), &c->query_boards);
  if (s.ok()) s = EventFormatFromQuery(c->sub.socket->query(), &c->sub.log_entries);
  if (!s.ok()) return c->sub.socket->Send(EncodeConnectError(s.message(), s.data()));
  int64_t offset = 0;
  if (!Restore(c, packet.data, &offset)) {
    c->pid = NewToken();
    return FinishConnect(c);
  }
  c->replaying = true;
  ReplaySlice(clients_.at(c->sub.socket), offset);
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

// `?board_id=a,b` in the handshake: each a board that exists (short ids resolve).
Status SocketIoServer::BoardsFromQuery(const std::string& query, std::vector<std::string>* boards) {
  boards->clear();
  std::vector<std::string> ids = SplitIds(QueryParam(query, "board_id"));
  if (ids.size() > options_.max_query_boards) {
    return Status::BadRequest("Too many board ids in the handshake (max " +
                              std::to_string(options_.max_query_boards) + ")");
  }
  for (const auto& id : ids) {
    // Ids are ASCII: anything else is refused without echoing bytes that may not be UTF-8.
    if (std::any_of(id.begin(), id.end(), [](char ch) { return ch & 0x80; })) {
      return Status::BadRequest("A board id in the handshake is not an id");
    }
    std::string full;
    Status s = store_->ResolveId("boards", id, &full);
    if (!s.ok()) return s;
    boards->push_back(full);
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

// One turn of a recovery: sends up to `replay_slice` of the events after `offset` the client
// would have received, then posts the next turn. The open batch is committed first, so no
// event read here can still roll back or be published live again; the turn that reads the
// log's end connects the client before anything else can commit.
void SocketIoServer::ReplaySlice(const std::weak_ptr<Client>& weak, int64_t offset) {
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
  size_t sent = 0;
  while (sent < events.size()) {
    const Event& ev = events[sent++];
    if (hub_->Wants(c->sub, ev)) c->sub.socket->Send(Hub::EncodeFrameFor(c->sub, ev));
    offset = ev.seq;
    if (c->sub.socket->queued_bytes() > options_.replay_high_water) break;  // let it drain
  }
  if (sent == events.size() && events.size() < options_.replay_slice) {
    return FinishConnect(c.get());
  }
  post_(0, [this, weak, offset] { ReplaySlice(weak, offset); });
}

void SocketIoServer::FinishConnect(Client* c) {
  c->replaying = false;
  JoinChannels(c);
  c->connected = true;
  hub_->Add(&c->sub);
  SaveState(*c);
  c->sub.socket->Send(EncodeConnect(Json{{"sid", NewToken()}, {"pid", c->pid}}));
}

// Joins the hub's channels for the restored subscriptions and the handshake's boards.
void SocketIoServer::JoinChannels(Client* c) {
  std::set<std::string> boards(c->sub.boards.begin(), c->sub.boards.end());
  boards.insert(c->query_boards.begin(), c->query_boards.end());
  c->query_boards.clear();
  c->sub.boards.clear();
  for (const auto& b : boards) hub_->JoinBoard(&c->sub, b);
  std::vector<std::string> sessions(c->sub.sessions.begin(), c->sub.sessions.end());
  c->sub.sessions.clear();
  for (const auto& s : sessions) hub_->JoinSession(&c->sub, s);
}

void SocketIoServer::OnEvent(Client* c, SocketPacket packet) {
  int64_t started_us = options_.on_call ? SteadyClock()->NowMicros() : 0;
  FeathersCall call;
  std::optional<int64_t> ack = packet.ack_id;
  Status s = DecodeFeathersCall(std::move(packet.data), &call);
  if (!s.ok() && !call.path.empty() && call.path != "subscriptions" &&
      !services_->HasService(call.path)) {
    s = Status::NotFound("Service '" + call.path + "' not found");
  }
  Json result;
  if (s.ok() && call.path == "subscriptions") {
    s = CallSubscriptions(c, call, &result);
  } else if (s.ok()) {
    s = services_->Call({call.method_name, call.path, call.id, call.data, call.query}, &result);
  }
  std::optional<CallReport> report;
  if (options_.on_call) report = CallReport{call.path, call.method_name, false, started_us};
  if (!ack) {  // no ack id: the caller wants no answer
    if (report) Report(std::move(*report), s.ok());
    return;
  }
  Answer(c, *ack, s, std::move(result), std::move(report));
}

// Answered once what the call wrote (or read of a batch still open) is committed, so the
// acks of a client's calls leave in the order of the calls.
void SocketIoServer::Answer(Client* c, int64_t ack_id, const Status& s, Json result,
                            std::optional<CallReport> report) {
  std::weak_ptr<Client> weak = clients_.at(c->sub.socket);
  store_->AfterCommit([this, weak, id = ack_id, s, result = std::move(result),
                       report = std::move(report)](const Status& committed) {
    Status answer = s.ok() ? committed : s;
    if (report) Report(*report, answer.ok());
    std::shared_ptr<Client> client = weak.lock();
    if (!client) return;  // the client left meanwhile
    client->sub.socket->Send(answer.ok() ? EncodeResultAck(id, result)
                                         : EncodeErrorAck(id, answer));
  });
}

// `report.micros` holds the call's arrival until here, where it becomes its duration.
void SocketIoServer::Report(CallReport report, bool ok) const {
  report.ok = ok;
  report.micros = SteadyClock()->NowMicros() - report.micros;
  options_.on_call(report);
}

Status SocketIoServer::CallSubscriptions(Client* c, const FeathersCall& call, Json* result) {
  switch (call.method) {
    case FeathersMethod::kFind:
      *result = ListSubscriptions(*c);
      return Status::OK();
    case FeathersMethod::kCreate:
      return Subscribe(c, call.data, result);
    case FeathersMethod::kRemove:
      return Unsubscribe(c, call.id, result);
    default:
      return Status::MethodNotAllowed(std::string("Method '") + call.method_name +
                                      "' is not supported by subscriptions");
  }
}

// create({board_id}) or create({session_id}): the record must exist (short ids resolve).
Status SocketIoServer::Subscribe(Client* c, const Json& data, Json* result) {
  bool board = data.is_object() && data.size() == 1 && data.contains("board_id");
  bool session = data.is_object() && data.size() == 1 && data.contains("session_id");
  if (!board && !session) {
    return Status::BadRequest("subscriptions.create takes {board_id} or {session_id}");
  }
  const char* field = board ? "board_id" : "session_id";
  const Json& id = data[field];
  if (!id.is_string()) return Status::BadRequest(std::string(field) + " must be a string");
  std::string full;
  Status s = store_->ResolveId(board ? "boards" : "sessions", id.get<std::string>(), &full);
  if (!s.ok()) return s;
  const auto& joined = board ? c->sub.boards : c->sub.sessions;
  if (!joined.count(full) &&
      c->sub.boards.size() + c->sub.sessions.size() >= options_.max_subscriptions) {
    return Status(Code::kTooManyRequests, "Too many subscriptions on this connection (max " +
                                              std::to_string(options_.max_subscriptions) + ")");
  }
  if (board) hub_->JoinBoard(&c->sub, full);
  if (session) hub_->JoinSession(&c->sub, full);
  SaveChannel(*c, board ? "boards" : "sessions", full, true);
  *result = SubscriptionRecord(field, full);
  return Status::OK();
}

Status SocketIoServer::Unsubscribe(Client* c, const Json& id_json, Json* result) {
  if (!id_json.is_string()) return Status::MethodNotAllowed("Can not remove multiple entries");
  std::string id = id_json.get<std::string>();
  const bool board = c->sub.boards.count(id) > 0;
  if (board) {
    hub_->LeaveBoard(&c->sub, id);
    *result = SubscriptionRecord("board_id", id);
  } else if (c->sub.sessions.count(id)) {
    hub_->LeaveSession(&c->sub, id);
    *result = SubscriptionRecord("session_id", id);
  } else {
    return Status::NotFound("No record found for id '" + id + "'");
  }
  SaveChannel(*c, board ? "boards" : "sessions", id, false);
  return Status::OK();
}

Json SocketIoServer::ListSubscriptions(const Client& c) const {
  Json out = Json::array();
  for (const auto& b : c.sub.boards) out.push_back(SubscriptionRecord("board_id", b));
  for (const auto& s : c.sub.sessions) out.push_back(SubscriptionRecord("session_id", s));
  return out;
}

// One channel joined or left: a row of the pid's state, whatever else it holds.
void SocketIoServer::SaveChannel(const Client& c, const char* kind, const std::string& id,
                                 bool joined) {
  Status s = store_->SetClientChannel(c.pid, kind, id, joined);
  if (!s.ok()) Log(LogLevel::kWarn, "cannot save client state: " + s.message());
}

// The whole state, once per CONNECT.
void SocketIoServer::SaveState(const Client& c) {
  Json state{{"boards", Json::array()}, {"sessions", Json::array()}};
  for (const auto& b : c.sub.boards) state["boards"].push_back(b);
  for (const auto& s : c.sub.sessions) state["sessions"].push_back(s);
  Status s = store_->SaveClientState(c.pid, state);
  if (!s.ok()) Log(LogLevel::kWarn, "cannot save client state: " + s.message());
}

}  // namespace agor
