// AccessPolicy: the one privacy rule of agor, in memory. Every path that hands a record or an
// event to a user asks it: REST find/get and GET /events (through the SQL form below), live
// events in both channel modes, subscriptions, recovery replays, streamed chunks, prompts and
// stops (through the in-memory form).
//
// The rule (DESIGN.md, Privacy):
//   - a user who does not exist (removed, or never was) sees nothing;
//   - admins see and may do everything;
//   - a `team` board: every user sees it; a `private` board: its members, its owner and admins;
//   - on a board a user sees, their right is the board role from `board-members` when they
//     have one, else (team boards only) `member` acts as editor and `viewer` as viewer; the
//     board's owner_id owns it while that user exists (a removed owner's dangling id grants
//     nothing); the global role `viewer` never writes, whatever the board role says;
//   - sessions, tasks and messages (and their events, streamed chunks included) follow their
//     board, and so do the activity feed's entries and their seq-less `activity` events (on
//     the entry's board_id); repos are seen by every user;
//   - users: every user finds and gets users (the email only of themselves unless admin: the
//     api layer strips it); `users` events go to admins and to the user they are about;
//   - api-keys: only their owner (admins included: a key is personal);
//   - board-members: whoever sees the board, and the user the membership is about (so a
//     removed member hears of the removal);
//   - a board's `removed` event, once the board is gone: its owner and, for a team board,
//     every user (a removed board is otherwise seen by admins only, like its old events).
// Events are judged on Event::board_id and Event::user_id (the user the record is about).
//
// It mirrors the `users` (role), `boards` (visibility, owner) and `board-members` tables:
// Load() reads them when the store opens, and the store calls Apply() with every committed
// event of those services *before* any listener hears of it, so a revocation holds from the
// commit that makes it: the event that removes a member is the first one that user no longer
// gets (except that event itself, see board-members above).
//
// Cost: every check is a few hash lookups, O(1) in the number of boards, users and members.
//
// Thread-safety: none; owned by the Store, used on the daemon's event loop.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "store/event_log.h"
#include "store/sql_session.h"

namespace agor {

enum class UserRole { kNone, kViewer, kMember, kAdmin };  // kNone: no such user
// What a user may do on one board; ordered, each includes the ones before it.
enum class BoardAccess { kNone, kRead, kWrite, kOwn };

// "admin" -> kAdmin ...; anything else kNone. And back.
UserRole ParseUserRole(const std::string& role);
const char* UserRoleName(UserRole role);

class AccessPolicy {
 public:
  // Reads users, boards and board-members through `session` (a migrated database of either
  // engine), replacing what it held.
  Status Load(SqlSession* session);
  // Takes in one committed event of users, boards or board-members (others are ignored).
  void Apply(const Event& ev);

  UserRole RoleOf(const std::string& user_id) const;
  BoardAccess Board(const std::string& user_id, const std::string& board_id) const;
  // Whether `user_id` may receive `ev` (live, replayed or read from GET /events).
  bool CanSee(const std::string& user_id, const Event& ev) const;
  // Whether `user_id` may read `record` of `service` (the same rule, for one record).
  bool CanSeeRecord(const std::string& user_id, const std::string& service,
                    const Json& record) const;

  // The same rule as SQL, for finds: a condition on the rows of `service`'s table (or of the
  // events table for "events") true exactly for the rows `user_id` may see, with its
  // parameters appended to `params`. "" when the user sees every row (admins, repos, users);
  // "FALSE" for a user who does not exist. In the SQL of the engine Load read (its dialect):
  // booleans where PostgreSQL wants them, JSON through SqlDialect::JsonText. It reads the tables,
  // so it agrees with the in-memory form whenever no write is pending (Apply runs at commit).
  std::string SqlFilter(const std::string& user_id, const std::string& service,
                        std::vector<std::string>* params) const;

  bool IsPrivate(const std::string& board_id) const { return private_boards_.count(board_id); }

 private:
  void SetBoard(const std::string& board_id, bool is_private, const std::string& owner_id);
  void SetMember(const std::string& id, const std::string& key, const std::string& role);

  struct BoardInfo {
    bool is_private = false;
    std::string owner_id;
  };
  std::unordered_map<std::string, UserRole> roles_;    // user_id -> role
  std::unordered_map<std::string, BoardInfo> boards_;  // board_id -> info
  std::unordered_set<std::string> private_boards_;
  // (board_id + '\n' + user_id) -> board role, and membership id -> that key (for removals).
  std::unordered_map<std::string, BoardAccess> members_;
  std::unordered_map<std::string, std::string> member_keys_;
  // The store's engine, for SqlFilter's SQL (set by Load; SQLite's until then).
  const SqlDialect* dialect_ = &SqlDialect::ForSqlite();
};

}  // namespace agor
