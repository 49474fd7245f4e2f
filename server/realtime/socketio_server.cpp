#include "server/realtime/socketio_server.h"

#include <set>

#include "base/ids.h"
#include "base/log.h"
#include "server/wire/http_types.h"

namespace agor {

// One Socket.IO connection's protocol state.
struct Client {
  Subscriber sub;
  bool connected = false;
  std::string pid;
};

namespace {

constexpr size_t kReplayPage = 1000;

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

}  // namespace

SocketIoServer::SocketIoServer(Store* store, Services* services, Hub* hub, Clock* clock,
                               Retention retention)
    : store_(store), services_(services), hub_(hub), clock_(clock), retention_(retention) {}

SocketIoServer::~SocketIoServer() {
  for (auto& entry : clients_) hub_->Remove(&entry.second->sub);
}

void SocketIoServer::OnOpen(EngineSocket* socket) {
  auto client = std::make_shared<Client>();
  client->sub.socket = socket;
  socket->user = client.get();
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
  Client* c = static_cast<Client*>(socket->user);
  SocketPacket packet;
  Status s = DecodeSocketPacket(payload, &packet);
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

void SocketIoServer::OnConnect(Client* c, const SocketPacket& packet) {
  if (c->connected) return c->sub.socket->Close("second CONNECT on the same namespace");
  // The replay reads the log: an open batch is committed (and published) first, so no event
  // reaches this client both from the log and live.
  store_->Commit();
  bool recovered = Recover(c, packet.data);
  if (!recovered) c->pid = NewToken();
  JoinFromQuery(c);
  c->connected = true;
  hub_->Add(&c->sub);
  SaveState(*c);
  c->sub.socket->Send(EncodeConnect(Json{{"sid", NewToken()}, {"pid", c->pid}}));
}

// Restores the subscriptions of {pid} and sends every event after {offset} the client would
// have received. False (nothing sent) when the pid is unknown or the log no longer holds all
// events after the offset.
bool SocketIoServer::Recover(Client* c, const Json& auth) {
  int64_t offset = 0;
  Json state;
  if (!auth.is_object() || !auth.contains("pid") || !auth["pid"].is_string()) return false;
  if (!auth.contains("offset") || !ParseOffset(auth["offset"], &offset)) return false;
  std::string pid = auth["pid"].get<std::string>();
  if (!store_->LoadClientState(pid, &state).ok() || !state.is_object()) return false;
  EventLog* log = store_->event_log();
  if (!log->Covers(offset, retention_, clock_->NowMillis())) return false;
  c->pid = pid;
  for (const auto& b : state.value("boards", Json::array())) {
    if (b.is_string()) c->sub.boards.insert(b.get<std::string>());
  }
  for (const auto& s : state.value("sessions", Json::array())) {
    if (s.is_string()) c->sub.sessions.insert(s.get<std::string>());
  }
  std::vector<Event> events;
  do {
    events.clear();
    if (!log->ReadSince(offset, kReplayPage, &events).ok()) break;
    for (const Event& ev : events) {
      if (hub_->Wants(c->sub, ev)) c->sub.socket->Send(Hub::EncodeFrame(ev));
      offset = ev.seq;
    }
  } while (events.size() == kReplayPage);
  return true;
}

// `?board_id=a,b` in the handshake joins those boards.
void SocketIoServer::JoinFromQuery(Client* c) {
  std::set<std::string> wanted(c->sub.boards.begin(), c->sub.boards.end());
  std::string list = QueryParam(c->sub.socket->query(), "board_id");
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    if (comma > pos) wanted.insert(list.substr(pos, comma - pos));
    pos = comma + 1;
  }
  c->sub.boards.clear();
  for (const auto& b : wanted) hub_->JoinBoard(&c->sub, b);
  std::vector<std::string> sessions(c->sub.sessions.begin(), c->sub.sessions.end());
  c->sub.sessions.clear();
  for (const auto& s : sessions) hub_->JoinSession(&c->sub, s);
}

void SocketIoServer::OnEvent(Client* c, SocketPacket packet) {
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
  if (!ack) return;  // no ack id: the caller wants no answer
  // Answered once what the call wrote (or read of a batch still open) is committed.
  std::weak_ptr<Client> weak = clients_.at(c->sub.socket);
  store_->AfterCommit([weak, id = *ack, s, result = std::move(result)](const Status& committed) {
    std::shared_ptr<Client> client = weak.lock();
    if (!client) return;  // the client left meanwhile
    Status answer = s.ok() ? committed : s;
    client->sub.socket->Send(answer.ok() ? EncodeResultAck(id, result)
                                         : EncodeErrorAck(id, answer));
  });
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
  if (board) hub_->JoinBoard(&c->sub, full);
  if (session) hub_->JoinSession(&c->sub, full);
  SaveState(*c);
  *result = SubscriptionRecord(field, full);
  return Status::OK();
}

Status SocketIoServer::Unsubscribe(Client* c, const Json& id_json, Json* result) {
  if (!id_json.is_string()) return Status::MethodNotAllowed("Can not remove multiple entries");
  std::string id = id_json.get<std::string>();
  if (c->sub.boards.count(id)) {
    hub_->LeaveBoard(&c->sub, id);
    *result = SubscriptionRecord("board_id", id);
  } else if (c->sub.sessions.count(id)) {
    hub_->LeaveSession(&c->sub, id);
    *result = SubscriptionRecord("session_id", id);
  } else {
    return Status::NotFound("No record found for id '" + id + "'");
  }
  SaveState(*c);
  return Status::OK();
}

Json SocketIoServer::ListSubscriptions(const Client& c) const {
  Json out = Json::array();
  for (const auto& b : c.sub.boards) out.push_back(SubscriptionRecord("board_id", b));
  for (const auto& s : c.sub.sessions) out.push_back(SubscriptionRecord("session_id", s));
  return out;
}

void SocketIoServer::SaveState(const Client& c) {
  Json state{{"boards", Json::array()}, {"sessions", Json::array()}};
  for (const auto& b : c.sub.boards) state["boards"].push_back(b);
  for (const auto& s : c.sub.sessions) state["sessions"].push_back(s);
  Status s = store_->SaveClientState(c.pid, state);
  if (!s.ok()) Log(LogLevel::kWarn, "cannot save client state: " + s.message());
}

}  // namespace agor
