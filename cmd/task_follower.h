// TaskFollower: the part of `agor prompt` (cmd/prompt_cmd.cpp) that sends the prompt and
// follows the task it runs until that task ends, or, with Attach(), follows a task that runs
// already.
//
// Contract:
// - Run() connects its socket (cmd/socket_client.h), subscribes to the session, and only then
//   POSTs the prompt, so nothing is lost. It follows the task the daemon answers with, or, when
//   the prompt was queued behind a running task, the task its queued message starts (the
//   `messages patched` that gives the message a task_id).
// - Attach(task_id) before Run(): no prompt is posted; once subscribed it prints the task's
//   messages so far (GET /messages?task_id=) and its end if it has ended, then streams the rest
//   (messages are printed once each, by message_id, whichever way they come).
// - After a reconnect the server did not recover, it subscribes again and reads what it missed
//   over REST: the queued prompt's fate, the task's messages (printed once each, by message_id)
//   and the task's status. A daemon restart thus ends the wait with the task `stopped`.
// - Output (cmd/task_printer.h, cmd/output.h): with style.json one JSON line per stored message of
// the task (the
//   user's own prompt is not repeated); otherwise text as it streams, the stored message adding
//   only what the chunks did not show, non-text messages as short dim lines, thinking (streamed
//   chunks of `type` "thinking", or stored) dim on its own line after "thinking: ", and status
//   lines: "queued (position N)", "task <id> started", and at the end "— done in 4.2s"
//   (failed/stopped after ...). Everything the daemon sent is made terminal-safe first
//   (cmd/output.h).
// - `interrupted` (set by a SIGINT handler) is polled: it stops the task (a queued prompt is
//   removed instead) and waits up to 5 s for its end. An attached follower only stops
//   following: the task it did not start goes on.
// - When stdout's reader goes away (`agor prompt ... | head -n 2`: EPIPE on a write, or the
//   pipe's POLLERR while waiting) the command ends at once with 0; the task goes on, as with
//   --detach.
// - Run() returns the exit code (cmd/command.h): 0 completed (or stdout gone), 1 failed,
//   stopped or refused ("agor: <error>" on stderr, one line), 3 unreachable, 130 interrupted.
#pragma once

#include <chrono>
#include <csignal>
#include <memory>
#include <set>
#include <string>

#include "cmd/client/rest_client.h"
#include "cmd/client/socket_client.h"
#include "cmd/output.h"

namespace agor {

// Where the prompt of a queued answer (POST /sessions/:id/prompt) waits: 1 for the next to run.
// The server's queue_position only grows (a removed prompt leaves a gap), so this counts the
// session's prompts queued before it, plus one; the server's number when the count fails, null
// when the answer has none.
Json QueuePlace(RestClient& rest, const std::string& session_id, const Json& answer);

class TaskPrinter;

class TaskFollower {
 public:
  TaskFollower(const BaseUrl& base, std::string session_id, std::string prompt, OutputStyle style,
               const volatile std::sig_atomic_t& interrupted);
  ~TaskFollower();

  // Follow `task_id` (a task of the session) instead of posting a prompt.
  void Attach(std::string task_id);
  // Posts the prompt, prints the task's messages until it ends; returns the exit code.
  int Run();

 private:
  void OnConnect(bool recovered);
  void Subscribe();
  void SendPrompt();
  void NoteQueued(const Json& answer);
  void CatchUp();
  Status CatchUpQueued();
  Status CatchUpMessages();
  void OnEvent(const std::string& name, const Json& record);
  void OnMessage(const Json& message);
  void OnQueuedPatched(const Json& message);
  void Follow(const std::string& task_id);
  void OnTask(const Json& task);
  void Tick();
  void Interrupt();
  void StopTask();
  void CancelQueued();
  void OnRestFailure(const Status& status);
  void Finish(int exit_code, const std::string& error = "");

  RestClient rest_;
  SocketClient socket_;
  std::unique_ptr<TaskPrinter> printer_;
  std::string session_id_;
  std::string prompt_;
  const volatile std::sig_atomic_t& signalled_;  // the SIGINT flag
  bool attached_ = false;                        // following a task this command did not start
  bool posted_ = false;
  std::string queued_id_;  // the queued prompt's message, until a task starts it
  std::string task_id_;    // the task followed
  std::chrono::steady_clock::time_point started_;  // when following task_id_ began
  std::set<std::string> printed_;
  bool interrupted_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;
  bool finished_ = false;
  int exit_code_ = 0;  // kExitOk
};

}  // namespace agor
