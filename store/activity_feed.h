// ActivityFeed: how the event log becomes the board's activity feed (issue 12): pure rules
// over one logged Event and the earlier entry it may grow, with no I/O of its own (names come
// through ActivityNames, which the store answers from its tables). The store runs them for
// every write in that write's transaction (store/store_activity.cpp), so the feed is derived
// state: a rolled-back write leaves no entry.
//
// Which events make an entry (only board-scoped ones: users, api-keys and repos never do):
//   boards         created / updated / removed     "ana created board Web"
//   sessions       created / updated / removed     "ana created session fix-login"
//   tasks          created                         "ana prompted claude-code in fix-login"
//                  (a queued prompt, whose user is not kept: "a queued prompt started ...")
//                  patched to completed / failed / stopped
//                                                  "task in fix-login completed in 34 s"
//                  removed                         "ana removed a task in fix-login"
//   messages       created                         "claude-code wrote 14 messages in fix-login"
//                  created queued                  "ana queued a prompt in fix-login"
//                  removed                         "ana removed a message in fix-login"
//   board-members  created / patched / removed     "bo joined the board", "bo is now viewer
//                                                  on the board", "bo left the board"
// Verbs: created, updated, removed, prompted, queued, wrote, completed, failed, stopped,
// joined, role, left. Not entries: what an agent run does to its session and task on the way
// (status running/idle, sdk_session_id, the task going running or stopping), the daemon's own
// updates (no actor: a restart idling sessions, old boards given their owner), message patches
// (a queued prompt leaving the queue, a removed task's messages), the prompt's own user
// message (its task's `prompted` entry says it), and the children a removal cascades to (the
// removal's own entry says it): the store derives only from each write's own event.
//
// Grouping (an entry's `count` grows instead of a new entry):
//   - every message an agent writes during one task: one `wrote` entry per task;
//   - messages without a task: consecutive ones of one actor in one session, each within 60 s
//     of the previous, while no other entry of that session came in between;
//   - updates of one board or session by one actor, each within 60 s of the previous, while
//     no other entry of the board came in between ("ana updated session fix-login (5 times)").
//
// Names: the actor is the agent (`claude-code`) for what a run did, else the user's name,
// else `user <8-hex id prefix>` (never the email: only admins may see emails), else `agor`
// for the daemon's own writes; sessions by title, else their id's 8-char prefix. Summaries
// are one line (control characters become spaces) of at most kMaxSummaryBytes, cut on a
// UTF-8 boundary.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "store/event_log.h"

namespace agor {

inline constexpr size_t kMaxSummaryBytes = 200;
// Messages or updates further apart than this start a new entry.
inline constexpr int64_t kActivityGroupMs = 60000;

// One entry of the feed, as the `activity` table keeps it.
struct ActivityEntry {
  std::string activity_id;
  std::string board_id;
  std::string session_id;  // "" for none
  std::string task_id;     // "" for none
  std::string actor_id;    // the responsible user ("" none), as Event::actor_id
  std::string actor_agent;
  std::string actor_name;  // what the summary calls the actor
  std::string verb;
  std::string subject;  // what the entry is about, as the summary names it ("session fix-login")
  std::string summary;
  int64_t count = 1;
  int64_t first_seq = 0;
  int64_t last_seq = 0;
  std::string ts;  // of the newest event the entry holds

  // The wire record: {activity_id, board_id, session_id, task_id, actor: {user_id, name},
  // verb, summary, count, first_seq, last_seq, ts} ("" ids as null).
  Json ToJson() const;
};

// The names derivation needs, looked up by the caller (the store's tables).
class ActivityNames {
 public:
  virtual ~ActivityNames() = default;
  // The user's display name; "" when the user has none (or does not exist).
  virtual std::string UserName(const std::string& user_id) = 0;
  // The session's title ("" when none) and agentic_tool; false when it does not exist.
  virtual bool Session(const std::string& session_id, std::string* title, std::string* tool) = 0;
};

// Which earlier entry an event may grow, for the caller to look up.
enum class ActivityGroup {
  kNone,     // the event never grows an entry
  kTask,     // the `wrote` entry of the event's task (Event record's task_id)
  kSession,  // the newest entry of the event's session
  kBoard,    // the newest entry of the event's board
};
ActivityGroup GroupOf(const Event& ev);

enum class ActivityChange { kNone, kCreated, kGrown };

// What `ev` (logged: seq, ts, actor set) does to the feed. `previous` is the entry GroupOf
// asked for (null when none). kCreated: `*out` is a new entry (activity_id left for the
// caller); kGrown: `*out` is `*previous` grown by this event; kNone: nothing.
ActivityChange DeriveActivity(const Event& ev, const ActivityEntry* previous, ActivityNames& names,
                              ActivityEntry* out);

// "34 s", "2.5 s", "3 min 20 s", "2 h 5 min".
std::string FormatDuration(int64_t ms);

}  // namespace agor
