// Process and machine figures: CPU time of the server (utime+stime of /proc/<pid>/stat, all
// threads), of the load generator itself (getrusage), and of the whole machine (/proc/stat), so
// that CPU used by unrelated work during a run shows up as "foreign"; RSS from
// /proc/<pid>/status (VmRSS).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "bench/event_loop.h"

namespace agor::bench {

// CPU time (user + system) of process pid in ns; -1 when it cannot be read.
int64_t ProcessCpuNs(pid_t pid);
// VmRSS of pid (0: this process) in KiB; -1 when it cannot be read.
int64_t RssKiB(pid_t pid);

struct CpuSnapshot {
  int64_t wall_ns = 0;
  int64_t server_ns = 0;
  int64_t self_ns = 0;
  int64_t machine_busy_ns = 0;  // summed over all cores
};
CpuSnapshot TakeCpuSnapshot(pid_t server);

// CPU time between two snapshots (ns; /proc figures have clock-tick resolution, 10 ms).
// foreign = machine busy - server - generator: other work on the machine during the run.
struct CpuUsage {
  int64_t wall_ns = 0, server_ns = 0, generator_ns = 0, foreign_ns = 0;
  Json ToJson() const;  // in seconds
};
CpuUsage CpuBetween(const CpuSnapshot& before, const CpuSnapshot& after);

// Samples a process's RSS every interval on the loop and keeps the peak, until destroyed.
class PeakRssSampler {
 public:
  PeakRssSampler(EventLoop* loop, pid_t pid, int64_t interval_ns = 50 * kNsPerMs);
  ~PeakRssSampler();
  int64_t peak_kib() const { return state_->peak_kib; }

 private:
  struct State {
    pid_t pid;
    int64_t interval_ns;
    int64_t peak_kib = 0;
    bool stopped = false;
  };
  static void Schedule(EventLoop* loop, std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace agor::bench
