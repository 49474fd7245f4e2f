#include "server/realtime/presence_registry.h"

#include "base/clock.h"

namespace agor {
namespace {

Json OptionalId(const std::string& id) {
  return id.empty() ? Json(nullptr) : Json(id);
}

}  // namespace

Json PresenceJson(const PresenceEntry& e) {
  Json cursor = e.has_cursor ? Json{{"x", e.x}, {"y", e.y}} : Json(nullptr);
  return Json{{"presence_id", e.presence_id},
              {"user_id", e.user_id},
              {"name", e.name},
              {"emoji", e.emoji},
              {"board_id", e.board_id},
              {"cursor", std::move(cursor)},
              {"selected_session_id", OptionalId(e.selected_session_id)},
              {"typing_session_id", OptionalId(e.typing_session_id)},
              {"idle", e.idle},
              {"last_active", FormatIso8601(e.last_active_ms)}};
}

PresenceEntry* PresenceRegistry::Add(PresenceEntry e) {
  const bool has_pid = !e.pid.empty();
  if ((e.sub && by_sub_.count(e.sub)) || (has_pid && by_pid_.count(e.pid)) ||
      by_id_.count(e.presence_id)) {
    return nullptr;
  }
  auto owned = std::make_unique<PresenceEntry>(std::move(e));
  PresenceEntry* p = owned.get();
  by_id_.emplace(p->presence_id, std::move(owned));
  if (p->sub) by_sub_[p->sub] = p;
  if (has_pid) by_pid_[p->pid] = p;
  if (!p->node.empty()) ++by_node_[p->node], ++remote_;
  boards_[p->board_id].insert(p);
  return p;
}

void PresenceRegistry::Remove(PresenceEntry* e) {
  if (e->sub) by_sub_.erase(e->sub);
  if (!e->pid.empty()) by_pid_.erase(e->pid);
  if (!e->node.empty()) Uncount(e->node);
  auto board = boards_.find(e->board_id);
  if (board != boards_.end()) {
    board->second.erase(e);
    if (board->second.empty()) boards_.erase(board);
  }
  by_id_.erase(e->presence_id);  // frees e: last
}

void PresenceRegistry::Move(PresenceEntry* e, const std::string& board_id) {
  auto board = boards_.find(e->board_id);
  if (board != boards_.end()) {
    board->second.erase(e);
    if (board->second.empty()) boards_.erase(board);
  }
  e->board_id = board_id;
  boards_[board_id].insert(e);
}

void PresenceRegistry::Detach(PresenceEntry* e, int64_t now_ms) {
  if (e->sub) by_sub_.erase(e->sub);
  e->sub = nullptr;
  e->detached_ms = now_ms;
}

void PresenceRegistry::Attach(PresenceEntry* e, Subscriber* sub) {
  if (e->sub) by_sub_.erase(e->sub);
  e->sub = sub;
  e->detached_ms = 0;
  by_sub_[sub] = e;
}

PresenceEntry* PresenceRegistry::ById(const std::string& presence_id) const {
  auto it = by_id_.find(presence_id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

PresenceEntry* PresenceRegistry::BySub(const Subscriber* sub) const {
  auto it = by_sub_.find(sub);
  return it == by_sub_.end() ? nullptr : it->second;
}

PresenceEntry* PresenceRegistry::ByPid(const std::string& pid) const {
  auto it = by_pid_.find(pid);
  return it == by_pid_.end() ? nullptr : it->second;
}

size_t PresenceRegistry::CountOf(const std::string& node) const {
  auto it = by_node_.find(node);
  return it == by_node_.end() ? 0 : it->second;
}

void PresenceRegistry::Uncount(const std::string& node) {
  --remote_;
  auto it = by_node_.find(node);
  if (it != by_node_.end() && --it->second == 0) by_node_.erase(it);
}

const PresenceRegistry::Roster& PresenceRegistry::RosterOf(const std::string& board_id) const {
  static const Roster kEmpty;
  auto it = boards_.find(board_id);
  return it == boards_.end() ? kEmpty : it->second;
}

}  // namespace agor
