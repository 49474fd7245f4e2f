// Tests of store/statement_cache: statements are reused by SQL, the cache stays at its
// capacity whatever SQL comes, the least recently used goes first, and a leased statement is
// never finalized under its user.
#include "store/statement_cache.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {
namespace {

struct Fixture {
  Fixture() : db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    db.exec("CREATE TABLE t (a INTEGER)");
    db.exec("INSERT INTO t VALUES (1), (2), (3)");
  }
  SQLite::Database db;
};

// A distinct SQL text for each `n`, as a query of a new shape makes.
std::string Shape(int n) {
  return "SELECT COUNT(*) FROM t WHERE a <> " + std::to_string(n);
}

int64_t Count(StatementCache* cache, int n) {
  auto st = cache->Get(Shape(n));
  REQUIRE(st->executeStep());
  return st->getColumn(0).getInt64();
}

}  // namespace

TEST_CASE("statement cache: the same SQL reuses one statement, bindings cleared") {
  Fixture f;
  StatementCache cache(&f.db);
  SQLite::Statement* first = nullptr;
  {
    auto st = cache.Get("SELECT COUNT(*) FROM t WHERE a > ?");
    first = &*st;
    st->bind(1, 1);
    REQUIRE(st->executeStep());
    CHECK(st->getColumn(0).getInt64() == 2);
  }
  auto again = cache.Get("SELECT COUNT(*) FROM t WHERE a > ?");
  CHECK(&*again == first);
  REQUIRE(again->executeStep());  // the old binding is gone: a > NULL matches nothing
  CHECK(again->getColumn(0).getInt64() == 0);
  CHECK(cache.size() == 1);
}

TEST_CASE("statement cache: many distinct SQL texts keep it at its capacity") {
  Fixture f;
  StatementCache cache(&f.db, 8);
  for (int n = 0; n < 1000; ++n) {
    REQUIRE(Count(&cache, n % 4) == (n % 4 >= 1 && n % 4 <= 3 ? 2 : 3));
    REQUIRE(Count(&cache, 100 + n) == 3);
    REQUIRE(cache.size() <= 8);
  }
  CHECK(cache.size() == 8);
  CHECK(StatementCache(&f.db).capacity() == StatementCache::kDefaultCapacity);
}

TEST_CASE("statement cache: the least recently used statement goes first") {
  Fixture f;
  StatementCache cache(&f.db, 2);
  SQLite::Statement* kept = &*cache.Get(Shape(1));
  cache.Get(Shape(2));
  cache.Get(Shape(1));  // now the most recent
  cache.Get(Shape(3));  // evicts Shape(2)
  CHECK(&*cache.Get(Shape(1)) == kept);
  CHECK(cache.size() == 2);
}

TEST_CASE("statement cache: a leased statement survives eviction until released") {
  Fixture f;
  StatementCache cache(&f.db, 2);
  auto held = cache.Get("SELECT a FROM t ORDER BY a");
  REQUIRE(held->executeStep());
  for (int n = 0; n < 50; ++n) REQUIRE(Count(&cache, n) >= 2);
  CHECK(cache.size() == 2);  // the held one and the newest
  REQUIRE(held->executeStep());
  CHECK(held->getColumn(0).getInt64() == 2);
}

TEST_CASE("statement cache: bad SQL throws and leaves nothing behind") {
  Fixture f;
  StatementCache cache(&f.db, 4);
  CHECK_THROWS(cache.Get("SELEKT nothing"));
  CHECK(cache.size() == 0);
  CHECK(Count(&cache, 0) == 3);
  cache.Clear();
  CHECK(cache.size() == 0);
}

}  // namespace agor
