// The Feathers peer, installed once in a cache directory: its source (../shared/peers/feathers)
// is read-only, so its top-level files are copied to cache_dir and `npm ci` runs there (about
// 2 minutes: better-sqlite3 is compiled from source). The install is reused while the cached
// copy of package-lock.json equals the source's and the native module exists.
#pragma once

#include <string>

#include "base/status.h"

namespace agor::bench {

// Copies the peer's files into cache_dir (created if needed) and installs its packages unless
// the install is current. Blocking, bounded by timeout_s; npm's output goes to
// cache_dir/npm-ci.log.
Status PreparePeer(const std::string& source_dir, const std::string& cache_dir,
                   int64_t timeout_s = 900);

}  // namespace agor::bench
