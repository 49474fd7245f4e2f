// ServerStats: the daemon's counters and latency histograms, exported by GET /metrics
// (server/metrics_page.h writes them). Plain integers and fixed arrays, written on the event
// loop only: counting costs an increment, never a lock or an allocation.
//
// Histograms are split by small fixed tables (route class, HTTP method, Feathers method):
// whatever a client sends maps to one of their entries ("other" at worst), so the number of
// series never grows with input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/metrics.h"

namespace agor {

// HTTP requests by where they went: the REST routes (and everything else) or Engine.IO
// long-polling (whose GETs are held until there is something to send).
enum class HttpRoute { kRest = 0, kPolling = 1 };
inline constexpr const char* kHttpRouteNames[] = {"rest", "polling"};
inline constexpr const char* kHttpMethodNames[] = {"GET",    "POST",    "PUT",  "PATCH",
                                                   "DELETE", "OPTIONS", "other"};
inline constexpr size_t kHttpMethods = sizeof(kHttpMethodNames) / sizeof(kHttpMethodNames[0]);
inline constexpr const char* kCallMethodNames[] = {"find",  "get",    "create", "update",
                                                   "patch", "remove", "other"};
inline constexpr size_t kCallMethods = sizeof(kCallMethodNames) / sizeof(kCallMethodNames[0]);

// Index of `name` in `names` (the last entry, "other", when absent).
template <size_t N>
size_t MetricIndex(const char* const (&names)[N], std::string_view name) {
  for (size_t i = 0; i + 1 < N; ++i) {
    if (name == names[i]) return i;
  }
  return N - 1;
}

struct ServerStats {
  int64_t started_ms = 0;
  int64_t http_requests = 0;   // REST requests (Engine.IO polling not included)
  int64_t http_errors = 0;     // REST answers with status >= 400
  int64_t events = 0;          // committed writes' events, published after their commit
  int64_t streamed = 0;        // volatile events published (partial agent text), never stored
  int64_t deliveries = 0;      // event frames queued to clients (one per recipient)
  int64_t commits = 0;         // group commits run by the loop (a batch holds several writes)
  int64_t sockets = 0;         // open Engine.IO sessions
  int64_t slow_drops = 0;      // sessions dropped because their send queue passed the bound
  int64_t call_errors = 0;     // Socket.IO calls answered with an error
  int64_t logins_ok = 0;       // `authentication` creates answered with a token
  int64_t logins_failed = 0;   // refused as NotAuthenticated (bad credentials)
  int64_t logins_limited = 0;  // refused as TooManyRequests (brute-force bound)
  int64_t reclaimed = 0;       // dead nodes' tasks this node marked stopped (TaskLease)

  // By HttpRoute, then by kHttpMethodNames: from the request's arrival to its answer.
  LatencyHistogram http_latency[2][kHttpMethods];
  // Socket.IO calls by kCallMethodNames: from the call's arrival to its acknowledgement.
  LatencyHistogram call_latency[kCallMethods];
  LatencyHistogram commit_latency;  // each SQLite COMMIT of the store
};

}  // namespace agor
