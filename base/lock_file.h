// LockFile: an exclusive flock(2) on a file, held as long as the object lives, with a short
// text in the file naming the holder. `agor serve` holds one beside its database (one daemon
// per database: cmd/serve_cmd.cpp); a second process is refused at once, not made to wait, and
// reads who holds it.
//
// The kernel drops the lock when the holder's descriptor closes, however the process ends
// (kill -9 included), so a lock file left behind by a dead process never blocks: the next
// holder takes the lock and overwrites its text. The descriptor is close-on-exec, so a child
// (an agent) never keeps it after the daemon dies. Locks are per open file description: two
// LockFiles on one path in one process exclude each other too, which is how the unit tests
// exercise the real call instead of a fake (it is deterministic on a temporary file; no seam
// is needed). Advisory only: nothing stops a process that does not ask.
//
// Thread-safety: one object per thread; the file's text is read and written by whole calls.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"

namespace agor {

class LockFile {
 public:
  // Opens (creating, mode 0644) and locks `path` without waiting. Conflict when another
  // holds it, with its text (at most 256 bytes) in *holder; GeneralError naming the path
  // and the system's reason when the file cannot be opened or locked.
  static Status Acquire(const std::string& path, std::unique_ptr<LockFile>* out,
                        std::string* holder);
  ~LockFile();  // unlocks (closing the descriptor); the file stays
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  // Replaces the file's text (the holder's record) in one write.
  Status Write(const std::string& text);

  const std::string& path() const { return path_; }

 private:
  LockFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace agor
