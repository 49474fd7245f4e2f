#include "store/checkpointer.h"

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

namespace agor {
namespace {

// Waits (bounded) for the thread's work: an event to poll, not a fixed sleep.
bool WaitForCheckpoints(const Checkpointer& c, int64_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (c.checkpoints() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST_CASE("the checkpointer copies the WAL back once nudged past its threshold", "[store]") {
  auto dir = std::filesystem::temp_directory_path() / ("agor-ckpt-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "agor.db").string();
  {
    SQLite::Database writer(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    writer.exec("PRAGMA journal_mode = WAL");
    writer.exec("PRAGMA wal_autocheckpoint = 0");
    writer.exec("CREATE TABLE t (x TEXT)");
    for (int i = 0; i < 200; ++i) writer.exec("INSERT INTO t VALUES (hex(randomblob(500)))");
    auto wal_size = [&] { return std::filesystem::file_size(path + "-wal"); };
    REQUIRE(wal_size() > 0);

    std::unique_ptr<Checkpointer> c;
    REQUIRE(Checkpointer::Start(path, 100, 60000, &c).ok());
    c->Nudge(99);   // below the threshold: nothing is due
    c->Nudge(150);  // past it
    REQUIRE(WaitForCheckpoints(*c, 1));
    // The pages are in the main file now: a fresh reader without the WAL would see them, and
    // the writer's next checkpoint has nothing left to copy (log == checkpointed frames).
    int log = -1, done = -2;
    sqlite3_wal_checkpoint_v2(writer.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    CHECK(log == done);
    CHECK(std::filesystem::file_size(path) > 200 * 500);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agor
