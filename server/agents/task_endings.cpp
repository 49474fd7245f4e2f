// TaskManager: how tasks end other than by their agent's own exit (task_manager.h): stops (here
// or from another node), removals of their records, orphaned agents, and the tasks a dead
// daemon or node left running (start-up recovery, lease claims).
#include <signal.h>

#include "base/log.h"
#include "server/agents/task_manager.h"
#include "server/agents/task_run.h"

namespace agor {
namespace {

// A dead node's task, ended by the node that claimed its lease (ReclaimFrom).
const char kReclaimedError[] = "the node running it stopped responding";

}  // namespace

Status TaskManager::Stop(const std::string& session_id, Json* result) {
  std::string full;
  Status s = store_->ResolveId("sessions", session_id, &full);
  if (!s.ok()) return s;
  auto it = runs_.find(full);
  if (it == runs_.end()) return StopElsewhere(full, result);
  Run* run = it->second.get();
  *result = {{"task_id", run->task_id}, {"status", "stopping"}};
  if (run->stopping) return Status::OK();
  run->stopping = true;
  Patch("tasks", run->task_id, {{"status", "stopping"}});
  Terminate(run);
  return Status::OK();
}

// A task another node runs (on one node every running task is in runs_): it goes `stopping`
// in the store, and its node, told by that event (OnDelivered), terminates the agent.
Status TaskManager::StopElsewhere(const std::string& session_id, Json* result) {
  Json page;
  Json query{
      {"session_id", session_id}, {"status", {{"$in", {"running", "stopping"}}}}, {"$limit", 1}};
  Status s = store_->Find("tasks", query, &page);
  if (!s.ok()) return s;
  if (page["data"].empty())
    return Status::Conflict("session " + session_id + " has no running task to stop");
  const Json& task = page["data"][0];
  std::string task_id = task["task_id"].get<std::string>();
  *result = {{"task_id", task_id}, {"status", "stopping"}};
  if (task["status"] == "stopping") return Status::OK();
  Json out;
  return store_->Patch("tasks", task_id, {{"status", "stopping"}}, &out);
}

// The stop of one of this node's tasks, made on another node: the agent is terminated as a
// local stop does (the store already says `stopping`). A task another node ended as a dead
// node's (this one stalled past its lease) is over in the store, and its session may run its
// next prompt there: the agent is ended as an orphan, writing nothing more.
void TaskManager::OnDelivered(const Event& ev) {
  if (ev.service != "tasks" || ev.event != "patched") return;
  const std::string status = ev.record.value("status", "");
  if (status != "stopping" && status != "stopped") return;
  auto it = runs_.find(ev.session_id);
  if (it == runs_.end() || it->second->task_id != ev.record.value("task_id", "")) return;
  Run* run = it->second.get();
  if (status == "stopped" && ev.record.value("error", "") == kReclaimedError) {
    Log(LogLevel::kWarn, "task " + run->task_id + " was reclaimed by another node: ending it");
    return MakeOrphan(run);
  }
  if (status == "stopped" || run->stopping) return;
  run->stopping = true;
  Terminate(run);
}

void TaskManager::BeforeRemove(const std::string& service, const std::string& id) {
  if (service == "tasks") return BeforeTaskRemove(id);
  if (service != "sessions" && service != "boards") return;
  std::string full;
  if (!store_->ResolveId(service, id, &full).ok()) return;  // the removal answers it
  std::vector<Run*> doomed;
  for (auto& [session_id, run] : runs_) {
    Json session;
    bool hit = service == "sessions" ? session_id == full
                                     : store_->Get("sessions", session_id, &session).ok() &&
                                           session["board_id"] == full;
    if (hit) doomed.push_back(run.get());
  }
  const std::string why =
      service == "sessions" ? "the session was removed" : "the board was removed";
  for (Run* run : doomed) Abandon(run, why);
}

// A running (or stopping) task's record is about to go: its agent is stopped as for its
// session's removal, and the session, which stays, goes on with its next queued prompt now
// (started later, a prompt sent in between would jump the queue).
void TaskManager::BeforeTaskRemove(const std::string& id) {
  std::string full;
  if (!store_->ResolveId("tasks", id, &full).ok()) return;  // the removal answers it
  for (auto& [session_id, run] : runs_) {
    if (run->task_id != full) continue;
    const std::string sid = session_id;  // Abandon erases the run, and its key with it
    Abandon(run.get(), "the task was removed");
    return StartNextQueued(sid);
  }
}

// The run's records are about to be removed: its task ends `stopped` now, and its agent gets
// SIGTERM, then (after the grace) SIGKILL for what is left of its group. From here on the run
// is an orphan: its output is dropped and its exit writes nothing and starts nothing.
void TaskManager::Abandon(Run* run, const std::string& why) {
  RecordEnd(run, "stopped", why);
  MakeOrphan(run);
}

// SIGTERM to the run's agent now, SIGKILL to what is left of its group after the grace; the
// run becomes an orphan, whose output and exit write nothing.
void TaskManager::MakeOrphan(Run* run) {
  run->stopping = true;
  processes_->Signal(run->pid, SIGTERM);
  const std::string task_id = run->task_id;
  orphans_[task_id] = {run->pid, run->start_time};
  after_(stop_grace_ms_, [this, task_id] { KillOrphan(task_id); });
  runs_.erase(run->session_id);
}

void TaskManager::OrphanExited(const std::string& task_id) {
  auto it = orphans_.find(task_id);
  if (it == orphans_.end()) return;
  it->second.exited = true;
  if (it->second.killed) ForgetOrphan(it);
}

// The grace is over: SIGKILL to whatever is left of the group (unless its id now names
// another program's group: see ProcessSupervisor::KillLeftBehind).
void TaskManager::KillOrphan(const std::string& task_id) {
  auto it = orphans_.find(task_id);
  if (it == orphans_.end()) return;
  const Orphan& o = it->second;
  if (processes_->GroupAlive(o.pid)) processes_->KillLeftBehind(o.pid, o.start_time);
  it->second.killed = true;
  if (it->second.exited) ForgetOrphan(it);
}

void TaskManager::ForgetOrphan(std::unordered_map<std::string, Orphan>::iterator it) {
  Status s = store_->ForgetAgentProcess(it->first);
  if (!s.ok()) Log(LogLevel::kWarn, "task " + it->first + ": cannot forget its group");
  orphans_.erase(it);
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
  Json page;
  Json left{{"status", {{"$in", {"running", "stopping"}}}}, {"$limit", 1000}};
  bool progress = true;
  while (progress && store_->Find("tasks", left, &page).ok() && !page["data"].empty()) {
    for (const auto& t : page["data"]) progress = EndLeftTask(t["task_id"], "the daemon restarted");
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

// A task whose daemon or node died while it ran: it ends `stopped`, saying why.
bool TaskManager::EndLeftTask(const std::string& task_id, const std::string& why) {
  return Patch("tasks", task_id,
               {{"status", "stopped"},
                {"error", why},
                {"completed_at", FormatIso8601(clock_->NowMillis())}});
}

// Only the claimed rows: their groups are the dead node's, perhaps on another machine, so
// nothing is signalled; recovery's writes are the daemon's own (no actor), as after a restart.
int TaskManager::ReclaimFrom(const std::vector<AgentProcess>& taken) {
  std::vector<std::string> sessions;
  for (const AgentProcess& p : taken) EndClaimed(p.task_id, &sessions);
  for (const auto& id : sessions) {
    if (runs_.count(id)) continue;  // a prompt sent here meanwhile runs: the session is busy
    Patch("sessions", id, {{"status", "idle"}});
    StartNextQueued(id);
  }
  return static_cast<int>(sessions.size());
}

// One claimed task: ended if it still runs (its session into `sessions`), then its row
// forgotten. A task whose end could not be written keeps its row, now under this node's
// lease, so that whoever claims this node one day tries again.
void TaskManager::EndClaimed(const std::string& task_id, std::vector<std::string>* sessions) {
  Json task;
  bool live = store_->Get("tasks", task_id, &task).ok() &&
              (task["status"] == "running" || task["status"] == "stopping");
  if (live && !EndLeftTask(task_id, kReclaimedError)) return;
  if (live) sessions->push_back(task["session_id"]);
  Status s = store_->ForgetAgentProcess(task_id);
  if (!s.ok()) Log(LogLevel::kWarn, "task " + task_id + ": cannot forget its group");
}

}  // namespace agor
