// Checkpointer: copies a WAL database's committed pages back into the main file on a thread
// of its own, with its own SQLite connection, so the daemon's event loop never stalls on a
// checkpoint (writing the pages and two fsyncs: tens of milliseconds for a large WAL).
//
// The store's connection turns SQLite's automatic checkpoints off and calls Nudge() after
// each commit with the WAL's size; past `wal_pages` the thread runs a PASSIVE checkpoint,
// which never blocks the writer. A checkpoint also runs every `interval_ms` when the WAL is
// not empty, and failures are retried there (the WAL is only replayed on the next open).
//
// Thread-safety: Nudge() may be called from any thread. Destruction joins the thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"

namespace SQLite {
class Database;
}

namespace agor {

class Checkpointer {
 public:
  // Opens its own connection to `path` (a WAL database) and starts the thread.
  static Status Start(const std::string& path, int wal_pages, int interval_ms,
                      std::unique_ptr<Checkpointer>* out);
  ~Checkpointer();

  // Tells the thread the WAL now holds `pages` pages.
  void Nudge(int pages);
  // Checkpoints done so far (for tests and metrics).
  int64_t checkpoints() const;

 private:
  Checkpointer(std::unique_ptr<SQLite::Database> db, int wal_pages, int interval_ms);
  void Loop();

  std::unique_ptr<SQLite::Database> db_;
  const int wal_pages_;
  const int interval_ms_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  int64_t checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace agor
