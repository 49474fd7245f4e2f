#include "store/access_policy.h"

#include <algorithm>

#include "store/database.h"

namespace agor {
namespace {

BoardAccess ParseBoardRole(const std::string& role) {
  if (role == "owner") return BoardAccess::kOwn;
  if (role == "editor") return BoardAccess::kWrite;
  if (role == "viewer") return BoardAccess::kRead;
  return BoardAccess::kNone;
}

std::string Text(const Json& record, const char* field) {
  if (!record.is_object()) return "";
  auto it = record.find(field);
  return it != record.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string MemberKey(const std::string& board_id, const std::string& user_id) {
  return board_id + '\n' + user_id;
}

bool BoardScoped(const std::string& service) {
  return service == "boards" || service == "sessions" || service == "tasks" ||
         service == "messages" || service == "activity";
}

}  // namespace

UserRole ParseUserRole(const std::string& role) {
  if (role == "admin") return UserRole::kAdmin;
  if (role == "member") return UserRole::kMember;
  if (role == "viewer") return UserRole::kViewer;
  return UserRole::kNone;
}

const char* UserRoleName(UserRole role) {
  switch (role) {
    case UserRole::kAdmin:
      return "admin";
    case UserRole::kMember:
      return "member";
    case UserRole::kViewer:
      return "viewer";
    case UserRole::kNone:
      break;
  }
  return "";
}

Status AccessPolicy::Load(SqlSession* session) {
  dialect_ = &session->dialect();
  roles_.clear();
  boards_.clear();
  private_boards_.clear();
  members_.clear();
  member_keys_.clear();
  SqlResult users, boards, members;
  Status s = session->Query("SELECT user_id, role FROM users", {}, &users);
  if (s.ok()) s = session->Query("SELECT board_id, visibility, owner_id FROM boards", {}, &boards);
  if (s.ok())
    s = session->Query("SELECT id, board_id, user_id, role FROM board_members", {}, &members);
  if (!s.ok()) return s;
  for (const SqlRow& r : users.rows) roles_[r[0].text()] = ParseUserRole(r[1].text());
  for (const SqlRow& r : boards.rows) SetBoard(r[0].text(), r[1].text() == "private", r[2].text());
  for (const SqlRow& r : members.rows)
    SetMember(r[0].text(), MemberKey(r[1].text(), r[2].text()), r[3].text());
  return s;
}

void AccessPolicy::SetBoard(const std::string& board_id, bool is_private,
                            const std::string& owner_id) {
  boards_[board_id] = BoardInfo{is_private, owner_id};
  if (is_private)
    private_boards_.insert(board_id);
  else
    private_boards_.erase(board_id);
}

// `role` "" removes the membership `id`; its (board, user) key may change with a patch.
void AccessPolicy::SetMember(const std::string& id, const std::string& key,
                             const std::string& role) {
  auto old = member_keys_.find(id);
  if (old != member_keys_.end()) {
    members_.erase(old->second);
    member_keys_.erase(old);
  }
  if (role.empty()) return;
  members_[key] = ParseBoardRole(role);
  member_keys_[id] = key;
}

void AccessPolicy::Apply(const Event& ev) {
  const Json& r = ev.record;
  bool removed = ev.event == "removed";
  if (ev.service == "users") {
    if (removed)
      roles_.erase(Text(r, "user_id"));
    else
      roles_[Text(r, "user_id")] = ParseUserRole(Text(r, "role"));
  } else if (ev.service == "boards") {
    std::string id = Text(r, "board_id");
    if (removed) {
      boards_.erase(id);
      private_boards_.erase(id);
    } else {
      SetBoard(id, Text(r, "visibility") == "private", Text(r, "owner_id"));
    }
  } else if (ev.service == "board-members") {
    SetMember(Text(r, "id"), MemberKey(Text(r, "board_id"), Text(r, "user_id")),
              removed ? "" : Text(r, "role"));
  }
}

UserRole AccessPolicy::RoleOf(const std::string& user_id) const {
  auto it = roles_.find(user_id);
  return it == roles_.end() ? UserRole::kNone : it->second;
}

BoardAccess AccessPolicy::Board(const std::string& user_id, const std::string& board_id) const {
  UserRole role = RoleOf(user_id);
  if (role == UserRole::kNone) return BoardAccess::kNone;
  if (role == UserRole::kAdmin) return BoardAccess::kOwn;
  auto board = boards_.find(board_id);
  if (board == boards_.end()) return BoardAccess::kNone;
  BoardAccess access = BoardAccess::kNone;
  auto member = members_.find(MemberKey(board_id, user_id));
  if (member != members_.end()) {
    access = member->second;
  } else if (!board->second.is_private) {
    access = role == UserRole::kMember ? BoardAccess::kWrite : BoardAccess::kRead;
  }
  if (!user_id.empty() && board->second.owner_id == user_id) access = BoardAccess::kOwn;
  if (role == UserRole::kViewer) access = std::min(access, BoardAccess::kRead);
  return access;
}

bool AccessPolicy::CanSee(const std::string& user_id, const Event& ev) const {
  UserRole role = RoleOf(user_id);
  if (role == UserRole::kNone) return false;
  const std::string& service = ev.service;
  if (service == "api-keys") return ev.user_id == user_id;
  if (service == "users") return role == UserRole::kAdmin || ev.user_id == user_id;
  if (service == "repos") return true;
  bool sees_board = Board(user_id, ev.board_id) >= BoardAccess::kRead;
  if (service == "board-members") return sees_board || ev.user_id == user_id;
  if (sees_board || service != "boards") return sees_board;
  // A removed board's own removal reaches whoever saw it: a team board's users, its owner.
  return ev.event == "removed" && !boards_.count(ev.board_id) &&
         (ev.user_id == user_id || Text(ev.record, "visibility") == "team");
}

bool AccessPolicy::CanSeeRecord(const std::string& user_id, const std::string& service,
                                const Json& record) const {
  UserRole role = RoleOf(user_id);
  if (role == UserRole::kNone) return false;
  if (service == "api-keys") return Text(record, "user_id") == user_id;
  if (role == UserRole::kAdmin || service == "users" || service == "repos") return true;
  bool sees_board = Board(user_id, Text(record, "board_id")) >= BoardAccess::kRead;
  if (service == "board-members") return sees_board || Text(record, "user_id") == user_id;
  return BoardScoped(service) && sees_board;
}

namespace {

// The boards `?` (the viewer) sees, as a condition on `column`: team boards, the ones they
// own, the ones they are a member of. The caller has checked that the viewer exists.
std::string VisibleBoard(const std::string& column, const std::string& user_id,
                         std::vector<std::string>* params) {
  params->push_back(user_id);
  params->push_back(user_id);
  return "(" + column +
         " IN (SELECT board_id FROM boards WHERE visibility = 'team' OR owner_id = ?) OR " +
         column + " IN (SELECT board_id FROM board_members WHERE user_id = ?))";
}

std::string Is(const char* column, const std::string& user_id, std::vector<std::string>* params) {
  params->push_back(user_id);
  return std::string("\"") + column + "\" = ?";
}

// The events table: each service's rule, on the event's board_id and user_id columns.
std::string EventFilter(const SqlDialect& dialect, const std::string& user_id,
                        std::vector<std::string>* params) {
  std::string sql = "CASE \"service\" WHEN 'users' THEN " + Is("user_id", user_id, params);
  sql += " WHEN 'api-keys' THEN " + Is("user_id", user_id, params);
  sql += " WHEN 'repos' THEN TRUE WHEN 'board-members' THEN (" + Is("user_id", user_id, params);
  sql += " OR " + VisibleBoard("\"board_id\"", user_id, params) + ")";
  sql += " WHEN 'boards' THEN (" + VisibleBoard("\"board_id\"", user_id, params);
  sql += " OR (\"event\" = 'removed' AND \"board_id\" NOT IN (SELECT board_id FROM boards) AND (";
  sql += Is("user_id", user_id, params);
  sql += " OR " + dialect.JsonText("\"record\"", "visibility") + " = 'team')))";
  return sql + " ELSE " + VisibleBoard("\"board_id\"", user_id, params) + " END";
}

}  // namespace

std::string AccessPolicy::SqlFilter(const std::string& user_id, const std::string& service,
                                    std::vector<std::string>* params) const {
  UserRole role = RoleOf(user_id);
  if (role == UserRole::kNone) return "FALSE";
  if (service == "api-keys") return Is("user_id", user_id, params);
  bool events = service == "events";
  if (role == UserRole::kAdmin)
    return events ? "\"service\" <> 'api-keys' OR " + Is("user_id", user_id, params) : "";
  if (service == "users" || service == "repos") return "";
  if (events) return EventFilter(*dialect_, user_id, params);
  if (service == "board-members")
    return Is("user_id", user_id, params) + " OR " + VisibleBoard("\"board_id\"", user_id, params);
  return BoardScoped(service) ? VisibleBoard("\"board_id\"", user_id, params) : "FALSE";
}

}  // namespace agor
