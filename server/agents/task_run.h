// TaskManager::Run: one running agent's state, shared by task_manager.cpp (prompts, the
// agent's output and exit) and task_endings.cpp (stops, removals, orphans, recovery). Private
// to those two files: nothing else includes it.
// Threading: the daemon's event loop only, as TaskManager.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "server/agents/agent_protocol.h"
#include "server/agents/task_manager.h"

namespace agor {

struct TaskManager::Run {
  std::string task_id;
  std::string session_id;
  std::string board_id;
  std::string agent;  // the session's agentic_tool: the actor of what the run writes
  std::string user;   // who prompted it ("" for a queued prompt): on whose behalf
  pid_t pid = -1;
  int64_t start_time = -1;  // of the agent (see ProcessSupervisor::StartTime)
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

}  // namespace agor
