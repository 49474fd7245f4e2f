// ChannelFollower: the live loop the CLI's followers share (`agor message --follow`,
// cmd/message_feed.h; `agor board activity --follow`, cmd/activity_feed.h). It joins one
// channel over Socket.IO (cmd/client/socket_client.h) *before* reading what is stored over
// REST, so that nothing falls between the two; a reconnect the daemon did not recover joins
// again, and every reconnect reads again (CatchUp). A subclass says how to read (CatchUp) and
// what to do with each event (OnEvent); it ends the loop with Finish.
//
// Refusals end it with one "agor: ..." line: NotAuthenticated as is (exit 4), any other
// refusal of the join as "cannot follow the <what>: ..." (exit 1). Every 100 ms it checks the
// SIGINT flag (exit 130) and whether stdout's reader is gone (exit 0).
//
// Threading: one thread; Run drives the socket loop on the caller's thread.
#pragma once

#include <csignal>
#include <string>

#include "base/json.h"
#include "cmd/client/rest_client.h"
#include "cmd/client/socket_client.h"

namespace agor {

class ChannelFollower {
 public:
  // `channel`: the `subscriptions` create data ({"board_id": ..} or {"session_id": ..});
  // `what`: the channel's kind in messages ("board", "session").
  ChannelFollower(const BaseUrl& base, Json channel, std::string what,
                  const volatile std::sig_atomic_t& interrupted);
  virtual ~ChannelFollower() = default;

  // Follows until the end; returns the exit code (cmd/command.h).
  int Run();

 protected:
  // Reads and prints what is stored (after each (re)connect, and whenever the subclass asks).
  virtual void CatchUp() = 0;
  // One live event, unless finished.
  virtual void OnEvent(const std::string& name, const Json& record) = 0;

  // Ends the loop with `exit_code`; the first call wins.
  void Finish(int exit_code);
  bool finished() const { return finished_; }
  RestClient& rest() { return rest_; }
  SocketClient& socket() { return socket_; }

 private:
  void OnConnect(bool recovered);
  void Tick();

  RestClient rest_;
  SocketClient socket_;
  Json channel_;
  std::string what_;
  const volatile std::sig_atomic_t& interrupted_;
  bool finished_ = false;
  int exit_code_ = 0;  // kExitOk
};

}  // namespace agor
