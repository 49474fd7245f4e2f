#include "cmd/task_follower.h"

#include <chrono>
#include <cstdio>
#include <vector>

#include "cmd/command.h"
#include "cmd/credentials.h"
#include "cmd/resource_cli.h"
#include "cmd/task_printer.h"

namespace agor {
namespace {

constexpr int kTickMs = 50;
constexpr auto kStopWait = std::chrono::seconds(5);
constexpr int kPageSize = 1000;

std::string Str(const Json& record, const char* key) {
  if (!record.is_object()) return "";
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : "";
}

// `text` with its line breaks turned into "; " (an agent's error may hold its stderr tail).
std::string OneLine(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) {
    text.replace(at, 1, "; ");
  }
  return text;
}

bool IsFinal(const std::string& task_status) {
  return task_status == "completed" || task_status == "failed" || task_status == "stopped";
}

// The stored prompt of a task (the user's own message), as opposed to a tool result.
bool IsPromptMessage(const Json& message) {
  return Str(message, "role") == "user" && Str(message, "status") == "sent";
}

// "4.2s", "3m05s": a task's duration.
std::string Duration(std::int64_t ms) {
  char out[32];
  if (ms < 60000) {
    snprintf(out, sizeof out, "%.1fs", static_cast<double>(ms) / 1000);
  } else {
    snprintf(out, sizeof out, "%lldm%02llds", static_cast<long long>(ms / 60000),
             static_cast<long long>(ms / 1000 % 60));
  }
  return out;
}

}  // namespace

// ---- Following the task ----------------------------------------------------------------------

Json QueuePlace(RestClient& rest, const std::string& session_id, const Json& answer) {
  Json position = answer.is_object() ? answer.value("queue_position", Json()) : Json();
  if (!position.is_number_integer()) return position;
  Json page;
  Status status = rest.Get("/messages",
                           {{"session_id", session_id},
                            {"status", "queued"},
                            {"queue_position[$lt]", position.dump()},
                            {"$limit", "0"}},
                           &page);
  bool counted = status.ok() && page.is_object() && page.value("total", Json()).is_number_integer();
  return counted ? Json(page["total"].get<std::int64_t>() + 1) : position;
}

TaskFollower::TaskFollower(const BaseUrl& base, std::string session_id, std::string prompt,
                           OutputStyle style, const volatile std::sig_atomic_t& interrupted)
    : rest_(base),
      socket_(SocketOptionsFor(base)),
      printer_(new TaskPrinter(style)),
      session_id_(std::move(session_id)),
      prompt_(std::move(prompt)),
      signalled_(interrupted) {}

TaskFollower::~TaskFollower() = default;

void TaskFollower::Attach(std::string task_id) {
  attached_ = true;
  posted_ = true;  // nothing to post: catching up is what the first connection does
  task_id_ = std::move(task_id);
  started_ = std::chrono::steady_clock::now();
  printer_->Note("following task " + TerminalSafe(task_id_));
}

int TaskFollower::Run() {
  socket_.OnConnect([this](bool recovered) { OnConnect(recovered); });
  socket_.OnEvent(
      [this](const std::string& name, Json record, const std::string&) { OnEvent(name, record); });
  socket_.Every(kTickMs, [this] { Tick(); });
  Status status = socket_.Run();
  printer_->End();
  if (!status.ok() && !finished_) return ReportFailure(status);
  return exit_code_;
}

// The first connection subscribes then posts (or catches up an attached task); a recovered
// one got the missed events replayed; any other one subscribes again and reads what it missed.
void TaskFollower::OnConnect(bool recovered) {
  if (!recovered || !posted_) Subscribe();
}

void TaskFollower::Subscribe() {
  Json args = Json::array({Json{{"session_id", session_id_}}, Json::object()});
  socket_.Call("create", "subscriptions", std::move(args), [this](const Status& error, Json) {
    if (finished_) return;
    if (!error.ok())
      return Finish(kExitFailure, "cannot subscribe to the session: " + error.message());
    posted_ ? CatchUp() : SendPrompt();
  });
}

void TaskFollower::SendPrompt() {
  if (signalled_) return Finish(kExitInterrupted);
  Json answer;
  Status status =
      rest_.Post(PathJoin("sessions", session_id_) + "/prompt", {{"prompt", prompt_}}, &answer);
  if (!status.ok()) return Finish(ReportFailure(status));
  posted_ = true;
  std::string task_id = Str(answer, "task_id");
  if (!task_id.empty()) return Follow(task_id);
  queued_id_ = Str(answer, "message_id");
  if (queued_id_.empty()) {
    return Finish(kExitFailure, "unexpected answer to POST /sessions/:id/prompt: " + answer.dump());
  }
  NoteQueued(answer);
}

// "queued (position N)" (QueuePlace).
void TaskFollower::NoteQueued(const Json& answer) {
  if (!printer_->terminal()) return printer_->Note("queued");
  Json position = QueuePlace(rest_, session_id_, answer);
  if (!position.is_number_integer()) return printer_->Note("queued");
  printer_->Note("queued (position " + TerminalSafe(position.dump()) + ")");
}

// After an unrecovered reconnect (or attaching): the queued prompt's fate, the task's
// messages and status.
void TaskFollower::CatchUp() {
  Status status = queued_id_.empty() ? Status::OK() : CatchUpQueued();
  if (status.ok() && !task_id_.empty()) status = CatchUpMessages();
  Json task;
  if (status.ok() && !task_id_.empty() && !finished_) {
    status = rest_.Get(PathJoin("tasks", task_id_), {}, &task);
    if (status.ok()) OnTask(task);
  }
  if (!status.ok()) OnRestFailure(status);
}

Status TaskFollower::CatchUpQueued() {
  Json message;
  Status status = rest_.Get(PathJoin("messages", queued_id_), {}, &message);
  if (status.code() == Code::kNotFound) {
    Finish(kExitFailure, "the queued prompt was removed before it ran");
    return Status::OK();
  }
  if (status.ok()) OnQueuedPatched(message);
  return status;
}

Status TaskFollower::CatchUpMessages() {
  for (size_t skip = 0; !finished_;) {
    Json page;
    Status status = rest_.Get("/messages",
                              {{"task_id", task_id_},
                               {"$sort[index]", "1"},
                               {"$limit", std::to_string(kPageSize)},
                               {"$skip", std::to_string(skip)}},
                              &page);
    if (!status.ok()) return status;
    const Json& data = page.value("data", Json());
    if (!data.is_array() || data.empty()) break;
    for (const Json& message : data) OnMessage(message);
    skip += data.size();
  }
  return Status::OK();
}

void TaskFollower::OnEvent(const std::string& name, const Json& record) {
  if (finished_ || Str(record, "session_id") != session_id_) return;
  if (name == "messages streaming" && !task_id_.empty() && Str(record, "task_id") == task_id_) {
    printer_->Chunk(record);
  } else if (name == "messages created") {
    OnMessage(record);
  } else if (name == "messages patched") {
    OnQueuedPatched(record);
  } else if (name == "messages removed" && !queued_id_.empty() &&
             Str(record, "message_id") == queued_id_) {
    Finish(kExitFailure, "the queued prompt was removed before it ran");
  } else if (name == "tasks patched") {
    OnTask(record);
  } else if (name == "sessions removed") {
    Finish(kExitFailure, "session " + session_id_ + " was removed");
  }
}

void TaskFollower::OnMessage(const Json& message) {
  if (task_id_.empty() || Str(message, "task_id") != task_id_ || IsPromptMessage(message)) return;
  if (!printed_.insert(Str(message, "message_id")).second) return;
  printer_->Message(message);
  if (printer_->broken()) Finish(kExitOk);  // stdout's reader is gone: nothing more to do
}

// The queued prompt became a task's prompt: follow that task.
void TaskFollower::OnQueuedPatched(const Json& message) {
  if (queued_id_.empty() || Str(message, "message_id") != queued_id_) return;
  std::string task_id = Str(message, "task_id");
  if (task_id.empty()) return;
  queued_id_.clear();
  Follow(task_id);
  if (interrupted_) StopTask();
}

void TaskFollower::Follow(const std::string& task_id) {
  task_id_ = task_id;
  started_ = std::chrono::steady_clock::now();
  printer_->Note("task " + TerminalSafe(task_id) + " started");
}

void TaskFollower::OnTask(const Json& task) {
  std::string status = Str(task, "status");
  if (task_id_.empty() || Str(task, "task_id") != task_id_ || !IsFinal(status)) return;
  Json ms = task.value("duration_ms", Json());
  std::int64_t elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started_)
                             .count();
  std::string took = Duration(ms.is_number_integer() ? ms.get<std::int64_t>() : elapsed);
  printer_->Note(status == "completed" ? "\xe2\x80\x94 done in " + took
                                       : "\xe2\x80\x94 " + status + " after " + took);
  if (interrupted_) return Finish(kExitInterrupted);
  if (status == "completed") return Finish(kExitOk);
  std::string error = Str(task, "error");
  if (status == "failed") return Finish(kExitFailure, error.empty() ? "the task failed" : error);
  Finish(kExitFailure, "the task was stopped" + (error.empty() ? "" : ": " + error));
}

void TaskFollower::Tick() {
  if (finished_) return;
  if (printer_->broken() || StdoutReaderGone()) return Finish(kExitOk);  // `| head` is done
  if (signalled_ && !interrupted_) return Interrupt();
  if (interrupted_ && std::chrono::steady_clock::now() > stop_deadline_) {
    Finish(kExitInterrupted, "the task did not end within 5 s of the stop request");
  }
}

// Ctrl-C: stop the task (or drop the queued prompt), then wait a bounded time for its end.
void TaskFollower::Interrupt() {
  interrupted_ = true;
  stop_deadline_ = std::chrono::steady_clock::now() + kStopWait;
  if (!posted_ || attached_) return Finish(kExitInterrupted);  // not ours to stop
  if (!queued_id_.empty()) return CancelQueued();
  StopTask();
}

void TaskFollower::StopTask() {
  Json answer;
  Status status = rest_.Post(PathJoin("sessions", session_id_) + "/stop", Json::object(), &answer);
  // Conflict: the session runs nothing any more, so the task has ended already.
  if (status.code() == Code::kConflict) return Finish(kExitInterrupted);
  if (!status.ok()) Finish(kExitInterrupted, "cannot stop the task: " + status.message());
}

void TaskFollower::CancelQueued() {
  Json message;
  Status status = rest_.Get(PathJoin("messages", queued_id_), {}, &message);
  if (status.ok() && !Str(message, "task_id").empty()) return OnQueuedPatched(message);
  if (status.ok()) status = rest_.Delete(PathJoin("messages", queued_id_), &message);
  if (status.ok() || status.code() == Code::kNotFound) return Finish(kExitInterrupted);
  Finish(kExitInterrupted, "cannot remove the queued prompt: " + status.message());
}

// The daemon went away under a REST call: reconnect and catch up. Anything else is fatal.
void TaskFollower::OnRestFailure(const Status& status) {
  if (IsUnreachable(status)) return socket_.Reconnect();
  Finish(ReportFailure(status));
}

// Ends the command; `error` (made one line) goes to stderr as "agor: <error>".
void TaskFollower::Finish(int exit_code, const std::string& error) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = exit_code;
  printer_->End();
  if (!error.empty()) fprintf(stderr, "agor: %s\n", TerminalSafe(OneLine(error)).c_str());
  socket_.Stop();
}

}  // namespace agor
