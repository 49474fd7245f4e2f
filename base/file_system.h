// FileSystem: the few questions agor asks the file system about paths it did not create (a
// repo's local_path, an agent's executable, the agents' default directory), behind one small
// interface so tests can swap the OS out, as Clock does for time. RealFileSystem() asks
// stat(2), access(2) and getcwd(3).
//
// Paths are byte strings; one holding a NUL byte names no file (the C calls would cut it
// there), so Probe answers kMissing for it without asking the OS.
//
// Thread-safety: RealFileSystem() is stateless and thread-safe; a fake decides for itself.
#pragma once

#include <string>

namespace agor {

// What is at a path, following symbolic links.
struct FileInfo {
  enum class Kind { kMissing, kDirectory, kRegular, kOther, kUnreadable };
  Kind kind = Kind::kMissing;
  bool executable = false;  // access(X_OK) for this process (a directory's is its search bit)
  std::string error;        // kUnreadable: why stat failed ("Permission denied")
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // kMissing when nothing is there (ENOENT, or a component is not a directory); kUnreadable
  // when stat fails otherwise (EACCES, ENAMETOOLONG, ELOOP ...).
  virtual FileInfo Probe(const std::string& path) = 0;
  // The process's working directory ("" when getcwd fails).
  virtual std::string CurrentDirectory() = 0;
};

// The real one.
FileSystem* RealFileSystem();

// True when `path` starts with '/'.
bool IsAbsolutePath(const std::string& path);
// `path` when absolute, else `dir` + "/" + `path` without its leading "./" (no other
// normalisation: the OS resolves "..").
std::string JoinPath(const std::string& dir, const std::string& path);

}  // namespace agor
