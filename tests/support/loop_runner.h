// LoopRunner: an Asio event loop that a test's own thread runs until a condition holds or a
// deadline passes, so tests of loop-driven clients (Redis connection, brokers) wait on events,
// never on sleeps. The work guard keeps run_one_for waiting while nothing is pending yet.
// Not thread-safe: the test thread owns it and runs it.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <functional>

namespace agor::test {

struct LoopRunner {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);

  // True once `done()` holds; false if `timeout_ms` passed first.
  bool RunUntil(const std::function<bool()>& done, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }
};

}  // namespace agor::test
