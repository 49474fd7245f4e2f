// LockFile over the real flock(2): two holders on one path exclude each other (locks belong to
// open file descriptions, so one process shows it), the refused one reads the holder's text,
// and the lock goes with its holder while the file stays.
#include "base/lock_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace agor {
namespace {

struct TempFolder {
  TempFolder() {
    char tmpl[] = "/tmp/agor-lock-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("lock file: a second holder is refused with the first's text", "[lock]") {
  TempFolder dir;
  std::string path = dir.path + "/agor.db.lock";
  std::unique_ptr<LockFile> first, second;
  std::string holder = "untouched";
  REQUIRE(LockFile::Acquire(path, &first, &holder).ok());
  CHECK(holder == "untouched");
  REQUIRE(first->Write("pid 1234 port 3030 and a longer tail\n").ok());
  REQUIRE(first->Write("pid 1234 port 3030\n").ok());  // shorter: the old tail is cut
  CHECK(Slurp(path) == "pid 1234 port 3030\n");

  Status s = LockFile::Acquire(path, &second, &holder);
  CHECK(s.code() == Code::kConflict);
  CHECK(second == nullptr);
  CHECK(holder == "pid 1234 port 3030\n");
}

TEST_CASE("lock file: released with its holder, and a stale file does not block", "[lock]") {
  TempFolder dir;
  std::string path = dir.path + "/db.lock";
  {
    std::ofstream stale(path);
    stale << "pid 999999 port 1\n";  // left by a process that is gone
  }
  std::unique_ptr<LockFile> lock;
  REQUIRE(LockFile::Acquire(path, &lock, nullptr).ok());
  REQUIRE(lock->Write("pid 1 port 2\n").ok());
  lock.reset();
  CHECK(std::filesystem::exists(path));
  std::string holder;
  REQUIRE(LockFile::Acquire(path, &lock, &holder).ok());
  CHECK(Slurp(path) == "pid 1 port 2\n");  // kept until the new holder writes its own
}

TEST_CASE("lock file: the descriptor is not inherited by programs the holder runs", "[lock]") {
  TempFolder dir;
  std::string path = dir.path + "/db.lock";
  std::unique_ptr<LockFile> lock;
  REQUIRE(LockFile::Acquire(path, &lock, nullptr).ok());
  // A child that execs keeps only what is not close-on-exec: it lists its descriptors' targets.
  std::string out = dir.path + "/fds.txt";
  std::string cmd = "ls -l /proc/self/fd/ > " + out + " 2>&1";
  REQUIRE(system(cmd.c_str()) == 0);
  CHECK(Slurp(out).find(path) == std::string::npos);
}

TEST_CASE("lock file: a path that cannot be opened names it and why", "[lock]") {
  std::unique_ptr<LockFile> lock;
  Status s = LockFile::Acquire("/nonexistent-agor-dir/x.lock", &lock, nullptr);
  CHECK(s.code() == Code::kGeneralError);
  CHECK(s.message().find("/nonexistent-agor-dir/x.lock") != std::string::npos);
  CHECK(s.message().find("No such file") != std::string::npos);
}

}  // namespace agor
