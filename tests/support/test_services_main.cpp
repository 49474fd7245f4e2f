// agor_test_services: one PostgreSQL and one Redis (postgres_server.h, redis_server.h) for test
// suites that are not C++ (tests/compat/nodes.test.mjs), so that they start agor nodes with
// `--store` and `--broker` on the same servers the C++ tests use.
//
// Prints ONE JSON line `{"store":"postgresql://...","broker":"redis://..."}` on stdout once both
// answer, then reads commands, one a line, on stdin:
//   db NAME   a fresh database named after NAME (a counter appended) and an emptied Redis (a
//             restart: no key of a previous case's nodes survives), answered by one line
//             {"store":..., "broker":...}, or {"error":"..."} when createdb fails.
// Anything else is answered {"error":...}; a line over 256 bytes is refused and skipped.
// Stops both servers and removes their folders when stdin closes or on SIGTERM/SIGINT/SIGHUP;
// the parent's death sends it SIGTERM (PR_SET_PDEATHSIG), and its stdin closes then too. If it
// is itself killed with SIGKILL, the servers still die (they have their own death signals).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/postgres_server.h"
#include "tests/support/redis_server.h"

namespace {

constexpr size_t kMaxLine = 256;
int g_signal_pipe[2] = {-1, -1};  // written by the handler: poll() wakes up on a signal

void OnSignal(int) {
  char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &byte, 1);
}

// Close-on-exec, so that the servers' processes do not inherit the pipe.
bool InstallSignals() {
  if (pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a parent gone mid-answer must not kill us before the cleanup
  return prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != 1;
}

void PrintLine(const nlohmann::json& line) {
  std::string text = line.dump() + "\n";
  fwrite(text.data(), 1, text.size(), stdout);
  fflush(stdout);
}

nlohmann::json Urls(const std::string& store, agor::test::RedisServer& redis) {
  return {{"store", store}, {"broker", redis.url()}};
}

nlohmann::json Answer(const std::string& line, agor::test::PostgresServer& postgres,
                      agor::test::RedisServer& redis) {
  if (line.rfind("db ", 0) != 0 || line.size() == 3) return {{"error", "expected: db NAME"}};
  try {
    std::string store = postgres.CreateDatabase(line.substr(3));
    redis.Stop();
    redis.Start();
    return Urls(store, redis);
  } catch (const std::exception& e) {
    return {{"error", e.what()}};
  }
}

// Serves stdin's commands until it closes or a signal arrives.
void Serve(agor::test::PostgresServer& postgres, agor::test::RedisServer& redis) {
  std::string pending;
  bool overlong = false;  // skipping the rest of a line that was too long
  pollfd fds[2] = {{0, POLLIN, 0}, {g_signal_pipe[0], POLLIN, 0}};
  char buf[4096];
  while (true) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (!fds[0].revents) continue;
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0 && !(n < 0 && errno == EINTR)) return;
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        if (pending.size() < kMaxLine)
          pending += buf[i];
        else
          overlong = true;
        continue;
      }
      PrintLine(overlong ? nlohmann::json{{"error", "line too long"}}
                         : Answer(pending, postgres, redis));
      pending.clear();
      overlong = false;
    }
  }
}

}  // namespace

int main() {
  if (!InstallSignals()) {
    fprintf(stderr, "agor_test_services: cannot set up its signals (or its parent is gone)\n");
    return 1;
  }
  try {
    agor::test::PostgresServer postgres;
    agor::test::RedisServer redis;
    PrintLine(Urls(postgres.url(), redis));
    Serve(postgres, redis);
  } catch (const std::exception& e) {
    fprintf(stderr, "agor_test_services: %s\n", e.what());
    return 1;
  }
  return 0;
}
