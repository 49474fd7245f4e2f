// Client: one Socket.IO connection's protocol state, shared by the files of SocketIoServer
// (socketio_server.cpp: CONNECT, recovery, calls; socketio_auth.cpp: identity;
// socketio_subscriptions.cpp: channels). Not for other users.
//
// Life of a client: kOpen until its CONNECT is answered; then kConnected (in the hub), or, when
// it recovers a pid, kAwaitingAuth (no caller yet: the replay waits) and kReplaying (the
// missed events are being sent) before kConnected. Calls are served in every state but kOpen.
//
// Threading: the daemon's event loop only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "server/realtime/hub.h"

namespace agor {

enum class ClientState {
  kOpen,          // no CONNECT answered yet
  kAwaitingAuth,  // CONNECT answered with a recovered pid; the replay waits for a caller
  kReplaying,     // the recovery's replay is being sent; channels not joined yet
  kConnected,     // in the hub, on its channels
};

// One numbered call's place in the line of answers: acks leave in the order of the calls.
struct PendingAnswer {
  int64_t ack_id = 0;
  bool ready = false;
  std::string frame;  // the ack, once known and committed
};

struct Client {
  Subscriber sub;
  ClientState state = ClientState::kOpen;
  std::string pid;
  // The handshake's ?board_id=a,b: resolved at CONNECT when the caller is known, else kept as
  // sent (`query_raw`) until the client authenticates.
  std::vector<std::string> query_boards;
  bool query_raw = false;
  int64_t replay_offset = 0;  // where a recovery waiting for authentication starts
  // Unanswered numbered calls; answers[0] is call number `first_answer`.
  std::deque<PendingAnswer> answers;
  uint64_t first_answer = 0;

  bool in_hub() const { return state == ClientState::kConnected; }
};

// OK while `caller`'s credential is valid at `now_ms`; 401 `jwt expired` (data.name
// TokenExpiredError, as Feathers answers) once it has expired. An unauthenticated caller is
// OK here: the services answer it themselves.
Status CheckExpiry(const Caller& caller, int64_t now_ms);

}  // namespace agor
