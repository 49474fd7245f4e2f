#include "base/file_system.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace agor {
namespace {

class RealFs final : public FileSystem {
 public:
  FileInfo Probe(const std::string& path) override {
    FileInfo info;
    struct stat st;
    if (path.empty() || path.find('\0') != std::string::npos) return info;
    if (stat(path.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) {
        info.kind = FileInfo::Kind::kUnreadable;
        info.error = strerror(errno);
      }
      return info;
    }
    info.kind = S_ISDIR(st.st_mode)   ? FileInfo::Kind::kDirectory
                : S_ISREG(st.st_mode) ? FileInfo::Kind::kRegular
                                      : FileInfo::Kind::kOther;
    info.executable = access(path.c_str(), X_OK) == 0;
    return info;
  }

  std::string CurrentDirectory() override {
    char buf[PATH_MAX];
    return getcwd(buf, sizeof buf) != nullptr ? buf : "";
  }
};

}  // namespace

FileSystem* RealFileSystem() {
  static RealFs fs;
  return &fs;
}

bool IsAbsolutePath(const std::string& path) {
  return !path.empty() && path[0] == '/';
}

std::string JoinPath(const std::string& dir, const std::string& path) {
  if (IsAbsolutePath(path) || dir.empty()) return path;
  size_t start = 0;
  while (path.compare(start, 2, "./") == 0) start += 2;  // "./run.sh" reads better without
  std::string rest = path.substr(start);
  return dir.back() == '/' ? dir + rest : dir + "/" + rest;
}

}  // namespace agor
