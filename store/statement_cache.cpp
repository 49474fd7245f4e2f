#include "store/statement_cache.h"

namespace agor {

StatementCache::Lease StatementCache::Get(const std::string& sql) {
  auto found = index_.find(sql);
  if (found != index_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);  // moves the node, not the Entry
    Entry& entry = lru_.front();
    entry.statement->clearBindings();
    entry.leased = true;
    return Lease(&entry);
  }
  // Prepared before it enters the list, so bad SQL (which throws) leaves nothing behind.
  auto statement = std::make_unique<SQLite::Statement>(*db_, sql);
  lru_.push_front(Entry{sql, std::move(statement), true});
  index_.emplace(lru_.front().sql, lru_.begin());
  Evict();
  return Lease(&lru_.front());
}

void StatementCache::Clear() {
  index_.clear();
  lru_.clear();
}

// Finalizes the least recently used statements that no Lease holds until back at capacity.
void StatementCache::Evict() {
  auto it = lru_.end();
  while (lru_.size() > capacity_ && it != lru_.begin()) {
    --it;
    if (it->leased) continue;
    index_.erase(it->sql);
    it = lru_.erase(it);
  }
}

}  // namespace agor
