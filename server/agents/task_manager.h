// TaskManager: prompts become tasks, tasks run the session's agent as a subprocess, and the
// agent's output becomes messages, published the moment each arrives.
//
//   Prompt: creates the task (running) and the user message, answers at once, spawns the
//           agent; while a task runs, a prompt waits as a `queued` user message (removable
//           through the messages service) and runs, in queue order, when the task ends.
//   Output: complete messages are stored (`messages created`); partial text is published as
//           `messages streaming` {message_id, session_id, task_id, type, chunk}, not stored
//           (type "thinking" for streamed reasoning, "text" otherwise); the stored message
//           reuses the streamed message_id.
//   End:    completed (message_range, duration_ms, completed_at), failed (error: exit status
//           and stderr tail, a parse error, or the agent's own error) or stopped. Every
//           transition is a `tasks patched` event; the session goes running -> idle. A task
//           always ends, whatever the agent prints: errors are made valid UTF-8 and bounded,
//           an unreadable line terminates the agent, an agent that closes stdout gets the
//           grace period to exit, and nothing a callback throws unwinds the loop.
//   Stop:   the task goes `stopping`, the process group gets SIGTERM, then SIGKILL after
//           the grace period (also how the daemon ends an agent itself). Across nodes: a
//           stop sent to a node that does not run the task patches it `stopping`, and the
//           node that runs it hears the event (OnDelivered) and stops it the same way.
//   Remove: before a session or board is removed, each of its running agents is stopped the
//           same way, but its task goes `stopped` (error: "the session was removed") and its
//           session idle at once, so a watcher sees those patches before the removal events.
//           From then on the run is an orphan: its output and exit write nothing, publish
//           nothing and start no queued prompt (they go with the session). Removing a running
//           task's record does the same (error: "the task was removed"), then starts the
//           session's next queued prompt, before the task's removal events.
//   Where:  the agent runs in its repo's local_path, its executable resolved as execvp does
//           (AgentPaths); a missing directory or executable fails the task saying which.
//   Crash:  each running agent's process group is recorded in the store with this node's id;
//           on one SQLite file the next daemon kills what is left of it before marking its
//           task stopped (RecoverAfterRestart). Nodes sharing a store hold leases instead
//           (task_lease.h): the node that claims a dead one ends its tasks (ReclaimFrom),
//           signalling nothing (the groups may be on another machine).
//   Argv:   the stored sdk_session_id must pass IsSafeSdkSessionId, else the task fails.
//
// Actors (Store::ActorScope): the task and its prompt message are the prompting user's (none
// for a queued prompt that starts later); everything the run writes afterwards (messages,
// sdk_session_id, the session's running/idle, the task's end) is the session's agent's
// (`agentic_tool`), on behalf of that user.
//
// Publishing goes through a callback (the node hands it the Hub): agents know only the store.
//
// Threading: the daemon's event loop only (the supervisor posts its callbacks there).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/agents/process_supervisor.h"
#include "store/store.h"

namespace agor {

class AgentParser;
class AgentPaths;
struct AgentEvent;

class TaskManager {
 public:
  using After = std::function<void(int delay_ms, std::function<void()>)>;
  // Publishes an unstored event (streamed text) to the clients that may see it.
  using Publish = std::function<void(const Event&)>;

  // Everything is borrowed. `after` runs a function on the loop after a delay (stop grace).
  TaskManager(Store* store, Publish publish, ProcessSupervisor* processes, const AgentPaths* paths,
              Clock* clock, After after, int stop_grace_ms = 3000);
  ~TaskManager();

  // The node id recorded with each agent's process group (Store::AgentProcess::node_id).
  void SetNode(std::string node_id) { node_id_ = std::move(node_id); }
  // Several nodes share the store: a session whose record says `running` is busy even when
  // this node runs nothing for it (another node does), so a prompt sent here queues.
  void SetShared(bool shared) { shared_ = shared; }
  // On start, the one daemon of a SQLite file: the process groups a previous daemon left are
  // killed, every running/stopping task becomes stopped, running sessions idle, and queued
  // prompts start.
  void RecoverAfterRestart();
  // The agent processes of a dead node this node claimed (Store::ClaimNode): each task still
  // running or stopping becomes stopped (error: the node stopped responding), its session
  // idle, and the session's queued prompts start here; the rows are forgotten, their groups
  // never signalled. Answers how many tasks it stopped.
  int ReclaimFrom(const std::vector<AgentProcess>& taken);
  // POST /sessions/:id/prompt {prompt}: {task_id, status} (status "running" or "queued").
  // `created_by`: the prompting user, the task's created_by when it starts at once ("" none).
  Status Prompt(const std::string& session_id, const Json& body, Json* result,
                const std::string& created_by = "");
  // POST /sessions/:id/stop: Conflict when the session runs nothing. A task another node
  // runs (several nodes on one store) is patched `stopping`; that node's OnDelivered ends it.
  Status Stop(const std::string& session_id, Json* result);
  // Every committed event this node delivers (its own and other nodes'): a `tasks patched`
  // to `stopping` of a task this node runs, and did not stop itself, terminates its agent; one
  // to `stopped` by a node that claimed this one (ReclaimFrom's error: this node stalled past
  // its lease) ends its agent as an orphan's, with no more writes.
  void OnDelivered(const Event& ev);
  // Called before `service` record `id` (as sent: a prefix works) is removed: a session's
  // running agent, those of a board's sessions, or a running task's, are stopped as
  // described above. Other services, and ids that resolve to nothing, are left to the removal.
  void BeforeRemove(const std::string& service, const std::string& id);
  size_t running() const { return runs_.size(); }
  // Agents whose records were removed and whose group has not been released yet.
  size_t orphans() const { return orphans_.size(); }

 private:
  struct Run;
  struct Orphan {
    pid_t pid = -1;
    int64_t start_time = -1;
    bool exited = false;  // its exit has arrived
    bool killed = false;  // the grace is over (what was left of its group got SIGKILL)
  };
  Status StopElsewhere(const std::string& session_id, Json* result);
  Status Queue(const Json& session, const std::string& prompt, Json* result);
  Status StartTask(const Json& session, const std::string& prompt, const std::string& queued_id,
                   const std::string& created_by, Json* result);
  Status BuildSpec(Run* run, const Json& session, const std::string& prompt, ProcessSpec* spec);
  Status Locate(const std::string& tool, const Json& session, ProcessSpec* spec);
  ProcessCallbacks CallbacksFor(const std::string& session_id, const std::string& task_id);
  Status Spawn(Run* run, const Json& session, const std::string& prompt);
  void Guard(const std::string& session_id, const std::string& task_id,
             const std::function<void(Run*)>& fn);
  void OnLine(Run* run, std::string line, bool truncated);
  void OnAgentEvent(Run* run, const AgentEvent& ev);
  void PublishDelta(Run* run, const AgentEvent& delta);
  void OnEof(Run* run);
  void Terminate(Run* run);
  void OnExit(Run* run, int status, const std::string& stderr_tail);
  void KillLeftBehind();
  bool EndLeftTask(const std::string& task_id, const std::string& why);
  void EndClaimed(const std::string& task_id, std::vector<std::string>* sessions);
  void Finish(Run* run, const std::string& status, const std::string& error);
  void RecordEnd(Run* run, const std::string& status, const std::string& error);
  void BeforeTaskRemove(const std::string& id);
  void Abandon(Run* run, const std::string& why);
  void MakeOrphan(Run* run);
  void OrphanExited(const std::string& task_id);
  void KillOrphan(const std::string& task_id);
  void ForgetOrphan(std::unordered_map<std::string, Orphan>::iterator it);
  void StartNextQueued(const std::string& session_id);
  bool Patch(const char* service, const std::string& id, const Json& data);

  Store* store_;
  Publish publish_;
  ProcessSupervisor* processes_;
  const AgentPaths* paths_;
  Clock* clock_;
  After after_;
  int stop_grace_ms_;
  std::string node_id_;                                         // "" until SetNode
  bool shared_ = false;                                         // see SetShared
  std::unordered_map<std::string, std::unique_ptr<Run>> runs_;  // by session id
  std::unordered_map<std::string, Orphan> orphans_;             // by task id
};

}  // namespace agor
