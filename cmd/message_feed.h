// MessageFeed: the reading half of `agor message list SESSION [--follow]` (cmd/message_cmd.cpp):
// a session's messages in index order, paged through all, and with --follow the new ones as
// they are stored, until Ctrl-C or until stdout's reader goes away.
//
// Contract:
// - Pages are read by index (keyset: `index >= next`, sorted by index, 1000 a page), so a
//   message stored meanwhile is neither skipped nor shown twice. Messages without an index
//   (not placed yet) are skipped; each message is printed at most once (by message_id).
// - Output (cmd/output.h styles): JSON mode, one message record per line; terminal mode, one
//   row per message (INDEX ROLE TYPE CONTENT, header once), content cut to one line and
//   escaped by cmd/output.h's CellText.
// - Following (MessageFollower, a cmd/channel_follower.h): subscribes to the session over
//   Socket.IO first, then reads what is stored (so nothing falls between
//   the two), then prints each `messages created`/`patched` record that takes the next index.
//   A record past the next index means something was missed: the gap is read over REST
//   first. A reconnect the server did not recover subscribes and catches up again; a REST call
//   the daemon did not answer makes the socket reconnect. Removing the session ends it.
// - Exit codes (cmd/command.h): 0 done or stdout closed, 1 refused or the session was removed
//   ("agor: ..." one line), 3 unreachable at start, 130 interrupted (the flag a SIGINT
//   handler sets, polled).
//
// Threading: one thread; MessageFollower runs its socket loop on the caller's thread.
#pragma once

#include <csignal>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "cmd/channel_follower.h"
#include "cmd/client/rest_client.h"
#include "cmd/output.h"

namespace agor {

// Prints messages in the chosen style and remembers what it printed.
class MessagePrinter {
 public:
  explicit MessagePrinter(OutputStyle style) : style_(style) {}
  // Prints `message` unless it was printed before. False when stdout's reader is gone.
  bool Print(const Json& message);
  bool Printed(const std::string& message_id) const { return printed_.count(message_id) > 0; }

 private:
  bool Write(const std::string& text);

  OutputStyle style_;
  bool header_done_ = false;
  std::set<std::string> printed_;
};

// The terminal row of one message (pure, without the trailing newline).
std::string MessageRow(const Json& message);

// Prints the session's messages from index `*next` on, page after page, advancing `*next`
// past each one printed. `*closed` turns true (and reading stops) when stdout's reader is gone.
Status PrintStoredMessages(RestClient& rest, const std::string& session_id, MessagePrinter& printer,
                           int64_t* next, bool* closed);

// Follows one session (cmd/channel_follower.h does the joining and the loop).
class MessageFollower : public ChannelFollower {
 public:
  MessageFollower(const BaseUrl& base, std::string session_id, OutputStyle style,
                  const volatile std::sig_atomic_t& interrupted);

 private:
  void CatchUp() override;
  void OnEvent(const std::string& name, const Json& record) override;
  void Place(const Json& message);

  MessagePrinter printer_;
  std::string session_id_;
  int64_t next_ = 0;  // the index the next printed message must have
};

}  // namespace agor
