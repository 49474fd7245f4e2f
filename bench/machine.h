// The machine the benchmark runs on: a description for the report (cores, CPU model, date,
// commit of the source tree) and the limits many connections need (open files, local ports).
#pragma once

#include <string>

#include "base/status.h"

namespace agor::bench {

// {"date", "nproc", "cpu_model", "loadavg", "commit", "open_files_limit", "local_port_range",
//  "somaxconn", "nf_conntrack_max", "mem_available_kib"}.
// commit is read from source_dir/.git without running git ("" when unknown).
Json DescribeMachine(const std::string& source_dir);

// Raises RLIMIT_NOFILE (soft, up to the hard limit) so that `connections` sockets fit in this
// process and in the servers it starts (they inherit it). Returns warnings for limits that stay
// too low (open files, ephemeral ports), "" when all is well.
std::string PrepareLimits(int connections);

// What C loopback connections held at once need of the kernel besides descriptors (each
// generator process binds its own 127.0.0.x, so ephemeral ports are counted per generator):
// a connection-tracking entry each when netfilter tracks loopback (nf_conntrack_max, shared
// by the entries still in TIME_WAIT from an earlier run), a listen backlog (somaxconn) for
// the handshakes in flight, and memory (about 10 KiB per connection, both ends: measured by
// the crowd scenario). Returns warnings, "" when all is well.
std::string CrowdLimits(int clients, int handshakes_in_flight);

}  // namespace agor::bench
