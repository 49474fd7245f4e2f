// ActivityFeed: the reading half of `agor board activity BOARD [--follow] [--limit N]`
// (cmd/board_activity_cmd.cpp): a board's activity feed, newest last, and with --follow the
// entries as they start and grow, until Ctrl-C or until stdout's reader goes away.
//
// The wire (issue 12): `GET /activity?board_id=&$limit=&$before=` answers entries newest first,
// `{activity_id, board_id, session_id, task_id, actor: {user_id, name}, verb, summary, count,
// first_seq, last_seq, ts}`; `$before` is a seq (entries whose first_seq is below it). Live,
// on the board's channel: `activity created` when an entry starts and `activity patched` as it
// grows (seq-less, never replayed), the record being the entry.
//
// Contract:
// - ReadActivity reads the newest `limit` entries (paging on with $before when the server's
//   page is smaller), or one page of the server's default size when limit is 0, and hands
//   them back oldest first: the order they print in.
// - ActivityLedger: an entry prints once per state. It is new (never printed), grew (printed
//   before with a smaller last_seq, or the same last_seq and a smaller count: the latest count
//   wins) or seen (the same or an older state: dropped). That is what makes "start the live
//   connection, then read the page" safe: what both deliver prints once. It remembers at most
//   kMaxRemembered entries (the oldest printed is forgotten first).
// - Output (cmd/output.h styles): JSON mode, each entry as the server sent it, one line (a
//   grown entry prints again with its new count; readers key on activity_id); terminal mode,
//   ActivityLine: `HH:MM:SS  <summary>`, and for a grown entry `  (updated, count N)` after
//   it. Text from the daemon is made terminal-safe and kept on one line.
// - ActivityFollower (a cmd/channel_follower.h) subscribes to the board over Socket.IO
//   first, then reads the page (so nothing falls between the two), then prints each live
//   entry the ledger admits. A reconnect the server did not recover subscribes again; every
//   reconnect reads the page again (live activity is never replayed), printing what it
//   missed. A REST call the daemon did not answer makes the socket reconnect. The board's
//   removal ends it.
// - Exit codes (cmd/command.h): 0 done or stdout closed, 1 refused or the board was removed
//   ("agor: ..." one line), 3 unreachable at start, 4 not authenticated, 130 interrupted (the
//   flag a SIGINT handler sets, polled).
//
// Threading: one thread; ActivityFollower runs its socket loop on the caller's thread.
#pragma once

#include <csignal>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "base/status.h"
#include "cmd/channel_follower.h"
#include "cmd/client/rest_client.h"
#include "cmd/output.h"

namespace agor {

// The most entries --limit may ask for (and the page re-read after a reconnect).
inline constexpr std::int64_t kMaxActivityLimit = 1000;

// The board's newest `limit` entries (0: the server's default page), oldest first.
Status ReadActivity(RestClient& rest, const std::string& board_id, std::int64_t limit,
                    Json* oldest_first);

class ActivityLedger {
 public:
  enum class Verdict { kNew, kGrew, kSeen };
  static constexpr std::size_t kMaxRemembered = 10000;

  // Records `entry`'s state unless it is seen; entries without an activity_id are kSeen.
  Verdict Admit(const Json& entry);

 private:
  struct State {
    std::int64_t last_seq = -1;
    std::int64_t count = -1;
  };
  std::map<std::string, State> states_;
  std::deque<std::string> order_;  // activity ids, first printed first
};

// The terminal line of one entry, "\n" included (see above); `color` dims the time and
// colours the update note.
std::string ActivityLine(const Json& entry, bool grew, bool color);

// Prints entries the ledger admits, in the chosen style.
class ActivityPrinter {
 public:
  explicit ActivityPrinter(OutputStyle style) : style_(style) {}
  // False when stdout's reader is gone.
  bool Print(const Json& entry);

 private:
  OutputStyle style_;
  ActivityLedger ledger_;
};

// Follows one board's feed (cmd/channel_follower.h does the joining and the loop).
class ActivityFollower : public ChannelFollower {
 public:
  ActivityFollower(const BaseUrl& base, std::string board_id, std::int64_t limit, OutputStyle style,
                   const volatile std::sig_atomic_t& interrupted);

 private:
  void CatchUp() override;
  void OnEvent(const std::string& name, const Json& record) override;

  ActivityPrinter printer_;
  std::string board_id_;
  std::int64_t limit_;
};

}  // namespace agor
