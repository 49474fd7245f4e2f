#include "server/realtime/hub.h"

#include "server/realtime/engine_server.h"
#include "server/wire/socketio.h"

namespace agor {
namespace {

// The frames of one event, each serialized on first use only.
class LazyFrames {
 public:
  explicit LazyFrames(const Event& ev) : ev_(ev) {}
  const SharedFrame& For(const Subscriber& s) {
    bool entry = s.log_entries && ev_.seq > 0;
    SharedFrame& frame = entry ? log_ : stock_;
    if (frame.empty()) {
      frame = WebServer::PrepareFrame(entry ? Hub::EncodeLogFrame(ev_) : Hub::EncodeFrame(ev_));
    }
    return frame;
  }

 private:
  const Event& ev_;
  SharedFrame stock_;
  SharedFrame log_;
};

void AppendOptionalId(std::string* out, const std::string& id) {
  if (id.empty()) {
    *out += "null";
  } else {
    AppendJsonString(out, id);
  }
}

}  // namespace

void Hub::Join(ChannelKind kind, Channels* channels, const std::string& id, Subscriber* s) {
  auto& members = (*channels)[id];
  bool first = members.empty();
  members.insert(s);
  if (first && interest_) interest_(kind, id, true);
}

void Hub::Leave(ChannelKind kind, Channels* channels, const std::string& id, Subscriber* s) {
  auto it = channels->find(id);
  if (it == channels->end()) return;
  it->second.erase(s);
  if (!it->second.empty()) return;
  channels->erase(it);
  if (interest_) interest_(kind, id, false);
}

void Hub::Add(Subscriber* s) {
  all_.insert(s);
}

void Hub::Remove(Subscriber* s) {
  for (const auto& b : s->boards) Leave(kBoardChannel, &boards_, b, s);
  for (const auto& id : s->sessions) Leave(kSessionChannel, &sessions_, id, s);
  all_.erase(s);
}

void Hub::JoinBoard(Subscriber* s, const std::string& board_id) {
  s->boards.insert(board_id);
  Join(kBoardChannel, &boards_, board_id, s);
}

void Hub::LeaveBoard(Subscriber* s, const std::string& board_id) {
  s->boards.erase(board_id);
  Leave(kBoardChannel, &boards_, board_id, s);
}

void Hub::JoinSession(Subscriber* s, const std::string& session_id) {
  s->sessions.insert(session_id);
  Join(kSessionChannel, &sessions_, session_id, s);
}

void Hub::LeaveSession(Subscriber* s, const std::string& session_id) {
  s->sessions.erase(session_id);
  Leave(kSessionChannel, &sessions_, session_id, s);
}

const std::unordered_set<Subscriber*>* Hub::BoardChannel(const std::string& board_id) const {
  auto it = boards_.find(board_id);
  return it == boards_.end() ? nullptr : &it->second;
}

// Events every client may be routed; the policy then keeps each to those who may see it.
bool Hub::IsGlobal(const Event& ev) {
  return ev.board_id.empty() || ev.service == "boards" || ev.service == "board-members" ||
         ev.service == "repos";
}

bool Hub::Allowed(const Subscriber& s, const Event& ev, int64_t now_ms) const {
  const Caller& c = s.caller;
  if (!c.authenticated() || (c.expires_ms != 0 && c.expires_ms <= now_ms)) return false;
  return access_->CanSee(c.user_id, ev);
}

bool Hub::Wants(const Subscriber& s, const Event& ev) const {
  if (ev.seq > 0 && ev.seq <= s.seen_through) return false;
  if (!Allowed(s, ev, clock_->NowMillis())) return false;
  if (mode_ == ChannelMode::kEverybody || IsGlobal(ev)) return true;
  return s.boards.count(ev.board_id) || s.sessions.count(ev.session_id);
}

std::string Hub::EncodeFrame(const Event& ev) {
  // Events that are not in the log (seq 0: streamed text) carry no offset to recover from.
  std::string offset = ev.seq > 0 ? std::to_string(ev.seq) : std::string();
  if (!ev.record_json.empty()) {
    return EncodeEventFrame(ev.service + " " + ev.event, RawJson{ev.record_json}, offset);
  }
  return EncodeEventFrame(ev.service + " " + ev.event, ev.record, offset);
}

// The log entry as GET /events returns it, the record spliced in from record_json when made.
std::string Hub::EncodeLogFrame(const Event& ev) {
  std::string entry = "{\"seq\":" + std::to_string(ev.seq) + ",\"ts\":";
  AppendJsonString(&entry, ev.ts);
  entry += ",\"service\":";
  AppendJsonString(&entry, ev.service);
  entry += ",\"event\":";
  AppendJsonString(&entry, ev.event);
  entry += ",\"board_id\":";
  AppendOptionalId(&entry, ev.board_id);
  entry += ",\"session_id\":";
  AppendOptionalId(&entry, ev.session_id);
  entry += ",\"record\":";
  if (ev.record_json.empty()) {
    AppendJson(&entry, ev.record);
  } else {
    entry += ev.record_json;
  }
  entry += ",\"actor\":{\"user_id\":";
  AppendOptionalId(&entry, ev.actor_id);
  entry += ",\"agent\":";
  AppendOptionalId(&entry, ev.actor_agent);
  entry += "}}";
  return EncodeEventFrame(kLogEntryEvent, RawJson{entry}, std::to_string(ev.seq));
}

std::string Hub::EncodeFrameFor(const Subscriber& s, const Event& ev) {
  return s.log_entries && ev.seq > 0 ? EncodeLogFrame(ev) : EncodeFrame(ev);
}

// The clock is read once per event: every recipient is judged at the same instant.
size_t Hub::Publish(const Event& ev) {
  if (all_.empty()) return 0;
  LazyFrames frames(ev);
  const int64_t now = clock_->NowMillis();
  size_t sent = 0;
  auto send = [&](Subscriber* s) {
    if (ev.seq > 0 && ev.seq <= s->seen_through) return;
    if (!Allowed(*s, ev, now)) return;
    s->socket->Send(frames.For(*s));
    ++sent;
  };
  if (mode_ == ChannelMode::kEverybody || IsGlobal(ev)) {
    for (Subscriber* s : all_) send(s);
    return sent;
  }
  auto board = boards_.find(ev.board_id);
  if (board != boards_.end()) {
    for (Subscriber* s : board->second) send(s);
  }
  auto session = sessions_.find(ev.session_id);
  if (session != sessions_.end()) {
    for (Subscriber* s : session->second) {
      if (!s->boards.count(ev.board_id)) send(s);  // else already judged through the board
    }
  }
  return sent;
}

}  // namespace agor
