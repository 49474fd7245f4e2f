// FaultVfs: a SQLite VFS for tests that wraps the default one and, while a fault is switched
// on, fails every xWrite, xSync or xTruncate with the chosen error (SQLITE_FULL for a full
// disk, SQLITE_IOERR_* for a failing device). Open a connection with its name() as the VFS
// (StoreOptions::vfs) and only that connection sees the faults.
//
// Ownership: one instance registers the VFS on construction and unregisters it on
// destruction; connections using it must be closed first. Thread-safety: the switches are
// atomics, so a fault may be set while another thread writes.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <string>

namespace agor::testing {

class FaultVfs {
 public:
  FaultVfs();
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;

  const char* name() const { return "agor-fault"; }

  // The error each operation answers from now on; SQLITE_OK lets it through again.
  void FailWrites(int code) { write_error_ = code; }
  void FailSyncs(int code) { sync_error_ = code; }
  void FailTruncates(int code) { truncate_error_ = code; }
  void Clear();

  // Operations refused so far, all kinds together: a test knows its fault was hit.
  int refused() const { return refused_; }

  // For the wrapped files and VFS methods (fault_vfs.cpp): the default VFS underneath, and
  // the error to answer (SQLITE_OK: none).
  sqlite3_vfs* base() const { return base_; }
  int WriteError() { return Count(write_error_); }
  int SyncError() { return Count(sync_error_); }
  int TruncateError() { return Count(truncate_error_); }

 private:
  int Count(const std::atomic<int>& error);

  sqlite3_vfs* base_;
  sqlite3_vfs vfs_{};
  std::atomic<int> write_error_{SQLITE_OK};
  std::atomic<int> sync_error_{SQLITE_OK};
  std::atomic<int> truncate_error_{SQLITE_OK};
  std::atomic<int> refused_{0};
};

}  // namespace agor::testing
