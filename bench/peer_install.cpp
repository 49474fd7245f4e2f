#include "bench/peer_install.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/child.h"

namespace agor::bench {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStamp = "node_modules/.agor-bench-package-lock.json";
constexpr const char* kNativeModule =
    "node_modules/better-sqlite3/build/Release/better_sqlite3.node";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Copies the regular top-level files (server.mjs, package.json, lock, .npmrc, ...) writable.
Status CopyTopLevelFiles(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  for (const fs::directory_entry& e : fs::directory_iterator(from, ec)) {
    if (!e.is_regular_file()) continue;
    fs::path target = to / e.path().filename();
    fs::remove(target, ec);
    fs::copy_file(e.path(), target, ec);
    if (ec) return Status::GeneralError("copy " + e.path().string() + ": " + ec.message());
    fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write, ec);
  }
  if (ec) return Status::GeneralError("read " + from.string() + ": " + ec.message());
  return Status::OK();
}

bool InstallIsCurrent(const fs::path& cache) {
  return fs::exists(cache / kNativeModule) && fs::exists(cache / kStamp) &&
         ReadAll(cache / kStamp) == ReadAll(cache / "package-lock.json");
}

Status RunNpmCi(const fs::path& cache, int64_t timeout_s) {
  SpawnSpec spec;
  spec.argv = {"npm", "ci", "--no-audit", "--no-fund"};
  spec.cwd = cache.string();
  spec.stdout_path = (cache / "npm-ci.log").string();
  spec.stderr_path = (cache / "npm-ci.err.log").string();
  pid_t pid = Spawn(spec);
  int code = pid < 0 ? -2 : WaitExit(pid, timeout_s * 1000);
  if (code == -1) Terminate(pid, 5000);
  if (code == 0) return Status::OK();
  return Status::GeneralError("npm ci in " + cache.string() + " failed (code " +
                              std::to_string(code) + "):\n" + FileTail(spec.stderr_path));
}

}  // namespace

Status PreparePeer(const std::string& source_dir, const std::string& cache_dir, int64_t timeout_s) {
  fs::path cache = fs::absolute(cache_dir);
  Status s = CopyTopLevelFiles(source_dir, cache);
  if (!s.ok() || InstallIsCurrent(cache)) return s;
  fprintf(stderr, "agor_bench: installing the peer in %s (npm ci, ~2 min)\n",
          cache.string().c_str());
  s = RunNpmCi(cache, timeout_s);
  if (!s.ok()) return s;
  std::error_code ec;
  fs::copy_file(cache / "package-lock.json", cache / kStamp, fs::copy_options::overwrite_existing,
                ec);
  return ec ? Status::GeneralError("write " + (cache / kStamp).string() + ": " + ec.message())
            : Status::OK();
}

}  // namespace agor::bench
