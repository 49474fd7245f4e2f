// Other nodes' presence entries, as the relay between nodes hands them in (presence.h, "Across
// nodes"): kept within their bounds, announced and delivered like this node's own.
#include <vector>

#include "server/realtime/presence.h"

namespace agor {
namespace {

// What a `presence patched` would show, but last_active (which moves without one).
Json Shown(const PresenceEntry& e) {
  Json j = PresenceJson(e);
  j.erase("last_active");
  return j;
}

}  // namespace

// The entry `presence_id` when `node` shows it; nullptr otherwise (a local one included).
PresenceEntry* Presence::Remote(const std::string& node, const std::string& presence_id) const {
  PresenceEntry* e = registry_.ById(presence_id);
  return e && !node.empty() && e->node == node ? e : nullptr;
}

bool Presence::PutRemote(PresenceEntry in) {
  if (in.node.empty() || in.sub || !in.pid.empty()) return false;
  PresenceEntry* e = registry_.ById(in.presence_id);
  if (e && e->node != in.node) return false;  // never another node's id, nor a local one
  if (e && e->board_id != in.board_id) {
    Leave(e);  // its node moved it: the old board hears it leave
    e = nullptr;
  }
  if (!e) {
    if (registry_.CountOf(in.node) >= options_.max_remote_per_node ||
        registry_.remote() >= options_.max_remote_total)
      return false;
    e = registry_.Add(std::move(in));
    if (!e) return false;
    Emit("created", *e);
    return true;
  }
  const bool same = Shown(*e) == Shown(in);
  e->user_id = std::move(in.user_id);
  e->name = std::move(in.name);
  e->emoji = std::move(in.emoji);
  e->has_cursor = in.has_cursor;
  e->x = in.x;
  e->y = in.y;
  e->selected_session_id = std::move(in.selected_session_id);
  e->typing_session_id = std::move(in.typing_session_id);
  e->idle = in.idle;
  e->last_active_ms = in.last_active_ms;
  if (!same) Emit("patched", *e);  // a snapshot repeating what is known says nothing
  return true;
}

void Presence::RemoveRemote(const std::string& node, const std::string& presence_id) {
  if (PresenceEntry* e = Remote(node, presence_id)) Leave(e);
}

void Presence::MoveRemote(const std::string& node, const std::string& presence_id, double x,
                          double y, int64_t at_ms) {
  PresenceEntry* e = Remote(node, presence_id);
  if (!e || !IsCursorCoordinate(x) || !IsCursorCoordinate(y)) return;
  e->has_cursor = true;
  e->x = x;
  e->y = y;
  e->cursor_ms = at_ms;
  MarkDirty(e);
}

void Presence::LeaveRemote(const std::string& node, const std::string& presence_id, int64_t at_ms) {
  PresenceEntry* e = Remote(node, presence_id);
  if (e && e->has_cursor) EndCursor(e, at_ms);
}

void Presence::DropNode(const std::string& node, const std::unordered_set<std::string>& keep) {
  if (node.empty() || registry_.CountOf(node) == 0) return;
  std::vector<PresenceEntry*> gone;
  registry_.ForEach([&](PresenceEntry* e) {
    if (e->node == node && !keep.count(e->presence_id)) gone.push_back(e);
  });
  for (PresenceEntry* e : gone) Leave(e);
}

}  // namespace agor
