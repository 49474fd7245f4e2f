#include "bench/event_loop.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace agor::bench {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * kNsPerSec + ts.tv_nsec;
}

EventLoop::EventLoop() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {
  if (epfd_ < 0) {
    perror("agor_bench: epoll_create1");
    abort();
  }
}

EventLoop::~EventLoop() {
  close(epfd_);
}

bool EventLoop::Watch(int fd, Handler* handler) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::Unwatch(int fd) {
  epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::At(int64_t when_ns, std::function<void()> fn) {
  timers_.push(Timer{when_ns, timer_seq_++, std::move(fn)});
}

void EventLoop::RunDueTimers() {
  int64_t now = NowNs();
  // Timers added by a timer run on the next pass, so a self-rescheduling timer cannot spin here.
  for (size_t n = timers_.size(); n > 0 && !timers_.empty() && timers_.top().when_ns <= now; --n) {
    std::function<void()> fn = std::move(const_cast<Timer&>(timers_.top()).fn);
    timers_.pop();
    fn();
  }
}

int64_t EventLoop::WaitNs(int64_t deadline_ns) const {
  int64_t until = deadline_ns;
  if (!timers_.empty()) until = std::min(until, timers_.top().when_ns);
  return std::clamp<int64_t>(until - NowNs(), 0, 1000 * kNsPerMs);
}

// epoll_pwait2 takes a nanosecond timeout: epoll_wait's milliseconds made a paced message
// leave up to 1 ms after it was due, and every latency sample carried that.
int EventLoop::Wait(epoll_event* events, int max, int64_t deadline_ns) {
  int64_t ns = WaitNs(deadline_ns);
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  int n = epoll_pwait2(epfd_, events, max, &ts, nullptr);
  if (n >= 0 || errno != ENOSYS) return n;
  return epoll_wait(epfd_, events, max, static_cast<int>((ns + kNsPerMs - 1) / kNsPerMs));
}

bool EventLoop::RunUntil(const std::function<bool()>& done, int64_t deadline_ns) {
  constexpr int kBatch = 512;
  epoll_event events[kBatch];
  while (!done() && NowNs() < deadline_ns) {
    int n = Wait(events, kBatch, deadline_ns);
    for (int i = 0; i < n; ++i) static_cast<Handler*>(events[i].data.ptr)->OnIo(events[i].events);
    RunDueTimers();
  }
  return done();
}

void EventLoop::RunFor(int64_t duration_ns) {
  RunUntil([] { return false; }, NowNs() + duration_ns);
}

}  // namespace agor::bench
