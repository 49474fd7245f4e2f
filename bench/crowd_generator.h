// CrowdGenerator: one load-generator process of the crowd scenario, forked from agor_bench so
// that many connections fit under the per-process open-files limit. The child has its own
// epoll loop (a ClientPool); every client joins one board (handshake ?board_id=), presents the
// token, binds the child's own source address (127.0.0.x: ephemeral ports are counted per
// source address) and connects to the nodes round-robin by its global index. It then waits for
// one marked `messages created` (MarkTracker) while answering pings.
//
// Pipe protocol, child to parent, one line each:
//   ready <connected> <failed> <elapsed_ns> <first error...>   after its clients connected
//   got <received> <duplicates> <dropped> <samples>            once every connected client got
//                                                              the run's mark (or on request),
//                                                              followed by <samples> int64 ns
//                                                              latencies (receive - send)
// Parent to child: any byte asks for `got` now; end of file (Stop) ends the child, which never
// returns into agor_bench's code (it _exits: the parent's servers are not its to stop).
// Not thread-safe; the parent's main thread drives every generator.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace agor::bench {

// What one generator opens.
struct CrowdShare {
  std::vector<uint16_t> ports;  // the nodes
  std::string token;
  std::string board_id;
  int first = 0;  // global index of its first client
  int count = 0;
  uint32_t source = 0;  // host order, e.g. 127.0.0.2
  int in_flight = 100;  // handshakes at once
  int64_t run = 0;      // the broadcast's mark run
};

struct CrowdReady {
  int connected = 0;
  int failed = 0;
  int64_t elapsed_ns = 0;
  std::string first_error;
};

struct CrowdReport {
  int64_t received = 0;
  int64_t duplicates = 0;
  int64_t dropped = 0;
  std::vector<int64_t> latencies_ns;
};

class CrowdGenerator {
 public:
  CrowdGenerator() = default;
  ~CrowdGenerator() { Stop(); }
  CrowdGenerator(const CrowdGenerator&) = delete;
  CrowdGenerator& operator=(const CrowdGenerator&) = delete;

  // Forks the child, which starts connecting at once.
  Status Start(const CrowdShare& share);
  pid_t pid() const { return pid_; }
  // Blocks until the child's `ready` line, or deadline_ns (NowNs clock) passes.
  Status WaitReady(int64_t deadline_ns, CrowdReady* out);
  // Blocks until the child's `got` report; asks for it at ask_ns if it has not come by then.
  Status WaitReport(int64_t ask_ns, int64_t deadline_ns, CrowdReport* out);
  // Closes the pipes (the child closes its clients and exits) and reaps the child.
  void Stop();

 private:
  Status ReadLine(int64_t deadline_ns, std::string* line);
  Status ReadBytes(int64_t deadline_ns, size_t n, std::string* out);

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;  // read from the child, not consumed yet
};

}  // namespace agor::bench
