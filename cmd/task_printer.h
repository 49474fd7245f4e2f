// TaskPrinter: how `agor prompt` (cmd/task_follower.h) prints the task it follows.
//
// Contract:
// - JSON mode (style.json): one JSON line per stored message; chunks and notes print nothing.
// - Terminal mode: answer text as it streams (`messages streaming` chunks), the stored message
//   adding only what the chunks did not show (all of it, on a line of its own, when it does not
//   continue them: chunks seen from the middle with --attach); thinking, streamed (chunks of
//   `type` "thinking", a field older daemons do not send: their chunks print as answer text)
//   or stored, dim after "thinking: " on lines it shares with nothing else; tool uses and results
//   as short dim lines ("⚙ Bash {…}", "← output"); notes (status lines) dim. Dim is ANSI faint only
//   with style.color (so never with NO_COLOR), and every reset comes before the line's newline.
//   Text from the daemon is made terminal-safe (cmd/output.h), newlines and tabs kept.
// - Writes go through `write` (stdout by default); one that fails (the reader is gone) makes
//   broken() true and every later write a no-op.
//
// Threading: one thread (the follower's).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cmd/output.h"

namespace agor {

class TaskPrinter {
 public:
  using Writer = std::function<bool(std::string_view)>;
  explicit TaskPrinter(OutputStyle style, Writer write = WriteStdout);

  bool terminal() const { return !style_.json; }
  bool broken() const { return broken_; }
  // A `messages streaming` record.
  void Chunk(const Json& streaming);
  // A stored message of the task.
  void Message(const Json& message);
  // A status line on a terminal ("queued (position 2)"); nothing in JSON mode.
  void Note(const std::string& text);
  // Ends the open line, if any.
  void End() { CloseLine(); }

 private:
  void Text(const Json& message);
  void ShowStreamed(const std::string& id, const std::string& text);
  void Write(const std::string& text);
  void WriteText(const std::string& text) { Write(TerminalSafe(text, true)); }
  void CloseLine();
  void WriteDim(const std::string& text);
  void DimLine(const std::string& text);

  OutputStyle style_;
  Writer write_;
  std::map<std::string, std::string> streamed_;  // message_id -> text shown so far
  std::set<std::string> thinking_;               // the streamed ids that are thinking
  std::string open_id_;  // the message whose chunks were written last, if nothing came since
  bool line_open_ = false;
  bool broken_ = false;
};

}  // namespace agor
