#include "bench/crowd_generator.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "bench/child.h"
#include "bench/client_pool.h"
#include "bench/mark_tracker.h"

namespace agor::bench {
namespace {

constexpr int64_t kHoldNs = 3600 * kNsPerSec;  // the child's bound on waiting for its parent

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A forked child holds copies of every descriptor of the parent, the other generators' pipe
// ends among them: it must close them, or a generator would never see its parent's end of file.
void CloseAllBut(int keep_a, int keep_b) {
  std::vector<int> fds;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) fds.push_back(std::atoi(entry->d_name));
    closedir(dir);  // its own descriptor is in the list: closing it again fails harmlessly
  }
  for (int fd : fds) {
    if (fd > 2 && fd != keep_a && fd != keep_b) close(fd);
  }
}

// The parent's pipe on the child's loop: a byte asks for the report, end of file ends the child.
class ParentPipe : public EventLoop::Handler {
 public:
  ParentPipe(EventLoop* loop, int fd) : fd_(fd) {
    fcntl(fd, F_SETFL, O_NONBLOCK);
    loop->Watch(fd, this);
  }
  void OnIo(uint32_t /*events*/) override {
    char buf[64];
    while (true) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n > 0) {
        asked = true;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        if (n == 0 || errno != EAGAIN) closed = asked = true;
        return;
      }
    }
  }
  bool asked = false;
  bool closed = false;

 private:
  int fd_;
};

// Client i of the share is client first + i of the crowd: it takes the nodes round-robin.
std::vector<uint16_t> Rotated(std::vector<uint16_t> ports, int first) {
  std::rotate(ports.begin(), ports.begin() + first % static_cast<int>(ports.size()), ports.end());
  return ports;
}

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

void SendReport(int fd, const MarkTracker& tracker, const ClientPool& pool) {
  const std::vector<int64_t>& samples = tracker.latency_samples().samples();
  std::string head = "got " + std::to_string(tracker.received()) + " " +
                     std::to_string(tracker.duplicates()) + " " + std::to_string(pool.dropped()) +
                     " " + std::to_string(samples.size()) + "\n";
  WriteAll(fd, head.data(), head.size());
  WriteAll(fd, reinterpret_cast<const char*>(samples.data()), samples.size() * sizeof(int64_t));
}

// Opens the share's clients (bounded as OpenClients bounds them) and tells the parent.
void Connect(const CrowdShare& share, ClientPool* pool, int to_parent) {
  pool->SpreadOver(Rotated(share.ports, share.first), share.source);
  std::string query = "board_id=" + share.board_id;
  int64_t timeout = 10 * kNsPerSec + int64_t{share.count} * 20 * kNsPerMs;
  ConnectStats st = pool->Grow(share.count, share.in_flight, timeout, [&](int) { return query; });
  std::string ready = "ready " + std::to_string(st.connected) + " " + std::to_string(st.failed) +
                      " " + std::to_string(st.elapsed_ns) + " " + OneLine(st.first_error) + "\n";
  WriteAll(to_parent, ready.data(), ready.size());
}

[[noreturn]] void RunChild(const CrowdShare& share, int from_parent, int to_parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  EventLoop loop;
  MarkTracker tracker;
  tracker.Reset(share.count, 1, share.run);
  ClientPool pool(&loop, share.ports[0], &tracker, share.token);
  Connect(share, &pool, to_parent);
  ParentPipe parent(&loop, from_parent);
  loop.RunUntil([&] { return parent.asked || tracker.received() >= pool.connected(); },
                NowNs() + kHoldNs);
  SendReport(to_parent, tracker, pool);
  loop.RunUntil([&] { return parent.closed; }, NowNs() + kHoldNs);
  _exit(0);  // never the parent's destructors: its servers are not this process's to stop
}

}  // namespace

Status CrowdGenerator::Start(const CrowdShare& share) {
  Stop();
  int down[2], up[2];
  if (pipe2(down, O_CLOEXEC) != 0) return Status::GeneralError("pipe failed");
  if (pipe2(up, O_CLOEXEC) != 0) {
    close(down[0]), close(down[1]);
    return Status::GeneralError("pipe failed");
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    CloseAllBut(down[0], up[1]);
    RunChild(share, down[0], up[1]);
  }
  close(down[0]);
  close(up[1]);
  to_child_ = down[1];
  from_child_ = up[0];
  if (pid < 0) {
    Stop();
    return Status::GeneralError("fork failed");
  }
  pid_ = pid;
  return Status::OK();
}

Status CrowdGenerator::WaitReady(int64_t deadline_ns, CrowdReady* out) {
  std::string line;
  Status s = ReadLine(deadline_ns, &line);
  if (!s.ok()) return s;
  std::istringstream in(line);
  std::string word;
  if (!(in >> word >> out->connected >> out->failed >> out->elapsed_ns) || word != "ready")
    return Status::GeneralError("generator: unexpected line: " + line);
  std::getline(in >> std::ws, out->first_error);
  return Status::OK();
}

Status CrowdGenerator::WaitReport(int64_t ask_ns, int64_t deadline_ns, CrowdReport* out) {
  std::string line;
  Status s = ReadLine(ask_ns, &line);
  if (!s.ok() && WriteAll(to_child_, "r", 1)) s = ReadLine(deadline_ns, &line);
  if (!s.ok()) return s;
  std::istringstream in(line);
  std::string word;
  size_t samples = 0;
  if (!(in >> word >> out->received >> out->duplicates >> out->dropped >> samples) || word != "got")
    return Status::GeneralError("generator: unexpected line: " + line);
  std::string bytes;
  s = ReadBytes(deadline_ns, samples * sizeof(int64_t), &bytes);
  if (!s.ok()) return s;
  out->latencies_ns.resize(samples);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(out->latencies_ns.data()));
  return Status::OK();
}

void CrowdGenerator::Stop() {
  if (to_child_ >= 0) close(to_child_);
  if (from_child_ >= 0) close(from_child_);
  to_child_ = from_child_ = -1;
  if (pid_ > 0) Terminate(pid_, 10000);  // it exits at the end of file; SIGTERM if it hangs
  pid_ = -1;
  buffer_.clear();
}

Status CrowdGenerator::ReadLine(int64_t deadline_ns, std::string* line) {
  size_t eol;
  while ((eol = buffer_.find('\n')) == std::string::npos) {
    Status s = ReadBytes(deadline_ns, buffer_.size() + 1, nullptr);
    if (!s.ok()) return s;
  }
  *line = buffer_.substr(0, eol);
  buffer_.erase(0, eol + 1);
  return Status::OK();
}

// Reads until buffer_ holds n bytes; with out, moves those n bytes there.
Status CrowdGenerator::ReadBytes(int64_t deadline_ns, size_t n, std::string* out) {
  char chunk[65536];
  while (buffer_.size() < n) {
    int64_t left_ms = (deadline_ns - NowNs()) / kNsPerMs;
    pollfd p{from_child_, POLLIN, 0};
    if (left_ms <= 0 || poll(&p, 1, static_cast<int>(left_ms)) == 0)
      return Status::GeneralError("generator: timed out");
    ssize_t got = read(from_child_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return Status::GeneralError("generator: exited early");
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  if (out) {
    *out = buffer_.substr(0, n);
    buffer_.erase(0, n);
  }
  return Status::OK();
}

}  // namespace agor::bench
