#include "bench/machine.h"

#include <sys/resource.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <sstream>

namespace agor::bench {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "";
}

// HEAD's commit: a detached hash, or the branch's loose or packed ref.
std::string Commit(const std::string& git_dir) {
  std::string head = ReadFirstLine(git_dir + "/HEAD");
  if (head.rfind("ref: ", 0) != 0) return head;
  std::string ref = head.substr(5);
  std::string loose = ReadFirstLine(git_dir + "/" + ref);
  if (!loose.empty()) return loose;
  std::ifstream packed(git_dir + "/packed-refs");
  std::string line;
  while (std::getline(packed, line)) {
    if (line.size() > 41 && line.compare(41, std::string::npos, ref) == 0)
      return line.substr(0, 40);
  }
  return "";
}

std::string UtcNow() {
  char buf[32];
  time_t now = time(nullptr);
  tm utc{};
  gmtime_r(&now, &utc);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace

Json DescribeMachine(const std::string& source_dir) {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  return Json{{"date", UtcNow()},
              {"nproc", sysconf(_SC_NPROCESSORS_ONLN)},
              {"cpu_model", CpuModel()},
              {"loadavg", ReadFirstLine("/proc/loadavg")},
              {"commit", Commit(source_dir + "/.git")},
              {"open_files_limit", static_cast<int64_t>(files.rlim_cur)},
              {"local_port_range", ReadFirstLine("/proc/sys/net/ipv4/ip_local_port_range")}};
}

std::string PrepareLimits(int connections) {
  std::string warnings;
  rlim_t needed = static_cast<rlim_t>(connections) + 256;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < needed) {
    files.rlim_cur = std::min(needed, files.rlim_max);
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (files.rlim_cur < needed) {
    warnings += "open files limit " + std::to_string(files.rlim_cur) + " < " +
                std::to_string(needed) + " needed (ulimit -Hn)\n";
  }
  std::istringstream range(ReadFirstLine("/proc/sys/net/ipv4/ip_local_port_range"));
  int low = 0, high = 0;
  if (range >> low >> high && high - low + 1 < connections + 1000) {
    warnings += "only " + std::to_string(high - low + 1) +
                " local ports (net.ipv4.ip_local_port_range) for " + std::to_string(connections) +
                " connections\n";
  }
  return warnings;
}

}  // namespace agor::bench
