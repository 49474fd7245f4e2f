// SocketIoServer's `subscriptions` service: the channels a client joins and leaves, kept in
// the store under its pid for recovery. The rules are in socketio_server.h.
#include "base/log.h"
#include "server/realtime/socketio_client.h"
#include "server/realtime/socketio_server.h"

namespace agor {
namespace {

Json SubscriptionRecord(const char* field, const std::string& id) {
  return Json{{"id", id}, {field, id}};
}

}  // namespace

// Only for a caller: what a connection may join depends on who it is.
Status SocketIoServer::CallSubscriptions(Client* c, const FeathersCall& call, Json* result) {
  if (!c->sub.caller.authenticated()) {
    return Status(Code::kNotAuthenticated, "Not authenticated");
  }
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

// create({board_id}) or create({session_id}): the record must exist and be visible to the
// caller (short ids resolve).
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
  Status s = ResolveVisible(*c, board, id.get<std::string>(), &full);
  if (!s.ok()) return s;
  const auto& joined = board ? c->sub.boards : c->sub.sessions;
  if (!joined.count(full) &&
      c->sub.boards.size() + c->sub.sessions.size() >= options_.max_subscriptions) {
    return Status(Code::kTooManyRequests, "Too many subscriptions on this connection (max " +
                                              std::to_string(options_.max_subscriptions) + ")");
  }
  Join(c, board, full);
  *result = SubscriptionRecord(field, full);
  return Status::OK();
}

Status SocketIoServer::Unsubscribe(Client* c, const Json& id_json, Json* result) {
  if (!id_json.is_string()) return Status::MethodNotAllowed("Can not remove multiple entries");
  std::string id = id_json.get<std::string>();
  const bool board = c->sub.boards.count(id) > 0;
  if (!board && !c->sub.sessions.count(id)) {
    return Status::NotFound("No record found for id '" + id + "'");
  }
  Leave(c, board, id);
  *result = SubscriptionRecord(board ? "board_id" : "session_id", id);
  return Status::OK();
}

// A channel joined: in the hub once the client is live; before (a recovery replaying), only
// in its set, which the replay reads and JoinChannels joins at its end.
void SocketIoServer::Join(Client* c, bool board, const std::string& id) {
  if (c->in_hub()) {
    board ? hub_->JoinBoard(&c->sub, id) : hub_->JoinSession(&c->sub, id);
  } else {
    (board ? c->sub.boards : c->sub.sessions).insert(id);
  }
  SaveChannel(*c, board ? "boards" : "sessions", id, true);
}

void SocketIoServer::Leave(Client* c, bool board, const std::string& id) {
  if (c->in_hub()) {
    board ? hub_->LeaveBoard(&c->sub, id) : hub_->LeaveSession(&c->sub, id);
  } else {
    (board ? c->sub.boards : c->sub.sessions).erase(id);
  }
  SaveChannel(*c, board ? "boards" : "sessions", id, false);
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
