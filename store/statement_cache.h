// StatementCache: prepared statements of one connection, keyed by their SQL, least recently
// used first out past `capacity`.
//
// Lease() hands one out ready to bind; the Lease resets it when it goes out of scope, so a
// half-stepped SELECT never keeps a read transaction open (which would stop WAL checkpoints).
// A statement must not be leased twice at once (the caller's code never nests the same SQL).
//
// Bounded: the SQL of a query changes with its shape (each `$or` term, `$select` or `$sort`
// makes a new text), so keeping every statement forever would let a client grow memory with
// each new shape. Past `capacity` the least recently used statement is finalized; a leased
// one never is (the cache may then hold a few more until the lease ends).
//
// Not thread-safe; owned by the Store (or EventLog), which owns the connection.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agor {

class StatementCache {
  struct Entry {
    std::string sql;
    std::unique_ptr<SQLite::Statement> statement;
    bool leased = false;
  };

 public:
  static constexpr size_t kDefaultCapacity = 256;

  class Lease {
   public:
    explicit Lease(Entry* entry) : entry_(entry) {}
    Lease(Lease&& other) noexcept : entry_(other.entry_) { other.entry_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (!entry_) return;
      entry_->statement->tryReset();
      entry_->leased = false;
    }
    SQLite::Statement* operator->() { return entry_->statement.get(); }
    SQLite::Statement& operator*() { return *entry_->statement; }

   private:
    Entry* entry_;
  };

  explicit StatementCache(SQLite::Database* db, size_t capacity = kDefaultCapacity)
      : db_(db), capacity_(capacity == 0 ? 1 : capacity) {}
  // Prepares `sql` on first use (throws SQLite::Exception on bad SQL), clears old bindings.
  Lease Get(const std::string& sql);
  // Finalizes every statement (before closing or checkpointing the database).
  void Clear();
  // Statements held now; at most capacity() unless leases pin more.
  size_t size() const { return lru_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  void Evict();

  SQLite::Database* db_;
  size_t capacity_;
  std::list<Entry> lru_;  // most recently used first; nodes never move, so pointers stay valid
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // keys: Entry::sql
};

}  // namespace agor
