#include "server/agents/task_manager.h"

#include <signal.h>
#include <sys/wait.h>

#include "base/ids.h"
#include "base/log.h"
#include "base/utf8.h"
#include "server/agents/agent_protocol.h"

namespace agor {

struct TaskManager::Run {
  std::string task_id;
  std::string session_id;
  std::string board_id;
  pid_t pid = -1;
  std::unique_ptr<AgentParser> parser;
  std::unordered_map<std::string, std::string> stream_ids;  // agent stream key -> message_id
  int64_t started_ms = 0;
  int64_t first_index = -1, last_index = -1;
  std::string parse_error;  // set when the agent printed something unreadable
  std::string agent_error;  // set when the agent reported an error result
  bool stopping = false;
  bool terminating = false;   // SIGTERM sent, SIGKILL scheduled
  bool silent_stuck = false;  // closed stdout and did not exit within the grace period
  bool json_output = true;    // every tool but `command` prints JSON lines
};

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

TaskManager::TaskManager(Store* store, Publish publish, ProcessSupervisor* processes, Clock* clock,
                         After after, int stop_grace_ms)
    : store_(store),
      publish_(std::move(publish)),
      processes_(processes),
      clock_(clock),
      after_(std::move(after)),
      stop_grace_ms_(stop_grace_ms) {}

TaskManager::~TaskManager() {
  for (auto& entry : runs_) processes_->Signal(entry.second->pid, SIGKILL);
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

// Runs a supervisor callback of the run of `session_id`. Nothing may unwind the event loop:
// if the handling throws, the run is dropped as failed so that its session can go on.
void TaskManager::Guard(const std::string& session_id, const std::function<void(Run*)>& fn) {
  auto it = runs_.find(session_id);
  if (it == runs_.end()) return;
  const std::string task_id = it->second->task_id;
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

Status TaskManager::Prompt(const std::string& session_id, const Json& body, Json* result) {
  std::string prompt;
  Status s = PromptText(body, &prompt);
  Json session;
  if (s.ok()) s = store_->Get("sessions", session_id, &session);
  if (!s.ok()) return s;
  if (runs_.count(session["session_id"].get<std::string>())) return Queue(session, prompt, result);
  return StartTask(session, prompt, "", result);
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
                              const std::string& queued_id, Json* result) {
  std::string sid = session["session_id"];
  Json task, message;
  std::string now = FormatIso8601(clock_->NowMillis());
  Status s = store_->Create(
      "tasks",
      {{"session_id", sid}, {"status", "running"}, {"prompt", prompt}, {"started_at", now}}, &task);
  if (!s.ok()) return s;
  auto run = std::make_unique<Run>();
  run->task_id = task["task_id"];
  run->session_id = sid;
  run->board_id = session["board_id"];
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
  Patch("sessions", sid, {{"status", "running"}});
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
  std::string exe;
  if (tool != "command") {
    exe = AgentExecutable(tool);
    if (ProcessSupervisor::FindExecutable(exe).empty())
      return Status::NotFound(MissingExecutableMessage(tool, exe));
  } else if (!session["agent_command"].is_array() || session["agent_command"].empty()) {
    return Status::BadRequest("command: the session has no agent_command");
  }
  // A record's value goes into argv: it must not be readable as a flag.
  std::string sdk =
      session["sdk_session_id"].is_string() ? session["sdk_session_id"].get<std::string>() : "";
  if (tool != "command" && !sdk.empty() && !IsSafeSdkSessionId(sdk))
    return Status::BadRequest(UnsafeSdkSessionIdMessage(tool, sdk));
  *spec = {BuildAgentArgv(tool, exe, sdk, session["agent_command"]), prompt};
  if (spec->input.empty() || spec->input.back() != '\n') spec->input += '\n';
  return Status::OK();
}

ProcessCallbacks TaskManager::CallbacksFor(const std::string& session_id) {
  ProcessCallbacks cb;
  cb.on_line = [this, session_id](std::string line, bool truncated) {
    Guard(session_id, [&](Run* r) { OnLine(r, std::move(line), truncated); });
  };
  cb.on_eof = [this, session_id] { Guard(session_id, [this](Run* r) { OnEof(r); }); };
  cb.on_exit = [this, session_id](int status, std::string tail) {
    Guard(session_id, [&](Run* r) { OnExit(r, status, tail); });
  };
  return cb;
}

Status TaskManager::Spawn(Run* run, const Json& session, const std::string& prompt) {
  ProcessSpec spec;
  Status s = BuildSpec(run, session, prompt, &spec);
  if (!s.ok()) return s;
  s = processes_->Start(spec, CallbacksFor(run->session_id), &run->pid);
  if (!s.ok())
    return Status(s.code(), session["agentic_tool"].get<std::string>() + ": " + s.message());
  // Committed with this loop turn's batch: if the daemon dies, the next one kills the group.
  s = store_->RecordAgentProcess({run->task_id, run->pid, processes_->StartTime(run->pid)});
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
      PublishDelta(run, ev.stream_key, ev.chunk);
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
void TaskManager::PublishDelta(Run* run, const std::string& stream_key, const std::string& chunk) {
  std::string& id = run->stream_ids[stream_key];
  if (id.empty()) id = NewUuid();
  Event ev;
  ev.service = "messages";
  ev.event = "streaming";
  ev.board_id = run->board_id;
  ev.session_id = run->session_id;
  ev.record = {{"message_id", id},
               {"session_id", run->session_id},
               {"task_id", run->task_id},
               {"chunk", chunk}};
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
  int64_t now = clock_->NowMillis();
  Json patch{
      {"status", status},
      {"completed_at", FormatIso8601(now)},
      {"duration_ms", now - run->started_ms},
      {"message_range", {{"start_index", run->first_index}, {"end_index", run->last_index}}}};
  if (!error.empty()) patch["error"] = ToValidUtf8(error, kMaxErrorBytes);
  std::string session_id = run->session_id;
  if (!Patch("tasks", run->task_id, patch)) {  // never leave it running: the bare end
    Patch("tasks", run->task_id,
          {{"status", status},
           {"completed_at", FormatIso8601(now)},
           {"error", "the task's result could not be stored (see the daemon's log)"}});
  }
  // A group whose agent left children running stays recorded: a crash of the daemon must
  // not leave them behind either (the next daemon kills them).
  if (!processes_->GroupAlive(run->pid)) {
    Status s = store_->ForgetAgentProcess(run->task_id);
    if (!s.ok()) Log(LogLevel::kWarn, "task " + run->task_id + ": cannot forget its group");
  }
  Patch("sessions", session_id, {{"status", "idle"}});
  runs_.erase(session_id);
  StartNextQueued(session_id);
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
  Status s = StartTask(session, prompt, next["message_id"], &result);
  if (!s.ok()) Log(LogLevel::kWarn, "cannot start a queued prompt: " + s.message());
}

Status TaskManager::Stop(const std::string& session_id, Json* result) {
  std::string full;
  Status s = store_->ResolveId("sessions", session_id, &full);
  if (!s.ok()) return s;
  auto it = runs_.find(full);
  if (it == runs_.end())
    return Status::Conflict("session " + full + " has no running task to stop");
  Run* run = it->second.get();
  *result = {{"task_id", run->task_id}, {"status", "stopping"}};
  if (run->stopping) return Status::OK();
  run->stopping = true;
  Patch("tasks", run->task_id, {{"status", "stopping"}});
  Terminate(run);
  return Status::OK();
}

// A dead daemon's agents died with it (PDEATHSIG), their children did not: kill the groups
// it recorded, unless their ids now belong to other programs (see KillLeftBehind).
void TaskManager::KillLeftBehind() {
  std::vector<AgentProcess> left;
  Status s = store_->ListAgentProcesses(&left);
  if (!s.ok()) Log(LogLevel::kWarn, "cannot list the agents left running: " + s.message());
  for (const AgentProcess& p : left) {
    if (processes_->KillLeftBehind(static_cast<pid_t>(p.pgid), p.start_time)) {
      Log(LogLevel::kInfo,
          "killed process group " + std::to_string(p.pgid) + " left by task " + p.task_id);
    }
    store_->ForgetAgentProcess(p.task_id);
  }
}

void TaskManager::RecoverAfterRestart() {
  KillLeftBehind();
  std::string now = FormatIso8601(clock_->NowMillis());
  Json page;
  Json left{{"status", {{"$in", {"running", "stopping"}}}}, {"$limit", 1000}};
  bool progress = true;
  while (progress && store_->Find("tasks", left, &page).ok() && !page["data"].empty()) {
    for (const auto& t : page["data"]) {
      progress =
          Patch("tasks", t["task_id"],
                {{"status", "stopped"}, {"error", "the daemon restarted"}, {"completed_at", now}});
    }
  }
  std::vector<std::string> sessions;
  Json running{{"status", "running"}, {"$limit", 1000}};
  progress = true;
  while (progress && store_->Find("sessions", running, &page).ok() && !page["data"].empty()) {
    for (const auto& s : page["data"]) {
      progress = Patch("sessions", s["session_id"], {{"status", "idle"}});
      sessions.push_back(s["session_id"]);
    }
  }
  for (const auto& id : sessions) StartNextQueued(id);
}

}  // namespace agor
