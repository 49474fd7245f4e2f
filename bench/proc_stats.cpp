#include "bench/proc_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace agor::bench {
namespace {

int64_t TicksToNs(long long ticks) {
  static const long hz = sysconf(_SC_CLK_TCK);
  return static_cast<int64_t>(ticks) * (kNsPerSec / hz);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t MachineBusyNs() {
  std::istringstream line(ReadFile("/proc/stat"));
  std::string cpu;
  line >> cpu;
  long long total = 0, idle = 0, v = 0;
  for (int i = 0; i < 8 && line >> v; ++i) {
    total += v;
    if (i == 3 || i == 4) idle += v;  // idle, iowait
  }
  return TicksToNs(total - idle);
}

// Fields 14.. of /proc/<pid>/stat (utime, stime, cutime, cstime, ...) and its ppid (field 4);
// false when the process is gone.
bool ReadStat(pid_t pid, pid_t* ppid, long long times[4]) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(stat.substr(paren + 2));
  std::string skip;
  long long parent = 0;
  fields >> skip >> parent;                     // state, ppid (fields 3-4)
  for (int i = 5; i < 14; ++i) fields >> skip;  // pgrp .. cmajflt (fields 5-13)
  *ppid = static_cast<pid_t>(parent);
  return static_cast<bool>(fields >> times[0] >> times[1] >> times[2] >> times[3]);
}

// The pids of the processes whose parent is pid.
std::vector<pid_t> Children(pid_t pid) {
  std::vector<pid_t> children;
  DIR* dir = opendir("/proc");
  if (!dir) return children;
  while (dirent* entry = readdir(dir)) {
    pid_t child = static_cast<pid_t>(std::atoi(entry->d_name));
    pid_t ppid = 0;
    long long times[4];
    if (child > 0 && ReadStat(child, &ppid, times) && ppid == pid) children.push_back(child);
  }
  closedir(dir);
  return children;
}

int64_t SumCpuNs(const std::vector<pid_t>& pids) {
  int64_t sum = 0;
  for (pid_t pid : pids) sum += std::max<int64_t>(0, ProcessCpuNs(pid));
  return sum;
}

double Seconds(int64_t ns) {
  return std::round(static_cast<double>(ns) / 1e6) / 1000.0;
}

}  // namespace

int64_t ProcessCpuNs(pid_t pid) {
  pid_t ppid = 0;
  long long times[4];
  if (!ReadStat(pid, &ppid, times)) return -1;
  return TicksToNs(times[0] + times[1]);
}

// A backend that ended between the two reads is counted by neither: its CPU is lost, not
// doubled (short-lived ones are few; agor's connections to PostgreSQL stay open).
int64_t ProcessTreeCpuNs(pid_t pid) {
  pid_t ppid = 0;
  long long times[4];
  if (pid <= 0 || !ReadStat(pid, &ppid, times)) return 0;
  return TicksToNs(times[0] + times[1] + times[2] + times[3]) + SumCpuNs(Children(pid));
}

int64_t RssKiB(pid_t pid) {
  std::string status =
      ReadFile(pid == 0 ? "/proc/self/status" : "/proc/" + std::to_string(pid) + "/status");
  size_t pos = status.find("VmRSS:");
  if (pos == std::string::npos) return -1;
  return std::atoll(status.c_str() + pos + 6);
}

CpuSnapshot TakeCpuSnapshot(const CpuPids& pids) {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  auto ns = [](const timeval& tv) { return int64_t{tv.tv_sec} * kNsPerSec + tv.tv_usec * 1000; };
  CpuSnapshot s;
  s.wall_ns = NowNs();
  s.server_ns = SumCpuNs(pids.servers);
  s.redis_ns = pids.redis > 0 ? std::max<int64_t>(0, ProcessCpuNs(pids.redis)) : 0;
  s.postgres_ns = ProcessTreeCpuNs(pids.postgres);
  s.self_ns = ns(self.ru_utime) + ns(self.ru_stime) + SumCpuNs(pids.generators);
  s.machine_busy_ns = MachineBusyNs();
  return s;
}

CpuUsage CpuBetween(const CpuSnapshot& before, const CpuSnapshot& after) {
  CpuUsage u;
  u.wall_ns = after.wall_ns - before.wall_ns;
  u.server_ns = after.server_ns - before.server_ns;
  u.generator_ns = after.self_ns - before.self_ns;
  u.redis_ns = after.redis_ns - before.redis_ns;
  u.postgres_ns = after.postgres_ns - before.postgres_ns;
  u.foreign_ns = after.machine_busy_ns - before.machine_busy_ns - u.server_ns - u.generator_ns -
                 u.redis_ns - u.postgres_ns;
  return u;
}

Json CpuUsage::ToJson() const {
  return Json{{"wall_s", Seconds(wall_ns)},
              {"server_cpu_s", Seconds(server_ns)},
              {"generator_cpu_s", Seconds(generator_ns)},
              {"redis_cpu_s", Seconds(redis_ns)},
              {"postgres_cpu_s", Seconds(postgres_ns)},
              {"foreign_cpu_s", Seconds(foreign_ns)}};
}

int64_t MemAvailableKiB() {
  std::string info = ReadFile("/proc/meminfo");
  size_t pos = info.find("MemAvailable:");
  return pos == std::string::npos ? -1 : std::atoll(info.c_str() + pos + 13);
}

int64_t SumRssKiB(const std::vector<pid_t>& pids) {
  int64_t sum = 0;
  for (pid_t pid : pids) sum += std::max<int64_t>(0, RssKiB(pid));
  return sum;
}

PeakRssSampler::PeakRssSampler(EventLoop* loop, std::vector<pid_t> pids, int64_t interval_ns)
    : state_(std::make_shared<State>(State{std::move(pids), interval_ns})) {
  state_->peak_kib = SumRssKiB(state_->pids);
  Schedule(loop, state_);
}

PeakRssSampler::~PeakRssSampler() {
  state_->stopped = true;
}

void PeakRssSampler::Schedule(EventLoop* loop, std::shared_ptr<State> state) {
  loop->At(NowNs() + state->interval_ns, [loop, state] {
    if (state->stopped) return;
    state->peak_kib = std::max(state->peak_kib, SumRssKiB(state->pids));
    Schedule(loop, state);
  });
}

}  // namespace agor::bench
