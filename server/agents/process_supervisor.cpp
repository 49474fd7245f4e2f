#include "server/agents/process_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace agor {

struct ProcessSupervisor::Child {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;
  std::string input;
  size_t input_off = 0;
  std::string line;       // the stdout line being assembled
  bool skipping = false;  // past max_line: dropping bytes until the next newline
  std::string err_tail;   // the last bytes of stderr
  std::atomic<size_t> pending{0};
  bool exited = false;
  int status = 0;
  int64_t exited_ms = 0;
  ProcessCallbacks cb;
};

namespace {

constexpr size_t kStderrTail = 2048;
constexpr int64_t kEofGraceMs = 1000;  // after exit, how long a grandchild may hold stdout

void CloseFd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

ProcessSupervisor::ProcessSupervisor(Post post, size_t max_line_bytes, size_t max_pending_lines,
                                     ProcessOs* os, Clock* clock)
    : post_(std::move(post)),
      max_line_(max_line_bytes),
      max_pending_(max_pending_lines),
      os_(os),
      clock_(clock) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  thread_ = std::thread([this] { Loop(); });
}

ProcessSupervisor::~ProcessSupervisor() {
  stop_ = true;
  char c = 0;
  ssize_t ignored = write(wake_[1], &c, 1);
  (void)ignored;
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& entry : children_) {
    os_->Kill(-entry.first, SIGKILL);
    os_->WaitPid(entry.first, nullptr, 0);
    CloseFd(&entry.second->in);
    CloseFd(&entry.second->out);
    CloseFd(&entry.second->err);
  }
  CloseFd(&wake_[0]);
  CloseFd(&wake_[1]);
}

Status ProcessSupervisor::Start(const ProcessSpec& spec, ProcessCallbacks callbacks, pid_t* pid) {
  if (spec.argv.empty()) return Status::BadRequest("empty argv");
  const std::string& path = spec.path.empty() ? spec.argv[0] : spec.path;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    return Status::GeneralError(std::string("pipe: ") + strerror(errno));
  pid_t child_pid = -1;
  Status s = os_->Spawn(path, spec.argv, spec.cwd, in[0], out[1], err[1], &child_pid);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!s.ok()) {
    close(in[1]), close(out[0]), close(err[0]);
    return s;
  }
  auto c = std::make_shared<Child>();
  c->pid = child_pid;
  c->in = in[1], c->out = out[0], c->err = err[0];
  for (int fd : {c->in, c->out, c->err}) SetNonBlocking(fd);
  c->input = spec.input;
  c->cb = std::move(callbacks);
  {
    std::lock_guard<std::mutex> lock(mu_);
    children_[child_pid] = c;
  }
  char wake = 0;
  ssize_t ignored = write(wake_[1], &wake, 1);
  (void)ignored;
  *pid = child_pid;
  return Status::OK();
}

void ProcessSupervisor::Signal(pid_t pid, int sig) {
  if (pid > 0) os_->Kill(-pid, sig);
}

bool ProcessSupervisor::GroupAlive(pid_t pgid) {
  return pgid > 0 && os_->Kill(-pgid, 0) == 0;
}

int64_t ProcessSupervisor::StartTime(pid_t pid) {
  return os_->StartTime(pid);
}

// A group id names our agent's group only while the group has members: Linux does not hand
// out a pid that is still some group's id. So the group is ours unless (a) a process with
// pid `pgid` runs and started at another time than recorded (the id was reused after our
// group emptied), or (b) a member started before our leader did.
bool ProcessSupervisor::KillLeftBehind(pid_t pgid, int64_t start_time) {
  if (pgid <= 1 || pgid == getpgrp()) return false;
  std::vector<ProcessInfo> members = os_->GroupMembers(pgid);
  if (members.empty()) return false;
  const int64_t leader = os_->StartTime(pgid);
  bool ours = leader < 0 || leader == start_time;
  for (const ProcessInfo& m : members) ours = ours && m.start_time >= start_time;
  if (!ours) {
    Log(LogLevel::kWarn,
        "process group " + std::to_string(pgid) + " was reused by another program; not killing it");
    return false;
  }
  return os_->Kill(-pgid, SIGKILL) == 0;
}

void ProcessSupervisor::Loop() {
  while (!stop_) {
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}};
    std::vector<std::shared_ptr<Child>> owners{nullptr};
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& entry : children_) {
        Child* c = entry.second.get();
        if (c->in >= 0 && c->input_off >= c->input.size()) CloseFd(&c->in);
        if (c->in >= 0) fds.push_back({c->in, POLLOUT, 0});
        if (c->out >= 0 && c->pending < max_pending_) fds.push_back({c->out, POLLIN, 0});
        if (c->err >= 0) fds.push_back({c->err, POLLIN, 0});
        owners.resize(fds.size(), entry.second);
      }
    }
    poll(fds.data(), fds.size(), 100);
    char drain[64];
    while (read(wake_[0], drain, sizeof drain) > 0) {
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents) Service(owners[i], fds[i].revents, fds[i].fd);
    }
    Reap();
  }
}

void ProcessSupervisor::Service(const std::shared_ptr<Child>& owner, short revents, int fd) {
  Child* c = owner.get();
  if (fd == c->in) {
    ssize_t n = write(c->in, c->input.data() + c->input_off, c->input.size() - c->input_off);
    if (n > 0) c->input_off += n;
    if ((n < 0 && errno != EAGAIN) || (revents & (POLLERR | POLLHUP))) CloseFd(&c->in);
    return;
  }
  char buf[65536];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && errno == EAGAIN) return;
  if (fd == c->err) {
    if (n <= 0) return CloseFd(&c->err);
    c->err_tail.append(buf, n);
    if (c->err_tail.size() > kStderrTail) c->err_tail.erase(0, c->err_tail.size() - kStderrTail);
    return;
  }
  if (n <= 0) {  // EOF on stdout: a last line without its newline still counts
    if (!c->line.empty() && !c->skipping) Deliver(owner, std::move(c->line), false);
    c->line.clear();
    CloseFd(&c->out);
    if (c->cb.on_eof) post_([owner] { owner->cb.on_eof(); });
    return;
  }
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == '\n') {
      if (!c->skipping) Deliver(owner, std::move(c->line), false);
      c->line.clear();
      c->skipping = false;
    } else if (!c->skipping) {
      c->line.push_back(buf[i]);
      if (c->line.size() >= max_line_) {  // never hold more than one cut line of a flood
        Deliver(owner, std::move(c->line), true);
        c->line.clear();
        c->skipping = true;
      }
    }
  }
}

void ProcessSupervisor::Deliver(const std::shared_ptr<Child>& owner, std::string line,
                                bool truncated) {
  ++owner->pending;
  post_([this, owner, line = std::move(line), truncated]() mutable {
    if (--owner->pending == max_pending_ / 2) {
      char wake = 0;
      ssize_t ignored = write(wake_[1], &wake, 1);
      (void)ignored;
    }
    if (owner->cb.on_line) owner->cb.on_line(std::move(line), truncated);
  });
}

// Reports a child once it has exited and its stdout is drained (or a grandchild kept the
// pipe open past the grace period).
void ProcessSupervisor::Reap() {
  std::vector<std::shared_ptr<Child>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = children_.begin(); it != children_.end();) {
      Child* c = it->second.get();
      if (!c->exited && os_->WaitPid(c->pid, &c->status, WNOHANG) == c->pid) {
        c->exited = true;
        c->exited_ms = clock_->NowMillis();
      }
      bool drained = c->out < 0 || clock_->NowMillis() - c->exited_ms > kEofGraceMs;
      if (!c->exited || !drained) {
        ++it;
        continue;
      }
      CloseFd(&c->in), CloseFd(&c->out), CloseFd(&c->err);
      done.push_back(it->second);
      it = children_.erase(it);
    }
  }
  for (auto& c : done) {
    post_([c] {
      if (c->cb.on_exit) c->cb.on_exit(c->status, c->err_tail);
    });
  }
}

}  // namespace agor
