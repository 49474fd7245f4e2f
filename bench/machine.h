// The machine the benchmark runs on: a description for the report (cores, CPU model, date,
// commit of the source tree) and the limits many connections need (open files, local ports).
#pragma once

#include <string>

#include "base/status.h"

namespace agor::bench {

// {"date", "nproc", "cpu_model", "loadavg", "commit", "open_files_limit", "local_port_range"}.
// commit is read from source_dir/.git without running git ("" when unknown).
Json DescribeMachine(const std::string& source_dir);

// Raises RLIMIT_NOFILE (soft, up to the hard limit) so that `connections` sockets fit in this
// process and in the servers it starts (they inherit it). Returns warnings for limits that stay
// too low (open files, ephemeral ports), "" when all is well.
std::string PrepareLimits(int connections);

}  // namespace agor::bench
