// Process and machine figures: CPU time of the servers (utime+stime of /proc/<pid>/stat, all
// threads, summed over a cluster's nodes), of a cluster's Redis and PostgreSQL (the postmaster
// and its backends), of the load generator itself (getrusage, plus its generator processes),
// and of the whole machine (/proc/stat), so that CPU used by unrelated work during a run shows
// up as "foreign"; RSS from /proc/<pid>/status (VmRSS).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "bench/event_loop.h"

namespace agor::bench {

// CPU time (user + system) of process pid in ns; -1 when it cannot be read.
int64_t ProcessCpuNs(pid_t pid);
// VmRSS of pid (0: this process) in KiB; -1 when it cannot be read.
int64_t RssKiB(pid_t pid);
// VmRSS summed over pids (KiB; unreadable ones count 0).
int64_t SumRssKiB(const std::vector<pid_t>& pids);
// MemAvailable of /proc/meminfo (KiB): what the whole machine can still give.
int64_t MemAvailableKiB();
// CPU time of pid, of its children that ended (cutime, cstime) and of those that run (ns).
int64_t ProcessTreeCpuNs(pid_t pid);

// The processes a measurement tells apart; -1 / empty for none.
struct CpuPids {
  std::vector<pid_t> servers;     // summed: "server CPU"
  pid_t redis = -1;               // a cluster's broker
  pid_t postgres = -1;            // a cluster's postmaster (with its backends)
  std::vector<pid_t> generators;  // load generator processes besides this one
};

struct CpuSnapshot {
  int64_t wall_ns = 0;
  int64_t server_ns = 0;
  int64_t redis_ns = 0;
  int64_t postgres_ns = 0;
  int64_t self_ns = 0;          // this process and the generators
  int64_t machine_busy_ns = 0;  // summed over all cores
};
CpuSnapshot TakeCpuSnapshot(const CpuPids& pids);
inline CpuSnapshot TakeCpuSnapshot(pid_t server) {
  CpuPids pids;
  pids.servers = {server};
  return TakeCpuSnapshot(pids);
}

// CPU time between two snapshots (ns; /proc figures have clock-tick resolution, 10 ms).
// foreign = machine busy - server - redis - postgres - generator: other work during the run.
struct CpuUsage {
  int64_t wall_ns = 0, server_ns = 0, generator_ns = 0, foreign_ns = 0;
  int64_t redis_ns = 0, postgres_ns = 0;
  Json ToJson() const;  // in seconds
};
CpuUsage CpuBetween(const CpuSnapshot& before, const CpuSnapshot& after);

// Samples the RSS of processes (summed) every interval on the loop and keeps the peak, until
// destroyed.
class PeakRssSampler {
 public:
  PeakRssSampler(EventLoop* loop, pid_t pid, int64_t interval_ns = 50 * kNsPerMs)
      : PeakRssSampler(loop, std::vector<pid_t>{pid}, interval_ns) {}
  PeakRssSampler(EventLoop* loop, std::vector<pid_t> pids, int64_t interval_ns = 50 * kNsPerMs);
  ~PeakRssSampler();
  int64_t peak_kib() const { return state_->peak_kib; }

 private:
  struct State {
    std::vector<pid_t> pids;
    int64_t interval_ns;
    int64_t peak_kib = 0;
    bool stopped = false;
  };
  static void Schedule(EventLoop* loop, std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace agor::bench
