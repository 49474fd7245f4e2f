#include "store/statement_cache.h"

namespace agor {

StatementCache::Lease StatementCache::Get(const std::string& sql) {
  auto& slot = statements_[sql];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(*db_, sql);
  } else {
    slot->clearBindings();
  }
  return Lease(slot.get());
}

}  // namespace agor
