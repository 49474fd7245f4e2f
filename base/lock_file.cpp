#include "base/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace agor {
namespace {

constexpr size_t kMaxHolderText = 256;

Status SystemError(const std::string& what, const std::string& path) {
  return Status::GeneralError("cannot " + what + " " + path + ": " + strerror(errno));
}

// The holder's text as it is now (it may be mid-rewrite: callers parse it leniently).
std::string ReadText(int fd) {
  char buf[kMaxHolderText];
  ssize_t n;
  do {
    n = pread(fd, buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

Status LockFile::Acquire(const std::string& path, std::unique_ptr<LockFile>* out,
                         std::string* holder) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return SystemError("open lock file", path);
  int rc;
  do {
    rc = flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EWOULDBLOCK) {
    Status s = SystemError("lock", path);
    close(fd);
    return s;
  }
  if (rc != 0) {
    if (holder) *holder = ReadText(fd);
    close(fd);
    return Status::Conflict(path + " is locked");
  }
  out->reset(new LockFile(fd, path));
  return Status::OK();
}

LockFile::~LockFile() {
  close(fd_);
}

// Written over the old text, then cut to size: a reader meanwhile sees the new text first
// (perhaps followed by the old one's tail), never an empty file.
Status LockFile::Write(const std::string& text) {
  ssize_t n;
  do {
    n = pwrite(fd_, text.data(), text.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(text.size())) return SystemError("write", path_);
  if (ftruncate(fd_, static_cast<off_t>(text.size())) != 0) return SystemError("truncate", path_);
  return Status::OK();
}

}  // namespace agor
