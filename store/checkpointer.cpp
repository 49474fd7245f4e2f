#include "store/checkpointer.h"

#include <SQLiteCpp/Database.h>

#include "base/log.h"
#include "store/database.h"

namespace agor {

Status Checkpointer::Start(const std::string& path, int wal_pages, int interval_ms,
                           std::unique_ptr<Checkpointer>* out) {
  try {
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
    db->setBusyTimeout(5000);
    out->reset(new Checkpointer(std::move(db), wal_pages, interval_ms));
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
  return Status::OK();
}

Checkpointer::Checkpointer(std::unique_ptr<SQLite::Database> db, int wal_pages, int interval_ms)
    : db_(std::move(db)), wal_pages_(wal_pages), interval_ms_(interval_ms) {
  thread_ = std::thread([this] { Loop(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::Nudge(int pages) {
  if (pages < wal_pages_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (due_) return;
    due_ = true;
  }
  wake_.notify_one();
}

int64_t Checkpointer::checkpoints() const {
  std::lock_guard<std::mutex> lock(mu_);
  return checkpoints_;
}

void Checkpointer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return due_ || stop_; });
    if (stop_) break;
    due_ = false;
    lock.unlock();
    try {
      db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const std::exception& e) {
      Log(LogLevel::kWarn, std::string("WAL checkpoint failed (retried later): ") + e.what());
    }
    lock.lock();
    ++checkpoints_;
  }
}

}  // namespace agor
