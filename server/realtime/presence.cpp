// Presence's calls, validation and lifetime; delivery is in presence_delivery.cpp. The rules
// are in presence.h.
#include "server/realtime/presence.h"

#include <algorithm>
#include <cmath>

#include "base/ids.h"
#include "server/realtime/engine_server.h"

namespace agor {
namespace {

Status NoRecord(const Json& id) {
  std::string text = id.is_string() ? id.get<std::string>() : DumpJson(id);
  return Status::NotFound("No record found for id '" + text + "'");
}

bool ValidCoordinate(const Json& v) {
  return v.is_number() && IsCursorCoordinate(v.get<double>());
}

Status BadField(const std::string& field, const std::string& why) {
  return Status::BadRequest(field + " " + why, Json{{"field", field}});
}

}  // namespace

// A create's or patch's data once valid; `set_*` say which fields came.
struct Presence::Fields {
  std::string board_id;
  bool set_cursor = false, has_cursor = false;
  double x = 0, y = 0;
  bool set_selected = false, set_typing = false;
  Json selected, typing;  // null or a string, checked against the board later
};

Presence::Presence(Store* store, Hub* hub, Clock* clock, Post post, PresenceOptions options)
    : store_(store), hub_(hub), clock_(clock), post_(std::move(post)), options_(options) {}

Status Presence::Call(const ServiceCall& call, Subscriber* sub, const std::string& pid,
                      Json* result) {
  if (!call.caller.authenticated()) return Status(Code::kNotAuthenticated, "Not authenticated");
  if (sub && !CountCall(sub, false)) {
    return Status(Code::kTooManyRequests, "Too many presence calls (max " +
                                              std::to_string(options_.max_calls_per_s) + "/s)");
  }
  const std::string& m = call.method;
  if (m == "find") return Find(call.caller, call.query, result);
  if (m == "get") return Get(call.caller, call.id, result);
  if (!sub && (m == "create" || m == "patch" || m == "remove")) {
    return Status::MethodNotAllowed("presence." + m + " needs a Socket.IO connection");
  }
  if (m == "create") return Create(sub, pid, call.data, result);
  if (m == "patch") return PatchCall(sub, call.id, call.data, result);
  if (m == "remove") return RemoveCall(sub, call.id, result);
  return Status::MethodNotAllowed("Method '" + m + "' is not supported by presence");
}

Status Presence::Create(Subscriber* sub, const std::string& pid, const Json& data, Json* result) {
  Fields f;
  Status s = ParseFields(sub->caller, data, true, &f);
  if (!s.ok()) return s;
  PresenceEntry* e = registry_.BySub(sub);
  const bool existed = e && e->board_id == f.board_id;
  if (!existed) e = Join(sub, pid, f.board_id);
  Apply(e, f, clock_->NowMillis());
  Emit(existed ? "patched" : "created", *e);
  *result = PresenceJson(*e);
  return Status::OK();
}

Status Presence::PatchCall(Subscriber* sub, const Json& id, const Json& data, Json* result) {
  PresenceEntry* e = Own(sub, id);
  if (!e)
    return id.is_null() ? Status::MethodNotAllowed("Can not patch multiple entries") : NoRecord(id);
  Fields f;
  f.board_id = e->board_id;
  Status s = ParseFields(sub->caller, data, false, &f);
  if (!s.ok()) return s;
  Apply(e, f, clock_->NowMillis());
  Emit("patched", *e);
  *result = PresenceJson(*e);
  return Status::OK();
}

Status Presence::RemoveCall(Subscriber* sub, const Json& id, Json* result) {
  PresenceEntry* e = Own(sub, id);
  if (!e)
    return id.is_null() ? Status::MethodNotAllowed("Can not remove multiple entries")
                        : NoRecord(id);
  *result = PresenceJson(*e);
  Leave(e);
  return Status::OK();
}

// The roster of a board the caller may see, detached entries (in their grace) included.
Status Presence::Find(const Caller& caller, const Json& query, Json* result) {
  if (!query.is_object() || !query.contains("board_id")) {
    return BadField("board_id", "is required: presence.find({query: {board_id}})");
  }
  for (const auto& kv : query.items()) {
    if (kv.key() != "board_id") return BadField(kv.key(), "is not a presence query field");
  }
  std::string board;
  Status s = VisibleBoard(caller, query["board_id"], &board);
  if (!s.ok()) return s;
  *result = Json::array();
  for (const PresenceEntry* e : registry_.RosterOf(board)) result->push_back(PresenceJson(*e));
  return Status::OK();
}

Status Presence::Get(const Caller& caller, const Json& id, Json* result) {
  const PresenceEntry* e = id.is_string() ? registry_.ById(id.get<std::string>()) : nullptr;
  if (!e || store_->access().Board(caller.user_id, e->board_id) < BoardAccess::kRead) {
    return NoRecord(id);
  }
  *result = PresenceJson(*e);
  return Status::OK();
}

// Checks every field (the board first: the sessions are judged against it).
Status Presence::ParseFields(const Caller& caller, const Json& data, bool create, Fields* out) {
  if (!data.is_object()) return Status::BadRequest("presence data must be an object");
  for (const auto& kv : data.items()) {
    const std::string& k = kv.key();
    bool known = k == "cursor" || k == "selected_session_id" || k == "typing_session_id" ||
                 (create && k == "board_id");
    if (!known) return BadField(k, "is not a presence field the client sets");
  }
  if (create) {
    if (!data.contains("board_id")) return BadField("board_id", "is required");
    Status s = VisibleBoard(caller, data["board_id"], &out->board_id);
    if (!s.ok()) return s;
  }
  if (data.contains("cursor")) {
    const Json& c = data["cursor"];
    out->set_cursor = true;
    out->has_cursor = !c.is_null();
    bool ok =
        c.is_null() || (c.is_object() && c.size() == 2 && c.contains("x") && c.contains("y") &&
                        ValidCoordinate(c["x"]) && ValidCoordinate(c["y"]));
    if (!ok) return BadField("cursor", "must be null or {x, y}, finite, |x|, |y| <= 1e7");
    if (out->has_cursor) out->x = c["x"].get<double>(), out->y = c["y"].get<double>();
  }
  for (const char* k : {"selected_session_id", "typing_session_id"}) {
    if (!data.contains(k)) continue;
    std::string full;
    Status s = CheckSession(caller, out->board_id, data[k], &full);
    if (!s.ok()) return s;
    bool selected = k[0] == 's';
    (selected ? out->set_selected : out->set_typing) = true;
    (selected ? out->selected : out->typing) = full.empty() ? Json(nullptr) : Json(full);
  }
  return Status::OK();
}

// null, or a session the caller sees on `board_id` (its full id in *full).
Status Presence::CheckSession(const Caller& caller, const std::string& board_id, const Json& id,
                              std::string* full) {
  full->clear();
  if (id.is_null()) return Status::OK();
  if (!id.is_string()) return Status::BadRequest("a session id must be a string or null");
  Json session;
  Status s = store_->ResolveId("sessions", id.get<std::string>(), full, caller.user_id);
  if (s.ok()) s = store_->Get("sessions", *full, &session);
  if (s.ok() && !store_->access().CanSeeRecord(caller.user_id, "sessions", session)) {
    s = NoRecord(id);
  }
  if (!s.ok()) return s.code() == Code::kNotFound ? NoRecord(id) : s;
  if (StringField(session, "board_id") != board_id) {
    return Status::BadRequest("session '" + *full + "' is not on this board",
                              Json{{"field", "session_id"}});
  }
  return Status::OK();
}

// A board the caller may see (short ids resolve); NotFound like a missing one otherwise.
Status Presence::VisibleBoard(const Caller& caller, const Json& id, std::string* full) {
  if (!id.is_string()) return BadField("board_id", "must be a string");
  Status s = store_->ResolveId("boards", id.get<std::string>(), full, caller.user_id);
  if (s.ok() && store_->access().Board(caller.user_id, *full) < BoardAccess::kRead) {
    s = NoRecord(id);
  }
  if (!s.ok()) return s.code() == Code::kNotFound ? NoRecord(id) : s;
  return Status::OK();
}

// The connection's entry on `board_id`, made (its previous board left, an entry of its pid
// that another connection still shows taken over) when it has none there. A new entry is
// announced by the caller, once its fields are set.
PresenceEntry* Presence::Join(Subscriber* sub, const std::string& pid,
                              const std::string& board_id) {
  if (PresenceEntry* old = registry_.BySub(sub)) {
    if (old->board_id == board_id) return old;
    Leave(old);
  }
  if (PresenceEntry* other = registry_.ByPid(pid)) Leave(other);  // a stale connection's
  PresenceEntry e;
  e.presence_id = NewUuid();
  e.pid = pid;
  e.sub = sub;
  e.user_id = sub->caller.user_id;
  e.board_id = board_id;
  Json user;
  if (store_->Get("users", e.user_id, &user).ok()) {
    e.name = user.value("name", Json(nullptr));
    e.emoji = user.value("emoji", Json(nullptr));
  }
  e.last_active_ms = clock_->NowMillis();
  return registry_.Add(std::move(e));  // never refused: its connection and pid have none now
}

void Presence::Apply(PresenceEntry* e, const Fields& f, int64_t now) {
  if (f.set_cursor) {
    e->has_cursor = f.has_cursor;
    e->x = f.x;
    e->y = f.y;
  }
  if (f.set_selected)
    e->selected_session_id = f.selected.is_null() ? "" : f.selected.get<std::string>();
  if (f.set_typing) {
    e->typing_session_id = f.typing.is_null() ? "" : f.typing.get<std::string>();
    e->typing_until_ms = now + options_.typing_ms;
  }
  Touch(e, now);
}

// The calling connection's entry when `id` names it; nullptr otherwise (others' are unseen).
PresenceEntry* Presence::Own(Subscriber* sub, const Json& id) {
  PresenceEntry* e = registry_.BySub(sub);
  if (!e || !id.is_string() || id.get<std::string>() != e->presence_id) return nullptr;
  return e;
}

// Counts one call or cursor event in the connection's current second; false past its limit.
bool Presence::CountCall(Subscriber* sub, bool cursor) {
  Rate& r = rates_[sub];
  const int64_t now = clock_->NowMillis();
  if (now - r.window_ms >= 1000 || now < r.window_ms) r = Rate{now, 0, 0};
  int& n = cursor ? r.cursors : r.calls;
  return ++n <= (cursor ? options_.max_cursor_per_s : options_.max_calls_per_s);
}

void Presence::Leave(PresenceEntry* e) {
  DropHeld(e->presence_id);
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), e), dirty_.end());
  Emit("removed", *e);  // while it is still on the roster: the leaver's connection hears too
  registry_.Remove(e);
}

// Activity: true when it ended idleness (the caller tells the others).
bool Presence::Touch(PresenceEntry* e, int64_t now) {
  e->last_active_ms = now;
  if (!e->idle) return false;
  e->idle = false;
  return true;
}

bool Presence::MayStay(const PresenceEntry& e) const {
  return store_->access().Board(e.user_id, e.board_id) >= BoardAccess::kRead;
}

void Presence::Detach(Subscriber* sub) {
  rates_.erase(sub);
  held_.erase(sub);
  if (PresenceEntry* e = registry_.BySub(sub)) registry_.Detach(e, clock_->NowMillis());
}

void Presence::Attach(Subscriber* sub, const std::string& pid) {
  PresenceEntry* own = registry_.BySub(sub);
  if (own && own->user_id != sub->caller.user_id) Leave(own);
  if (registry_.BySub(sub) || !sub->caller.authenticated()) return;
  PresenceEntry* e = registry_.ByPid(pid);
  if (e && e->user_id == sub->caller.user_id) registry_.Attach(e, sub);
}

void Presence::OnCommitted(const Event& ev) {
  if (ev.service == "users") return FollowUser(ev);
  if (ev.service == "boards" || ev.service == "board-members") return Recheck(ev);
  if (ev.service == "sessions" && ev.event != "created") return ClearSession(ev);
}

// The board's entries whose users lost access leave, at once; all of them when it is removed
// (admins may "see" any board id, even a gone one).
void Presence::Recheck(const Event& ev) {
  const bool removed = ev.service == "boards" && ev.event == "removed";
  std::vector<PresenceEntry*> gone;
  for (PresenceEntry* e : registry_.RosterOf(ev.board_id)) {
    if (removed || !MayStay(*e)) gone.push_back(e);
  }
  for (PresenceEntry* e : gone) Leave(e);
}

// A user removed or demoted leaves where they may no longer be; a new name or emoji shows.
void Presence::FollowUser(const Event& ev) {
  std::vector<PresenceEntry*> mine;
  registry_.ForEach([&](PresenceEntry* e) {
    if (e->user_id == ev.user_id) mine.push_back(e);
  });
  for (PresenceEntry* e : mine) {
    if (!MayStay(*e) || ev.event == "removed") {
      Leave(e);
      continue;
    }
    Json name = ev.record.value("name", Json(nullptr));
    Json emoji = ev.record.value("emoji", Json(nullptr));
    if (name == e->name && emoji == e->emoji) continue;
    e->name = std::move(name);
    e->emoji = std::move(emoji);
    Emit("patched", *e);
  }
}

// A session removed, or moved to another board, is no longer selected or typed in there.
void Presence::ClearSession(const Event& ev) {
  const std::string id = StringField(ev.record, "session_id");
  const bool gone = ev.event == "removed" || StringField(ev.record, "board_id") != ev.board_id;
  if (id.empty() || !gone) return;
  registry_.ForEach([&](PresenceEntry* e) {
    if (e->selected_session_id != id && e->typing_session_id != id) return;
    if (e->selected_session_id == id) e->selected_session_id.clear();
    if (e->typing_session_id == id) e->typing_session_id.clear();
    Emit("patched", *e);
  });
}

// Graces, typing and idleness, judged at one instant.
void Presence::Sweep() {
  const int64_t now = clock_->NowMillis();
  std::vector<PresenceEntry*> gone;
  registry_.ForEach([&](PresenceEntry* e) {
    if (!e->node.empty()) return;  // its own node times it
    if (!e->sub && now - e->detached_ms >= options_.grace_ms) return gone.push_back(e);
    bool changed = false;
    if (!e->typing_session_id.empty() && now >= e->typing_until_ms) {
      e->typing_session_id.clear();
      changed = true;
    }
    if (!e->idle && now - e->last_active_ms >= options_.idle_ms) changed = e->idle = true;
    if (changed) Emit("patched", *e);
  });
  for (PresenceEntry* e : gone) Leave(e);
}

// Often enough that each deadline is met within a fifth of the shortest one (a second at most).
int Presence::SweepIntervalMs() const {
  int shortest = std::min({options_.grace_ms, options_.typing_ms, options_.idle_ms});
  return std::clamp(shortest / 5, 10, 1000);
}

}  // namespace agor
