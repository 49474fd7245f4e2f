// EventLoop: one epoll instance (edge-triggered) plus one-shot timers, for a load generator that
// holds thousands of connections on a single thread. No locks: everything runs on the thread
// that calls RunUntil.
//
// A watched fd reports EPOLLIN|EPOLLOUT|EPOLLRDHUP edges to its Handler; the handler must read
// until a short read / EAGAIN and write until EAGAIN (see TcpConn). A Handler must stay alive
// until RunUntil returns after its fd was unwatched: events already fetched in one batch may
// still be delivered to it (they are harmless spurious edges for a closed connection).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

struct epoll_event;

namespace agor::bench {

// CLOCK_MONOTONIC in nanoseconds: every time stamp of the benchmark uses this clock.
int64_t NowNs();

inline constexpr int64_t kNsPerMs = 1000000;
inline constexpr int64_t kNsPerSec = 1000000000;

class EventLoop {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnIo(uint32_t events) = 0;
  };

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches fd for input, output and hang-up edges; false when epoll refuses it.
  bool Watch(int fd, Handler* handler);
  // Stops watching fd (call before closing it).
  void Unwatch(int fd);

  // Runs fn once at when_ns (NowNs clock) or soon after.
  void At(int64_t when_ns, std::function<void()> fn);

  // Dispatches I/O and timers until done() is true (checked after every batch) or deadline_ns
  // passes. Returns done().
  bool RunUntil(const std::function<bool()>& done, int64_t deadline_ns);
  // Dispatches for duration_ns.
  void RunFor(int64_t duration_ns);

 private:
  struct Timer {
    int64_t when_ns;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Timer& o) const {
      return when_ns != o.when_ns ? when_ns > o.when_ns : seq > o.seq;
    }
  };
  void RunDueTimers();
  int64_t WaitNs(int64_t deadline_ns) const;
  int Wait(epoll_event* events, int max, int64_t deadline_ns);

  int epfd_ = -1;
  uint64_t timer_seq_ = 0;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
};

}  // namespace agor::bench
