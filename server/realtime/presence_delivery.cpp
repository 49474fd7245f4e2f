// Presence's delivery: who hears of a board's presence, Agor's cursor events, their
// coalescing tick and the cursors held for backed-up recipients. The rules are in presence.h.
#include <cmath>

#include "server/realtime/engine_server.h"
#include "server/realtime/presence.h"
#include "server/wire/socketio.h"

namespace agor {
namespace {

bool Number(const Json& data, const char* key, double* out) {
  auto it = data.find(key);
  if (it == data.end() || !it->is_number()) return false;
  *out = it->get<double>();
  return true;
}

// {boardId, x?, y?} with nothing else but Agor's optional client `timestamp` (ignored: the
// server times every move). The board id in *board; the coordinates' bounds are checked later.
bool CursorData(const Json& data, bool move, std::string_view* board, double* x, double* y) {
  if (!data.is_object()) return false;
  auto id = data.find("boardId");
  if (id == data.end() || !id->is_string()) return false;
  for (const auto& kv : data.items()) {
    const std::string& k = kv.key();
    if (k != "boardId" && k != "timestamp" && !(move && (k == "x" || k == "y"))) return false;
  }
  *board = id->get_ref<const std::string&>();
  return !move || (Number(data, "x", x) && Number(data, "y", y));
}

SharedFrame CursorFrame(const char* event, const PresenceEntry& e, bool moved, int64_t ts) {
  Json record{{"userId", e.user_id}, {"presenceId", e.presence_id}, {"boardId", e.board_id}};
  if (moved) {
    record["x"] = e.x;
    record["y"] = e.y;
  }
  record["timestamp"] = ts;
  return WebServer::PrepareFrame(EncodeEventFrame(event, record, ""));
}

}  // namespace

bool Presence::MaySee(const Subscriber& s, const std::string& board_id, int64_t now) const {
  const Caller& c = s.caller;
  if (!c.authenticated() || (c.expires_ms != 0 && c.expires_ms <= now)) return false;
  return store_->access().Board(c.user_id, board_id) >= BoardAccess::kRead;
}

// Each connection that may see the board and is on it or on its channel, once.
template <typename F>
void Presence::ForEachRecipient(const std::string& board_id, F f) {
  const int64_t now = clock_->NowMillis();
  const auto* channel = hub_->BoardChannel(board_id);
  if (channel) {
    for (Subscriber* s : *channel) {
      if (MaySee(*s, board_id, now)) f(s);
    }
  }
  for (PresenceEntry* e : registry_.RosterOf(board_id)) {
    Subscriber* s = e->sub;
    if (s && !(channel && channel->count(s)) && MaySee(*s, board_id, now)) f(s);
  }
}

void Presence::Emit(const char* event, const PresenceEntry& e) {
  if (listener_ && e.node.empty()) {
    if (event[0] == 'r')
      listener_->Removed(e);
    else
      listener_->Changed(e);
  }
  SharedFrame frame;
  ForEachRecipient(e.board_id, [&](Subscriber* s) {
    if (frame.empty()) {
      frame = WebServer::PrepareFrame(
          EncodeEventFrame(std::string("presence ") + event, PresenceJson(e), ""));
    }
    s->socket->Send(frame);
  });
}

void Presence::CursorMove(Subscriber* sub, const std::string& pid, const Json& data) {
  std::string_view board;
  double x = 0, y = 0;
  if (!CursorData(data, true, &board, &x, &y)) {
    CountCall(sub, true);  // an invalid event counts against the rate too
    ++stats_.moves_dropped;
    return;
  }
  TakeMove(sub, pid, board, x, y);
}

void Presence::CursorLeave(Subscriber* sub, const Json& data) {
  std::string_view board;
  double unused = 0;
  if (!CursorData(data, false, &board, &unused, &unused)) {
    CountCall(sub, true);
    return;
  }
  TakeLeave(sub, board);
}

void Presence::Cursor(Subscriber* sub, const std::string& pid, const CursorEvent& ev) {
  if (ev.leave) return TakeLeave(sub, ev.board_id);
  TakeMove(sub, pid, ev.board_id, ev.x, ev.y);
}

void Presence::TakeMove(Subscriber* sub, const std::string& pid, std::string_view board, double x,
                        double y) {
  const int64_t now = clock_->NowMillis();
  if (!CountCall(sub, true) || !IsCursorCoordinate(x) || !IsCursorCoordinate(y)) {
    ++stats_.moves_dropped;
    return;
  }
  PresenceEntry* e = registry_.BySub(sub);
  const bool joined = !e || e->board_id != board;
  if (joined) {
    const std::string id(board);
    std::string full;
    bool ok = sub->caller.authenticated() && MaySee(*sub, id, now) &&
              store_->ResolveId("boards", id, &full).ok() && full == id;
    if (!ok) return static_cast<void>(++stats_.moves_dropped);
    e = Join(sub, pid, id);
  } else if (!MaySee(*sub, e->board_id, now)) {
    return static_cast<void>(++stats_.moves_dropped);
  }
  ++stats_.moves;
  e->has_cursor = true;
  e->x = x;
  e->y = y;
  e->cursor_ms = now;
  bool woke = Touch(e, now);
  if (joined || woke) Emit(joined ? "created" : "patched", *e);
  MarkDirty(e);
}

// The entry's latest position goes out on the next tick (once, however many moves came).
void Presence::MarkDirty(PresenceEntry* e) {
  if (!e->cursor_dirty) dirty_.push_back(e);
  e->cursor_dirty = true;
  Arm();
}

void Presence::TakeLeave(Subscriber* sub, std::string_view board) {
  if (!CountCall(sub, true)) return;
  PresenceEntry* e = registry_.BySub(sub);
  if (!e || e->board_id != board || !e->has_cursor) return;
  const int64_t now = clock_->NowMillis();
  Touch(e, now);
  EndCursor(e, now);
}

// Sent at once (not coalesced): nothing held of the sender's cursor may follow it.
void Presence::EndCursor(PresenceEntry* e, int64_t at_ms) {
  e->has_cursor = false;
  e->cursor_dirty = false;
  DropHeld(e->presence_id);
  if (listener_ && e->node.empty()) listener_->CursorSent(*e, true, at_ms);
  SharedFrame frame = CursorFrame("cursor-left", *e, false, at_ms);
  ForEachRecipient(e->board_id, [&](Subscriber* s) {
    if (s != e->sub) s->socket->Send(frame);
  });
}

// The tick: each dirty sender's latest cursor to the others (held for the backed-up ones),
// then what was held for recipients whose queues have drained.
void Presence::Flush() {
  armed_ = false;
  std::vector<PresenceEntry*> dirty;
  dirty.swap(dirty_);
  for (PresenceEntry* e : dirty) {
    if (e->cursor_dirty) SendCursor(e);
  }
  dirty.clear();
  if (dirty_.empty()) dirty.swap(dirty_);  // keeps the capacity: no allocation per tick
  SendHeld();
  if (!held_.empty()) Arm();
}

void Presence::SendCursor(PresenceEntry* e) {
  e->cursor_dirty = false;
  if (!e->has_cursor) return;
  if (listener_ && e->node.empty()) listener_->CursorSent(*e, false, e->cursor_ms);
  SharedFrame frame = CursorFrame("cursor-moved", *e, true, e->cursor_ms);
  ForEachRecipient(e->board_id, [&](Subscriber* s) {
    if (s == e->sub) return;
    if (s->socket->queued_bytes() > options_.backlog_bytes) {
      held_[s][e->presence_id] = frame;  // a newer one replaces the older
      return;
    }
    auto held = held_.find(s);
    if (held != held_.end()) held->second.erase(e->presence_id);  // superseded
    s->socket->Send(frame);
    ++stats_.updates;
  });
}

void Presence::SendHeld() {
  for (auto it = held_.begin(); it != held_.end();) {
    Subscriber* s = it->first;
    if (!it->second.empty() && s->socket->queued_bytes() > options_.backlog_bytes) {
      ++it;
      continue;
    }
    for (const auto& kv : it->second) s->socket->Send(kv.second);
    stats_.updates += static_cast<int64_t>(it->second.size());
    it = held_.erase(it);
  }
}

void Presence::DropHeld(const std::string& presence_id) {
  for (auto it = held_.begin(); it != held_.end();) {
    it->second.erase(presence_id);
    it = it->second.empty() ? held_.erase(it) : std::next(it);
  }
}

void Presence::Arm() {
  if (armed_) return;
  armed_ = true;
  post_(options_.cursor_interval_ms, [this] { Flush(); });
}

size_t Presence::held() const {
  size_t n = 0;
  for (const auto& kv : held_) n += kv.second.size();
  return n;
}

}  // namespace agor
