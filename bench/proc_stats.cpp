#include "bench/proc_stats.h"

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

double Seconds(int64_t ns) {
  return std::round(static_cast<double>(ns) / 1e6) / 1000.0;
}

}  // namespace

int64_t ProcessCpuNs(pid_t pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt (fields 3-13)
  long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return -1;
  return TicksToNs(utime + stime);
}

int64_t RssKiB(pid_t pid) {
  std::string status =
      ReadFile(pid == 0 ? "/proc/self/status" : "/proc/" + std::to_string(pid) + "/status");
  size_t pos = status.find("VmRSS:");
  if (pos == std::string::npos) return -1;
  return std::atoll(status.c_str() + pos + 6);
}

CpuSnapshot TakeCpuSnapshot(pid_t server) {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  auto ns = [](const timeval& tv) { return int64_t{tv.tv_sec} * kNsPerSec + tv.tv_usec * 1000; };
  CpuSnapshot s;
  s.wall_ns = NowNs();
  s.server_ns = ProcessCpuNs(server);
  s.self_ns = ns(self.ru_utime) + ns(self.ru_stime);
  s.machine_busy_ns = MachineBusyNs();
  return s;
}

CpuUsage CpuBetween(const CpuSnapshot& before, const CpuSnapshot& after) {
  CpuUsage u;
  u.wall_ns = after.wall_ns - before.wall_ns;
  u.server_ns = after.server_ns - before.server_ns;
  u.generator_ns = after.self_ns - before.self_ns;
  u.foreign_ns = after.machine_busy_ns - before.machine_busy_ns - u.server_ns - u.generator_ns;
  return u;
}

Json CpuUsage::ToJson() const {
  return Json{{"wall_s", Seconds(wall_ns)},
              {"server_cpu_s", Seconds(server_ns)},
              {"generator_cpu_s", Seconds(generator_ns)},
              {"foreign_cpu_s", Seconds(foreign_ns)}};
}

PeakRssSampler::PeakRssSampler(EventLoop* loop, pid_t pid, int64_t interval_ns)
    : state_(std::make_shared<State>(State{pid, interval_ns})) {
  state_->peak_kib = RssKiB(pid);
  Schedule(loop, state_);
}

PeakRssSampler::~PeakRssSampler() {
  state_->stopped = true;
}

void PeakRssSampler::Schedule(EventLoop* loop, std::shared_ptr<State> state) {
  loop->At(NowNs() + state->interval_ns, [loop, state] {
    if (state->stopped) return;
    state->peak_kib = std::max(state->peak_kib, RssKiB(state->pid));
    Schedule(loop, state);
  });
}

}  // namespace agor::bench
