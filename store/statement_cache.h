// StatementCache: prepared statements kept for a connection's life, keyed by their SQL.
//
// Lease() hands one out ready to bind; the Lease resets it when it goes out of scope, so a
// half-stepped SELECT never keeps a read transaction open (which would stop WAL checkpoints).
// A statement must not be leased twice at once (the caller's code never nests the same SQL).
//
// Not thread-safe; owned by the Store, which owns the connection.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <memory>
#include <string>
#include <unordered_map>

namespace agor {

class StatementCache {
 public:
  class Lease {
   public:
    explicit Lease(SQLite::Statement* st) : st_(st) {}
    Lease(Lease&& other) noexcept : st_(other.st_) { other.st_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (st_) st_->tryReset();
    }
    SQLite::Statement* operator->() { return st_; }
    SQLite::Statement& operator*() { return *st_; }

   private:
    SQLite::Statement* st_;
  };

  explicit StatementCache(SQLite::Database* db) : db_(db) {}
  // Prepares `sql` on first use (throws SQLite::Exception on bad SQL), clears old bindings.
  Lease Get(const std::string& sql);
  // Finalizes every statement (before closing or checkpointing the database).
  void Clear() { statements_.clear(); }

 private:
  SQLite::Database* db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

}  // namespace agor
