// SocketIoServer's identities: the caller of each client, from the CONNECT auth payload, the
// handshake's Authorization header or the `authentication` service's answers, and what a new
// caller changes (a waiting recovery starts, channels it may not see are left, the
// handshake's boards are joined). The rules are in socketio_server.h.
#include <strings.h>

#include <cstring>

#include "base/log.h"
#include "server/realtime/presence.h"
#include "server/realtime/socketio_client.h"
#include "server/realtime/socketio_server.h"

namespace agor {
namespace {

Status InvalidToken() {
  return Status(Code::kNotAuthenticated, "Invalid authentication information");
}

// The token of an `Authorization: Bearer <token>` header (or `JWT <token>`, which Feathers'
// JWT strategy also takes); "" when the header names another scheme or is absent.
std::string BearerToken(const std::string& header) {
  for (const char* scheme : {"Bearer ", "JWT "}) {
    size_t n = strlen(scheme);
    if (header.size() <= n || strncasecmp(header.c_str(), scheme, n) != 0) continue;
    size_t start = header.find_first_not_of(' ', n);
    return start == std::string::npos ? "" : header.substr(start);
  }
  return "";
}

}  // namespace

Status CheckExpiry(const Caller& caller, int64_t now_ms) {
  if (!caller.authenticated() || caller.expires_ms == 0 || caller.expires_ms > now_ms) {
    return Status::OK();
  }
  return Status(Code::kNotAuthenticated, "jwt expired",
                Json{{"name", "TokenExpiredError"}, {"message", "jwt expired"}});
}

// The CONNECT auth payload's `token` first (socket.io-client's `auth: {token}`), else the
// handshake's Authorization header; neither: no caller yet, which is no error.
Status SocketIoServer::AuthenticateAtConnect(Client* c, const Json& auth) {
  std::string token;
  if (auth.is_object() && auth.contains("token") && !auth["token"].is_null()) {
    if (!auth["token"].is_string()) return InvalidToken();
    token = auth["token"].get<std::string>();
  } else {
    token = BearerToken(c->sub.socket->authorization());
  }
  return token.empty() ? Status::OK() : Authenticate(c, token);
}

// Resolves `token` into the client's caller; a refused token leaves the caller as it was.
Status SocketIoServer::Authenticate(Client* c, const std::string& token) {
  if (token.size() > kMaxCredentialBytes) return InvalidToken();  // refused unread
  Caller caller;
  Status s = credentials_->Resolve(token, &caller);
  if (!s.ok()) return s;
  caller.address = c->sub.socket->remote_address();
  c->sub.caller = std::move(caller);
  return Status::OK();
}

// A successful `create authentication` makes its accessToken the client's credential (as
// Feathers' socket transport does); a successful `remove` logs the connection out.
void SocketIoServer::AfterAuthenticationCall(Client* c, const ServiceCall& call,
                                             const Json& result) {
  if (call.method == "remove") {
    Caller none;
    none.address = c->sub.caller.address;
    c->sub.caller = std::move(none);
    if (presence_) presence_->Attach(&c->sub, c->pid);  // its entry leaves with its user
    return;
  }
  if (call.method != "create" || !result.is_object()) return;
  auto token = result.find("accessToken");
  if (token == result.end() || !token->is_string()) return;
  Status s = Authenticate(c, token->get<std::string>());
  if (!s.ok()) {
    Log(LogLevel::kWarn, "the access token just issued does not resolve: " + s.message());
    return;
  }
  OnAuthenticated(c);
}

// A client that has just got a caller: a waiting recovery starts (posted, so the ack of the
// `create authentication` that authenticated it goes first), and its channels follow the
// caller's rights.
void SocketIoServer::OnAuthenticated(Client* c) {
  Admit(c);
  if (c->state != ClientState::kAwaitingAuth) return;
  c->state = ClientState::kReplaying;
  Weak weak = clients_.at(c->sub.socket);
  post_(0, [this, weak, offset = c->replay_offset] { ReplaySlice(weak, offset); });
}

// Leaves the channels the caller may not see (restored ones, or those of a previous caller)
// and joins the handshake's boards that waited for a caller, invisible or missing ones skipped.
// Its presence follows the caller: a recovered pid's entry comes back, another user's leaves.
void SocketIoServer::Admit(Client* c) {
  if (presence_) presence_->Attach(&c->sub, c->pid);
  std::vector<std::string> boards(c->sub.boards.begin(), c->sub.boards.end());
  for (const auto& b : boards) {
    if (!CanSeeChannel(*c, true, b)) Leave(c, true, b);
  }
  std::vector<std::string> sessions(c->sub.sessions.begin(), c->sub.sessions.end());
  for (const auto& s : sessions) {
    if (!CanSeeChannel(*c, false, s)) Leave(c, false, s);
  }
  if (!c->query_raw) return;
  std::vector<std::string> ids = std::move(c->query_boards);
  c->query_boards.clear();
  c->query_raw = false;
  for (const auto& id : ids) {
    std::string full;
    if (ResolveVisible(*c, true, id, &full).ok() && !c->sub.boards.count(full)) {
      Join(c, true, full);
    }
  }
}

// Whether the client's caller may see the board or session `id` (a full id).
bool SocketIoServer::CanSeeChannel(const Client& c, bool board, const std::string& id) {
  const AccessPolicy& access = store_->access();
  const std::string& user = c.sub.caller.user_id;
  if (!c.sub.caller.authenticated()) return false;
  if (board) return access.Board(user, id) != BoardAccess::kNone;
  Json session;
  return store_->Get("sessions", id, &session).ok() &&
         access.CanSeeRecord(user, "sessions", session);
}

// The full id of a board or session the caller may see; one it may not see answers exactly
// as a missing one.
Status SocketIoServer::ResolveVisible(const Client& c, bool board, const std::string& id,
                                      std::string* full) {
  Status s = store_->ResolveId(board ? "boards" : "sessions", id, full);
  if (s.ok() && !CanSeeChannel(c, board, *full)) {
    return Status::NotFound("No record found for id '" + id + "'");
  }
  return s;
}

}  // namespace agor
