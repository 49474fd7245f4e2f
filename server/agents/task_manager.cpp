#include "server/agents/task_manager.h"

#include <signal.h>
#include <sys/wait.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/utf8.h"
#include "server/agents/agent_paths.h"
#include "server/agents/agent_protocol.h"
#include "server/agents/task_run.h"

namespace agor {

namespace {

// A task's error is outside text (stderr, the agent's own words): bounded, and valid UTF-8
// whatever the agent printed.
constexpr size_t kMaxErrorBytes = 4096;
constexpr size_t kMaxTailBytes = 2048;  // of stderr, once made valid (U+FFFD takes 3 bytes)

// The last `lines` lines of `text`, without the trailing newline.
std::string StderrTail(std::string text, int lines) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t start = text.size();
  while (lines-- > 0 && start > 0) {
    size_t nl = text.rfind('\n', start - 1);
    start = nl == std::string::npos ? 0 : (lines > 0 ? nl : nl + 1);
  }
  return text.substr(start);
}

std::string ExitError(int status, const std::string& stderr_tail) {
  std::string what = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                     : WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                           : "ended abnormally";
  std::string tail = ToValidUtf8(StderrTail(stderr_tail, 5));
  if (tail.size() > kMaxTailBytes) {  // the end of stderr is what explains an exit: keep it
    size_t cut = tail.size() - kMaxTailBytes;
    while ((static_cast<unsigned char>(tail[cut]) & 0xC0) == 0x80) ++cut;
    tail = "\xE2\x80\xA6" + tail.substr(cut);  // "…"
  }
  return "agent " + what + (tail.empty() ? "" : ": " + tail);
}

Status PromptText(const Json& body, std::string* prompt) {
  if (!body.is_object()) return Status::BadRequest("the body must be a JSON object {prompt}");
  for (const auto& item : body.items()) {
    if (item.key() != "prompt")
      return Status::BadRequest("unknown field '" + item.key() + "'", Json{{"field", item.key()}});
  }
  if (!body.contains("prompt") || !body["prompt"].is_string() ||
      body["prompt"].get_ref<const std::string&>().empty()) {
    return Status::BadRequest("prompt must be a non-empty string", Json{{"field", "prompt"}});
  }
  *prompt = body["prompt"].get<std::string>();
  return Status::OK();
}

}  // namespace

TaskManager::TaskManager(Store* store, Publish publish, ProcessSupervisor* processes,
                         const AgentPaths* paths, Clock* clock, After after, int stop_grace_ms)
    : store_(store),
      publish_(std::move(publish)),
      processes_(processes),
      paths_(paths),
      clock_(clock),
      after_(std::move(after)),
      stop_grace_ms_(stop_grace_ms) {}

TaskManager::~TaskManager() {
  for (auto& entry : runs_) processes_->Signal(entry.second->pid, SIGKILL);
  for (auto& entry : orphans_) processes_->Signal(entry.second.pid, SIGKILL);
}

bool TaskManager::Patch(const char* service, const std::string& id, const Json& data) {
  Json out;
  Status s;
  try {  // a task must end even if a write throws: the caller goes on either way
    s = store_->Patch(service, id, data, &out);
  } catch (const std::exception& e) {
    s = Status::GeneralError(e.what());
  }
  if (!s.ok()) {
    Log(LogLevel::kWarn,
        std::string("cannot patch ") + service + " " + id + ": " + ToValidUtf8(s.message()));
  }
  return s.ok();
}

// Runs a supervisor callback of task `task_id` while it is the run of `session_id` (not once
// its records were removed: see Abandon). Nothing may unwind the event loop: if the handling
// throws, the run is dropped as failed so that its session can go on.
void TaskManager::Guard(const std::string& session_id, const std::string& task_id,
                        const std::function<void(Run*)>& fn) {
  auto it = runs_.find(session_id);
  if (it == runs_.end() || it->second->task_id != task_id) return;
  Store::ActorScope actor(store_, it->second->user, it->second->agent);
  try {
    fn(it->second.get());
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "task " + task_id + ": " + ToValidUtf8(e.what()));
    auto again = runs_.find(session_id);  // fn may have ended it, or started the next one
    if (again == runs_.end() || again->second->task_id != task_id) return;
    processes_->Signal(again->second->pid, SIGKILL);  // the run is dropped: so is its agent
    try {
      Finish(again->second.get(), "failed", std::string("internal error: ") + e.what());
    } catch (const std::exception& e2) {
      Log(LogLevel::kError, "task " + task_id + ": " + ToValidUtf8(e2.what()));
    }
  }
}

Status TaskManager::Prompt(const std::string& session_id, const Json& body, Json* result,
                           const std::string& created_by) {
  std::string prompt;
  Status s = PromptText(body, &prompt);
  Json session;
  if (s.ok()) s = store_->Get("sessions", session_id, &session);
  if (!s.ok()) return s;
  // On one node runs_ is the truth (a record's status may be stale, or patched by a client);
  // on a shared store another node's run shows only in the record. Its end starts the queue.
  bool busy = runs_.count(session["session_id"].get<std::string>()) ||
              (shared_ && session["status"] == "running");
  if (busy) return Queue(session, prompt, result);
  return StartTask(session, prompt, "", created_by, result);
}

Status TaskManager::Queue(const Json& session, const std::string& prompt, Json* result) {
  Json page, message;
  Json q{{"session_id", session["session_id"]},
         {"status", "queued"},
         {"$sort", {{"queue_position", -1}}},
         {"$limit", 1}};
  Status s = store_->Find("messages", q, &page);
  int64_t position = 1;
  if (s.ok() && !page["data"].empty())
    position = page["data"][0]["queue_position"].get<int64_t>() + 1;
  if (s.ok()) {
    s = store_->Create("messages",
                       {{"session_id", session["session_id"]},
                        {"role", "user"},
                        {"content", prompt},
                        {"status", "queued"},
                        {"queue_position", position}},
                       &message);
  }
  if (!s.ok()) return s;
  *result = {{"task_id", nullptr},
             {"status", "queued"},
             {"message_id", message["message_id"]},
             {"queue_position", position}};
  return Status::OK();
}

Status TaskManager::StartTask(const Json& session, const std::string& prompt,
                              const std::string& queued_id, const std::string& created_by,
                              Json* result) {
  std::string sid = session["session_id"];
  Json task, message;
  std::string now = FormatIso8601(clock_->NowMillis());
  Json data{{"session_id", sid}, {"status", "running"}, {"prompt", prompt}, {"started_at", now}};
  Json server_fields = Json::object();  // the prompt's user (server-set: clients cannot)
  if (!created_by.empty()) server_fields["created_by"] = created_by;
  // The task and its prompt are the prompting user's, even when a run's end starts them.
  Store::ActorScope actor(store_, created_by, "");
  Status s = store_->Create("tasks", data, &task, server_fields);
  if (!s.ok()) return s;
  auto run = std::make_unique<Run>();
  run->task_id = task["task_id"];
  run->session_id = sid;
  run->board_id = session["board_id"];
  run->agent = session["agentic_tool"];
  run->user = created_by;
  run->started_ms = clock_->NowMillis();
  // The store gives the prompt the session's next index (a queued one had none: no hole).
  Json user{{"task_id", run->task_id}, {"status", "sent"}};
  if (queued_id.empty()) {
    user.update(Json{{"session_id", sid}, {"role", "user"}, {"content", prompt}});
    s = store_->Create("messages", user, &message);
  } else {
    user["queue_position"] = nullptr;
    s = store_->Patch("messages", queued_id, user, &message);
  }
  if (s.ok() && message["index"].is_number_integer())
    run->first_index = run->last_index = message["index"].get<int64_t>();
  else
    Log(LogLevel::kWarn, "cannot store the prompt of task " + run->task_id + ": " + s.message());
  {
    Store::ActorScope by_agent(store_, created_by, run->agent);
    Patch("sessions", sid, {{"status", "running"}});
  }
  *result = {{"task_id", run->task_id}, {"status", "running"}};
  Run* raw = run.get();
  runs_[sid] = std::move(run);
  s = Spawn(raw, session, prompt);
  if (!s.ok()) Finish(raw, "failed", s.message());
  return Status::OK();
}

// The argv and stdin of the session's agent, or why it cannot run.
Status TaskManager::BuildSpec(Run* run, const Json& session, const std::string& prompt,
                              ProcessSpec* spec) {
  std::string tool = session["agentic_tool"];
  run->parser = MakeAgentParser(tool);
  run->json_output = tool != "command";
  if (!run->parser) return Status::BadRequest("unknown agentic_tool '" + tool + "'");
  std::string exe = AgentExecutable(tool);
  if (tool == "command" &&
      (!session["agent_command"].is_array() || session["agent_command"].empty()))
    return Status::BadRequest("command: the session has no agent_command");
  // A record's value goes into argv: it must not be readable as a flag.
  std::string sdk =
      session["sdk_session_id"].is_string() ? session["sdk_session_id"].get<std::string>() : "";
  if (tool != "command" && !sdk.empty() && !IsSafeSdkSessionId(sdk))
    return Status::BadRequest(UnsafeSdkSessionIdMessage(tool, sdk));
  spec->argv = BuildAgentArgv(tool, exe, sdk, session["agent_command"]);
  spec->input = prompt;
  if (spec->argv.empty()) return Status::BadRequest(tool + ": agent_command must hold strings");
  // exec would cut an argument at its NUL: the agent would run another command than stored.
  for (size_t i = 0; i < spec->argv.size(); ++i) {
    if (spec->argv[i].find('\0') != std::string::npos)
      return Status::BadRequest(tool + ": argument " + std::to_string(i) + " holds a NUL byte");
  }
  if (spec->input.empty() || spec->input.back() != '\n') spec->input += '\n';
  return Locate(tool, session, spec);
}

// Where the agent runs and which file it is, checked now so the task's error says which
// directory or file is wrong and how.
Status TaskManager::Locate(const std::string& tool, const Json& session, ProcessSpec* spec) {
  Status s = paths_->WorkingDirectory(store_, session, &spec->cwd);
  if (!s.ok()) return s;
  const char* path_var = getenv("PATH");
  Executable found = paths_->FindExecutable(spec->argv[0], spec->cwd,
                                            path_var ? path_var : "/usr/local/bin:/usr/bin:/bin");
  if (found.problem != Executable::Problem::kNone)
    return Status::NotFound(ExecutableError(tool, spec->argv[0], found));
  spec->path = found.path;
  return Status::OK();
}

ProcessCallbacks TaskManager::CallbacksFor(const std::string& session_id,
                                           const std::string& task_id) {
  ProcessCallbacks cb;
  cb.on_line = [this, session_id, task_id](std::string line, bool truncated) {
    Guard(session_id, task_id, [&](Run* r) { OnLine(r, std::move(line), truncated); });
  };
  cb.on_eof = [this, session_id, task_id] {
    Guard(session_id, task_id, [this](Run* r) { OnEof(r); });
  };
  cb.on_exit = [this, session_id, task_id](int status, std::string tail) {
    if (orphans_.count(task_id)) return OrphanExited(task_id);
    Guard(session_id, task_id, [&](Run* r) { OnExit(r, status, tail); });
  };
  return cb;
}

Status TaskManager::Spawn(Run* run, const Json& session, const std::string& prompt) {
  ProcessSpec spec;
  Status s = BuildSpec(run, session, prompt, &spec);
  if (!s.ok()) return s;
  s = processes_->Start(spec, CallbacksFor(run->session_id, run->task_id), &run->pid);
  if (!s.ok())
    return Status(s.code(), session["agentic_tool"].get<std::string>() + ": " + s.message());
  // Committed with this loop turn's batch: if the daemon dies, the next one kills the group.
  run->start_time = processes_->StartTime(run->pid);
  s = store_->RecordAgentProcess({run->task_id, run->pid, run->start_time, node_id_});
  if (!s.ok()) Log(LogLevel::kWarn, "task " + run->task_id + ": cannot record its process group");
  return Status::OK();
}

void TaskManager::OnLine(Run* run, std::string line, bool truncated) {
  if (truncated && run->json_output) {
    Log(LogLevel::kWarn, "task " + run->task_id + ": skipped an output line over the line limit");
    return;
  }
  std::vector<AgentEvent> events;
  Status s = run->parser->ParseLine(line, &events);
  if (!s.ok()) {
    if (run->parse_error.empty()) run->parse_error = s.message();
    Terminate(run);
    return;
  }
  for (const auto& ev : events) OnAgentEvent(run, ev);
}

void TaskManager::OnAgentEvent(Run* run, const AgentEvent& ev) {
  switch (ev.kind) {
    case AgentEvent::Kind::kSession:
      Patch("sessions", run->session_id, {{"sdk_session_id", ev.sdk_session_id}});
      break;
    case AgentEvent::Kind::kDelta:
      PublishDelta(run, ev);
      break;
    case AgentEvent::Kind::kResult:
      if (ev.is_error)
        run->agent_error = ev.error.empty() ? "the agent reported an error" : ev.error;
      break;
    case AgentEvent::Kind::kMessage: {
      // The store gives the next index.
      Json data{{"session_id", run->session_id},
                {"task_id", run->task_id},
                {"role", ev.role},
                {"type", ev.type},
                {"content", ev.content}};
      if (!ev.tool_uses.is_null()) data["tool_uses"] = ev.tool_uses;
      if (ev.metadata.is_object()) data["metadata"] = ev.metadata;
      auto streamed = run->stream_ids.find(ev.stream_key);
      if (!ev.stream_key.empty() && streamed != run->stream_ids.end())
        data["message_id"] = streamed->second;
      Json out;
      Status s = store_->Create("messages", data, &out);
      if (s.ok())
        run->last_index = out["index"].get<int64_t>();
      else
        Log(LogLevel::kWarn, "task " + run->task_id + ": cannot store a message: " + s.message());
      break;
    }
  }
}

// Partial text: published on the messages service, not stored and not in the event log.
void TaskManager::PublishDelta(Run* run, const AgentEvent& delta) {
  std::string& id = run->stream_ids[delta.stream_key];
  if (id.empty()) id = NewUuid();
  Event ev;
  ev.service = "messages";
  ev.event = "streaming";
  ev.board_id = run->board_id;
  ev.session_id = run->session_id;
  ev.record = {{"message_id", id},
               {"session_id", run->session_id},
               {"task_id", run->task_id},
               {"type", delta.type},
               {"chunk", delta.chunk}};
  // After the stored messages written before it, as the agent printed them.
  store_->AfterCommit([publish = publish_, ev](const Status&) { publish(ev); });
}

// An agent that closed its stdout can report nothing more: it gets the grace period to exit,
// then is terminated like a stopped one (and its task fails).
void TaskManager::OnEof(Run* run) {
  std::string session_id = run->session_id, task_id = run->task_id;
  after_(stop_grace_ms_, [this, session_id, task_id] {
    auto it = runs_.find(session_id);
    if (it == runs_.end() || it->second->task_id != task_id || it->second->terminating) return;
    it->second->silent_stuck = true;
    Terminate(it->second.get());
  });
}

// SIGTERM to the agent's group now, SIGKILL after the grace period if it still runs: every
// run the daemon ends itself ends this way, so a task cannot outlive an agent ignoring TERM.
void TaskManager::Terminate(Run* run) {
  if (run->terminating) return;
  run->terminating = true;
  processes_->Signal(run->pid, SIGTERM);
  std::string session_id = run->session_id, task_id = run->task_id;
  pid_t pid = run->pid;
  after_(stop_grace_ms_, [this, session_id, task_id, pid] {
    auto again = runs_.find(session_id);
    if (again != runs_.end() && again->second->task_id == task_id) processes_->Signal(pid, SIGKILL);
  });
}

void TaskManager::OnExit(Run* run, int status, const std::string& tail) {
  std::vector<AgentEvent> pending;
  run->parser->Finish(&pending);
  for (const auto& ev : pending) OnAgentEvent(run, ev);
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (run->stopping) return Finish(run, "stopped", "");
  if (!run->parse_error.empty()) return Finish(run, "failed", run->parse_error);
  if (!run->agent_error.empty()) return Finish(run, "failed", run->agent_error);
  if (run->silent_stuck) {
    return Finish(run, "failed",
                  "agent closed its output but did not exit within " +
                      std::to_string(stop_grace_ms_) + " ms; terminated");
  }
  if (!clean) return Finish(run, "failed", ExitError(status, tail));
  Finish(run, "completed", "");
}

void TaskManager::Finish(Run* run, const std::string& status, const std::string& error) {
  RecordEnd(run, status, error);
  std::string session_id = run->session_id;
  // A group whose agent left children running stays recorded: a crash of the daemon must
  // not leave them behind either (the next daemon kills them).
  if (!processes_->GroupAlive(run->pid)) {
    Status s = store_->ForgetAgentProcess(run->task_id);
    if (!s.ok()) Log(LogLevel::kWarn, "task " + run->task_id + ": cannot forget its group");
  }
  runs_.erase(session_id);
  StartNextQueued(session_id);
}

// The task's end (`tasks patched`), then its session idle (`sessions patched`): the run's
// doing, whoever ended it.
void TaskManager::RecordEnd(Run* run, const std::string& status, const std::string& error) {
  Store::ActorScope actor(store_, run->user, run->agent);
  int64_t now = clock_->NowMillis();
  Json patch{
      {"status", status},
      {"completed_at", FormatIso8601(now)},
      {"duration_ms", now - run->started_ms},
      {"message_range", {{"start_index", run->first_index}, {"end_index", run->last_index}}}};
  if (!error.empty()) patch["error"] = ToValidUtf8(error, kMaxErrorBytes);
  if (!Patch("tasks", run->task_id, patch)) {  // never leave it running: the bare end
    Patch("tasks", run->task_id,
          {{"status", status},
           {"completed_at", FormatIso8601(now)},
           {"error", "the task's result could not be stored (see the daemon's log)"}});
  }
  Patch("sessions", run->session_id, {{"status", "idle"}});
}

void TaskManager::StartNextQueued(const std::string& session_id) {
  Json page, session, result;
  Json q{{"session_id", session_id},
         {"status", "queued"},
         {"$sort", {{"queue_position", 1}}},
         {"$limit", 1}};
  if (!store_->Find("messages", q, &page).ok() || page["data"].empty()) return;
  if (!store_->Get("sessions", session_id, &session).ok()) return;
  const Json& next = page["data"][0];
  std::string prompt =
      next["content"].is_string() ? next["content"].get<std::string>() : next["content"].dump();
  Status s = StartTask(session, prompt, next["message_id"], "", &result);
  if (!s.ok()) Log(LogLevel::kWarn, "cannot start a queued prompt: " + s.message());
}

}  // namespace agor
