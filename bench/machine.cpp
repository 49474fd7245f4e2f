#include "bench/machine.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "bench/proc_stats.h"

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

// A worktree's .git is a file naming its own git folder ("gitdir: PATH"), whose refs live in
// the main repository's folder (its `commondir`, relative to it).
void ResolveGitDirs(std::string* git_dir, std::string* refs_dir) {
  std::string line = ReadFirstLine(*git_dir);
  if (line.rfind("gitdir: ", 0) == 0) *git_dir = line.substr(8);
  std::string common = ReadFirstLine(*git_dir + "/commondir");
  *refs_dir = common.empty() ? *git_dir : common[0] == '/' ? common : *git_dir + "/" + common;
}

// HEAD's commit: a detached hash, or the branch's loose or packed ref.
std::string Commit(std::string git_dir) {
  std::string refs_dir;
  ResolveGitDirs(&git_dir, &refs_dir);
  std::string head = ReadFirstLine(git_dir + "/HEAD");
  if (head.rfind("ref: ", 0) != 0) return head;
  std::string ref = head.substr(5);
  std::string loose = ReadFirstLine(refs_dir + "/" + ref);
  if (!loose.empty()) return loose;
  std::ifstream packed(refs_dir + "/packed-refs");
  std::string line;
  while (std::getline(packed, line)) {
    if (line.size() > 41 && line.compare(41, std::string::npos, ref) == 0)
      return line.substr(0, 40);
  }
  return "";
}

constexpr const char* kSomaxconn = "/proc/sys/net/core/somaxconn";
constexpr const char* kConntrackMax = "/proc/sys/net/netfilter/nf_conntrack_max";
constexpr const char* kConntrackCount = "/proc/sys/net/netfilter/nf_conntrack_count";
constexpr int64_t kCrowdKibPerConnection = 10;

// The number in a /proc file's first line; -1 when the file is missing (e.g. no conntrack).
int64_t ReadNumber(const char* path) {
  std::string line = ReadFirstLine(path);
  return line.empty() ? -1 : std::atoll(line.c_str());
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
              {"local_port_range", ReadFirstLine("/proc/sys/net/ipv4/ip_local_port_range")},
              {"somaxconn", ReadNumber(kSomaxconn)},
              {"nf_conntrack_max", ReadNumber(kConntrackMax)},
              {"mem_available_kib", MemAvailableKiB()}};
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

std::string CrowdLimits(int clients, int handshakes_in_flight) {
  std::string warnings;
  int64_t conntrack_max = ReadNumber(kConntrackMax);
  int64_t tracked = std::max<int64_t>(0, ReadNumber(kConntrackCount));
  if (conntrack_max >= 0 && conntrack_max - tracked < clients) {
    warnings += "net.netfilter.nf_conntrack_max " + std::to_string(conntrack_max) + " with " +
                std::to_string(tracked) + " tracked leaves less than " + std::to_string(clients) +
                " connections (wait for TIME_WAIT entries to expire, or raise it)\n";
  }
  if (ReadNumber(kSomaxconn) < handshakes_in_flight) {
    warnings += "net.core.somaxconn " + std::to_string(ReadNumber(kSomaxconn)) + " < " +
                std::to_string(handshakes_in_flight) + " handshakes in flight\n";
  }
  int64_t need_kib = int64_t{clients} * kCrowdKibPerConnection;
  if (MemAvailableKiB() < need_kib) {
    warnings += "MemAvailable " + std::to_string(MemAvailableKiB() / 1024) + " MiB < about " +
                std::to_string(need_kib / 1024) + " MiB for " + std::to_string(clients) +
                " connections\n";
  }
  return warnings;
}

}  // namespace agor::bench
