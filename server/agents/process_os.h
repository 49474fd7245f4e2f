// ProcessOs: the operating-system calls of the agents (fork/exec, kill, waitpid and what
// /proc says about a process) behind one small interface, so tests can swap them, as ninja's
// CommandRunner or LevelDB's Env do. RealProcessOs() is Linux.
//
// The seam is narrow on purpose: pipes and poll(2) stay in the ProcessSupervisor (they are
// plumbing a fake would have to reimplement), only what starts, ends or identifies processes
// goes through here.
//
// Thread-safety: RealProcessOs() is stateless and thread-safe; a fake decides for itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace agor {

// One process as /proc shows it.
struct ProcessInfo {
  pid_t pid = -1;
  int64_t start_time = -1;  // clock ticks after boot (/proc/<pid>/stat field 22)
};

class ProcessOs {
 public:
  virtual ~ProcessOs() = default;

  // Forks and execs `path` (used as is: no PATH lookup) with `argv` in the directory `cwd`
  // ("" = the daemon's; PWD set to it), the fds `in`, `out`, `err` as its 0, 1, 2 and no
  // other fd, default signal dispositions, in a new process group whose id is its pid, and
  // SIGKILLed when the daemon dies. Returns once the exec happened or failed: GeneralError
  // "fork: …", "cannot enter the working directory '<cwd>': …" or "cannot execute '<path>':
  // …" (the child reports chdir's or exec's errno through a close-on-exec pipe, and is reaped).
  virtual Status Spawn(const std::string& path, const std::vector<std::string>& argv,
                       const std::string& cwd, int in, int out, int err, pid_t* pid) = 0;
  // kill(2): 0, or -1 with errno set. A negative pid is a process group.
  virtual int Kill(pid_t pid, int sig) = 0;
  // waitpid(2).
  virtual pid_t WaitPid(pid_t pid, int* status, int options) = 0;
  // The start time of `pid`; -1 when there is no such process.
  virtual int64_t StartTime(pid_t pid) = 0;
  // The processes whose process group is `pgid` (zombies included).
  virtual std::vector<ProcessInfo> GroupMembers(pid_t pgid) = 0;
};

// The real one: fork/exec, kill, waitpid and /proc.
ProcessOs* RealProcessOs();

// Parses a /proc/<pid>/stat line: its process group (field 5) and start time (field 22).
// False when the line has not that shape (the command name, field 2, may hold anything).
bool ParseProcStat(const std::string& line, pid_t* pgrp, int64_t* start_time);

}  // namespace agor
