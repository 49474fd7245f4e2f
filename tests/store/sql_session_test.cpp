// The SqlSession conformance cases: each runs the same statements on SQLite (in memory, foreign
// keys on, as the store opens it) and on a real PostgreSQL database of its own, and expects
// the same answers.
#include "store/sql_session.h"

#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "base/schema.h"
#include "store/database.h"
#include "store/find_page.h"
#include "store/pg_connection.h"
#include "store/pg_database.h"
#include "store/pg_session.h"
#include "store/query.h"
#include "store/record_codec.h"
#include "store/sqlite_session.h"
#include "tests/support/postgres_server.h"

namespace agor {
namespace {

using test::PostgresServer;

// One engine's connection and its session.
struct Engine {
  std::unique_ptr<SQLite::Database> sqlite;
  std::unique_ptr<PgConnection> pg;
  std::unique_ptr<SqlSession> session;
  SqlSession& operator*() { return *session; }
  SqlSession* operator->() { return session.get(); }
};

void Require(const Status& s) {
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// Two tables the cases share, their types spelled by the engine's dialect.
std::string Schema(const SqlDialect& d) {
  return std::string("CREATE TABLE owners (id TEXT PRIMARY KEY, name TEXT NOT NULL, ") +
         "secret TEXT UNIQUE, n " + d.integer_type() + ", r " + d.real_type() + ", b " +
         d.blob_type() + ", doc TEXT);" +
         "CREATE TABLE pets (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES owners(id), "
         "\"index\" " +
         d.integer_type() + ", UNIQUE (owner_id, \"index\"));";
}

Engine Open(const std::string& engine, const std::string& name) {
  Engine e;
  if (engine == "sqlite") {
    e.sqlite = std::make_unique<SQLite::Database>(":memory:", SQLite::OPEN_READWRITE);
    e.sqlite->exec("PRAGMA foreign_keys = ON");
    e.session = std::make_unique<SqliteSession>(e.sqlite.get());
  } else {
    e.pg = std::make_unique<PgConnection>();
    Require(e.pg->Open(PostgresServer::Shared().CreateDatabase(name)));
    e.session = std::make_unique<PgSession>(e.pg.get());
  }
  Require(e->ExecScript(Schema(e->dialect())));
  return e;
}

// The rows of `sql`, the statement required to succeed.
std::vector<SqlRow> Rows(SqlSession& s, const std::string& sql,
                         const std::vector<SqlValue>& params = {}) {
  SqlResult r;
  Require(s.Query(sql, params, &r));
  return r.rows;
}

SqlValue One(SqlSession& s, const std::string& sql, const std::vector<SqlValue>& params = {}) {
  auto rows = Rows(s, sql, params);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].size() == 1);
  return rows[0][0];
}

std::string AllBytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) out += static_cast<char>(i);
  return out;
}

#define ON_BOTH_ENGINES(name)                                                          \
  const std::string engine_name = GENERATE(as<std::string>{}, "sqlite", "postgresql"); \
  INFO("engine " << engine_name);                                                      \
  Engine engine = Open(engine_name, name);                                             \
  SqlSession& db = *engine

TEST_CASE("sql session: parameters, NULLs, int64, reals, UTF-8 text and blobs round-trip typed",
          "[store][pg][sql]") {
  ON_BOTH_ENGINES("sql_types");
  const std::string utf8 = "héllo ✓ 😀 \xe4\xb8\xad";
  const int64_t big = INT64_MAX, small = INT64_MIN;
  SqlResult r;
  Require(db.Exec("INSERT INTO owners (id, name, n, r, b) VALUES (?, ?, ?, ?, ?)",
                  {"o1", utf8, big, 0.1, SqlValue::Blob(AllBytes())}, &r));
  CHECK(r.affected == 1);
  Require(db.Exec("INSERT INTO owners (id, name, secret, n, r, b) VALUES (?, ?, ?, ?, ?, ?)",
                  {"o2", "", nullptr, small, nullptr, nullptr}));
  auto rows = Rows(db, "SELECT id, name, secret, n, r, b FROM owners ORDER BY id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == SqlRow{"o1", utf8, nullptr, big, 0.1, SqlValue::Blob(AllBytes())});
  CHECK(rows[1] == SqlRow{"o2", "", nullptr, small, nullptr, nullptr});
  CHECK(rows[1][1].type() == SqlValue::Type::kText);  // "" is no NULL on either engine
  // Bare parameters and aggregates come back typed too.
  CHECK(One(db, "SELECT ?", {nullptr}).is_null());
  CHECK(One(db, "SELECT ?", {int64_t{42}}) == SqlValue(int64_t{42}));
  CHECK(One(db, "SELECT ?", {utf8}) == SqlValue(utf8));
  CHECK(One(db, "SELECT COUNT(*) FROM owners") == SqlValue(int64_t{2}));
  CHECK(One(db, "SELECT SUM(n) FROM owners WHERE id = ?", {"o1"}) == SqlValue(big));
  CHECK(One(db, "SELECT id FROM owners WHERE secret IS NULL AND n = ?", {small}) == "o2");
  Require(db.Exec("UPDATE owners SET r = ? WHERE n IS NOT NULL", {2.5}, &r));
  CHECK(r.affected == 2);
  Require(db.Exec("SELECT id FROM owners", {}, &r));
  CHECK(r.affected == 0);  // a read after a write reports no changes of its own
  CHECK(r.rows.size() == 2);
}

TEST_CASE("sql session: text with a NUL byte or invalid UTF-8 is BadRequest before either engine",
          "[store][pg][sql]") {
  ON_BOTH_ENGINES("sql_text");
  Status s = db.Exec("INSERT INTO owners (id, name) VALUES (?, ?)", {"o1", std::string("a\0b", 3)});
  CHECK(s.code() == Code::kBadRequest);
  s = db.Exec("INSERT INTO owners (id, name) VALUES (?, ?)", {"o1", "bad \xff\xfe"});
  CHECK(s.code() == Code::kBadRequest);
  CHECK(One(db, "SELECT COUNT(*) FROM owners") == SqlValue(int64_t{0}));
  // A blob holds any bytes.
  Require(db.Exec("INSERT INTO owners (id, name, b) VALUES (?, ?, ?)",
                  {"o1", "x", SqlValue::Blob(std::string("a\0\xff", 3))}));
  CHECK(One(db, "SELECT b FROM owners") == SqlValue::Blob(std::string("a\0\xff", 3)));
}

TEST_CASE("sql session: a unique violation is Conflict naming table and columns, never the value",
          "[store][pg][sql]") {
  ON_BOTH_ENGINES("sql_unique");
  const std::string secret = "hunter2-do-not-echo";
  Require(db.Exec("INSERT INTO owners (id, name, secret) VALUES (?, ?, ?)", {"o1", "a", secret}));
  Status s = db.Exec("INSERT INTO owners (id, name, secret) VALUES (?, ?, ?)", {"o2", "b", secret});
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "UNIQUE constraint failed: owners.secret");
  CHECK(s.message().find(secret) == std::string::npos);
  s = db.Exec("INSERT INTO owners (id, name) VALUES (?, ?)", {"o1", "dup"});
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "UNIQUE constraint failed: owners.id");
  Require(db.Exec("INSERT INTO pets (id, owner_id, \"index\") VALUES (?, ?, ?)", {"p1", "o1", 0}));
  s = db.Exec("INSERT INTO pets (id, owner_id, \"index\") VALUES (?, ?, ?)", {"p2", "o1", 0});
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "UNIQUE constraint failed: pets.owner_id, pets.index");
}

TEST_CASE("sql session: foreign-key and not-null violations are BadRequest", "[store][pg][sql]") {
  ON_BOTH_ENGINES("sql_fk");
  Status s = db.Exec("INSERT INTO pets (id, owner_id) VALUES (?, ?)", {"p1", "nobody"});
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message() == "a referenced record does not exist");
  Require(db.Exec("INSERT INTO owners (id, name) VALUES (?, ?)", {"o1", "a"}));
  Require(db.Exec("INSERT INTO pets (id, owner_id) VALUES (?, ?)", {"p1", "o1"}));
  s = db.Exec("DELETE FROM owners WHERE id = ?", {"o1"});
  CHECK(s.code() == Code::kBadRequest);  // still referenced
  s = db.Exec("INSERT INTO owners (id, name) VALUES (?, ?)", {"o2", nullptr});
  CHECK(s.code() == Code::kBadRequest);
}

TEST_CASE("sql session: a savepoint rolled back undoes only its own writes", "[store][pg][sql]") {
  ON_BOTH_ENGINES("sql_savepoint");
  auto insert = [&](const char* id) {
    return db.Exec("INSERT INTO owners (id, name) VALUES (?, ?)", {id, "x"});
  };
  CHECK_FALSE(db.in_transaction());
  Require(db.Begin());
  CHECK(db.in_transaction());
  Require(insert("before"));
  Require(db.Savepoint("write"));
  Require(insert("inside"));
  Require(db.RollbackTo("write"));
  Require(db.Release("write"));
  // A failed statement: PostgreSQL aborts the transaction, so the dialect says a savepoint
  // must frame it; rolled back to, the transaction goes on on both engines.
  Require(db.Savepoint("write"));
  CHECK(insert("before").code() == Code::kConflict);
  Require(db.RollbackTo("write"));
  Require(db.Release("write"));
  Require(insert("after"));
  Require(db.Commit());
  CHECK_FALSE(db.in_transaction());
  auto rows = Rows(db, "SELECT id FROM owners ORDER BY id");
  CHECK(rows == std::vector<SqlRow>{{"after"}, {"before"}});

  Require(db.Begin());
  CHECK(insert("after").code() == Code::kConflict);
  Status next = insert("later");
  CHECK(next.ok() == !db.dialect().failed_statement_aborts_transaction());
  Require(db.Rollback());
  CHECK(One(db, "SELECT COUNT(*) FROM owners") == SqlValue(int64_t{2}));
  CHECK(db.Savepoint("no; DROP TABLE owners").code() == Code::kGeneralError);
}

TEST_CASE("sql session: ? placeholders are numbered outside literals, identifiers and comments",
          "[store][pg][sql]") {
  size_t count = 0;
  CHECK(NumberPlaceholders("SELECT '?', \"a?\", ? -- ?\n, 'it''s ?', ?", &count) ==
        "SELECT '?', \"a?\", $1 -- ?\n, 'it''s ?', $2");
  CHECK(count == 2);
  ON_BOTH_ENGINES("sql_placeholders");
  auto rows = Rows(db, "SELECT '?', ? AS \"what?\", ? -- ?\n", {"a", int64_t{7}});
  CHECK(rows == std::vector<SqlRow>{{"?", "a", int64_t{7}}});
  SqlResult r;
  CHECK(db.Query("SELECT ?, ?", {"one"}, &r).code() == Code::kGeneralError);
  CHECK(db.Query("SELECT 1", {"extra"}, &r).code() == Code::kGeneralError);
}

TEST_CASE("sql session: a query's rows and bytes are bounded, and the session goes on after",
          "[store][pg][sql]") {
  ON_BOTH_ENGINES("sql_bounds");
  const std::string count_to =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
      "SELECT i FROM n";
  db.set_limits({10, 1000});
  CHECK(Rows(db, count_to, {int64_t{10}}).size() == 10);
  SqlResult r;
  Status s = db.Query(count_to, {int64_t{100000}}, &r);
  CHECK(s.code() == Code::kGeneralError);
  CHECK(s.message().find("passed 10 rows") != std::string::npos);
  CHECK(One(db, "SELECT ?", {"still usable"}) == "still usable");
  s = db.Query("SELECT ?", {std::string(1001, 'x')}, &r);
  CHECK(s.code() == Code::kGeneralError);
  CHECK(One(db, "SELECT COUNT(*) FROM owners") == SqlValue(int64_t{0}));
}

TEST_CASE("sql session: the dialect's JSON field, list membership and case folding agree",
          "[store][pg][sql]") {
  ON_BOTH_ENGINES("sql_dialect");
  const SqlDialect& d = db.dialect();
  Require(db.Exec("INSERT INTO owners (id, name, n, doc) VALUES (?, ?, ?, ?)",
                  {"o1", "Alice", 1, R"({"visibility": "private", "n": 3})"}));
  Require(db.Exec("INSERT INTO owners (id, name, n, doc) VALUES (?, ?, ?, ?)",
                  {"o2", "bob", 2, R"({"other": true})"}));
  auto rows =
      Rows(db, "SELECT id, " + d.JsonText("\"doc\"", "visibility") + " FROM owners ORDER BY id");
  CHECK(rows == std::vector<SqlRow>{{"o1", "private"}, {"o2", nullptr}});
  CHECK(Rows(db, "SELECT id FROM owners WHERE " + d.InJsonList("\"id\"", false) + " ORDER BY id",
             {R"(["o2", "o9"])"}) == std::vector<SqlRow>{{"o2"}});
  CHECK(Rows(db, "SELECT id FROM owners WHERE " + d.InJsonList("\"n\"", true) + " ORDER BY id",
             {"[1, 2]"}) == std::vector<SqlRow>{{"o1"}, {"o2"}});
  CHECK(Rows(db, "SELECT id FROM owners WHERE " + d.InJsonList("\"n\"", true), {"[]"}).empty());
  CHECK(One(db, "SELECT id FROM owners WHERE " + d.EqualsFoldingCase("\"name\""), {"ALICE"}) ==
        "o1");
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

// The messages table as a migration would create it on each engine.
std::string MessagesTable(const SqlDialect& d) {
  std::string t = d.text_type(), i = d.integer_type();
  return "CREATE TABLE messages (message_id " + t + " PRIMARY KEY, session_id " + t +
         " NOT NULL, board_id " + t + " NOT NULL, task_id " + t + ", \"index\" " + i + ", role " +
         t + " NOT NULL, type " + t + ", content " + t + ", tool_uses " + t + ", metadata " + t +
         ", timestamp " + t + " NOT NULL, status " + t + ", queue_position " + i +
         ", UNIQUE (session_id, \"index\"))";
}

// Inserts `record` as the store does: every column, each value through the record codec.
void InsertRecord(SqlSession& db, const ServiceSchema& schema, const Json& record) {
  auto columns = AllColumns(schema);
  std::vector<SqlValue> params;
  std::string marks;
  for (const Field* f : columns) {
    params.push_back(FieldParam(f, record.value(f->name, Json())));
    marks += marks.empty() ? "?" : ", ?";
  }
  Require(
      db.Exec("INSERT INTO messages (" + ColumnList(columns) + ") VALUES (" + marks + ")", params));
}

Json Message(const std::string& id, Json index, const std::string& role, Json task,
             const std::string& type) {
  return Json{{"message_id", id},
              {"session_id", "s1"},
              {"board_id", "b1"},
              {"task_id", task},
              {"index", index},
              {"role", role},
              {"type", type},
              {"content", Json::array({Json{{"type", "text"}, {"text", "héllo " + id}}})},
              {"tool_uses", Json::array({1, "two", nullptr})},
              {"metadata", Json{{"model", "x"}, {"depth", Json{{"a", Json{{"b", 1}}}}}}},
              {"timestamp", "2026-12-02T15:00:00.000Z"},
              {"status", index.is_null() ? Json("queued") : Json("sent")},
              {"queue_position", index.is_null() ? Json(1) : Json()}};
}

TEST_CASE("sql session: Feathers finds over the record codec answer the same pages on both engines",
          "[store][pg][sql]") {
  Engine engines[] = {Open("sqlite", ""), Open("postgresql", "sql_find")};
  const ServiceSchema& schema = *FindService("messages");
  std::vector<Json> stored = {
      Message("m0", 0, "user", nullptr, "a"), Message("m1", 1, "assistant", "t1", "B"),
      Message("m2", 2, "assistant", "t1", "_"), Message("m3", 3, "system", nullptr, "b"),
      Message("m4", nullptr, "user", nullptr, "A")};
  stored[3]["content"] = "plain text";
  stored[3]["metadata"] = nullptr;
  for (Engine& e : engines) {
    Require(e->Exec(MessagesTable(e->dialect())));
    for (const Json& m : stored) InsertRecord(*e, schema, m);
  }
  auto find = [&](Engine& e, const Json& query) {
    SqlQuery q;
    Require(TranslateQuery(schema, query, QueryLimits(), &q, e->dialect()));
    Json page;
    Require(FindPage(e.session.get(), schema, q, &page));
    return page;
  };
  auto ids = [](const Json& page) {
    std::vector<std::string> out;
    for (const Json& r : page["data"]) out.push_back(r["message_id"]);
    return out;
  };
  using Ids = std::vector<std::string>;
  struct Case {
    Json query;
    Ids expected;
  };
  const Case cases[] = {
      {Json{{"$sort", {{"index", 1}}}}, {"m0", "m1", "m2", "m3", "m4"}},  // queued last
      {Json{{"$sort", {{"index", -1}}}}, {"m4", "m3", "m2", "m1", "m0"}},
      {Json{{"$sort", {{"task_id", 1}, {"index", 1}}}}, {"m0", "m3", "m4", "m1", "m2"}},
      {Json{{"$sort", {{"task_id", -1}, {"index", 1}}}}, {"m1", "m2", "m0", "m3", "m4"}},
      {Json{{"$sort", {{"type", 1}}}}, {"m4", "m1", "m2", "m0", "m3"}},  // bytewise: A B _ a b
      {Json{{"index", {{"$gt", "1"}}}, {"$sort", {{"index", 1}}}}, {"m2", "m3"}},
      {Json{{"role", {{"$in", {"user", "system"}}}}, {"$sort", {{"index", 1}}}},
       {"m0", "m3", "m4"}},
      {Json{{"index", {{"$in", {0, 3}}}}, {"$sort", {{"index", 1}}}}, {"m0", "m3"}},
      {Json{{"index", {{"$nin", {0}}}}, {"$sort", {{"index", 1}}}}, {"m1", "m2", "m3"}},
      {Json{{"role", {{"$nin", Json::array()}}}, {"$sort", {{"index", 1}}}},
       {"m0", "m1", "m2", "m3", "m4"}},
      {Json{{"$or", {{{"role", "system"}}, {{"index", 0}}}}, {"$sort", {{"index", 1}}}},
       {"m0", "m3"}},
      {Json{{"task_id", nullptr}, {"index", {{"$ne", nullptr}}}, {"$sort", {{"index", 1}}}},
       {"m0", "m3"}},
      {Json{{"$limit", 2}, {"$skip", 1}, {"$sort", {{"index", -1}}}}, {"m3", "m2"}},
      {Json{{"$limit", 0}}, {}},
  };
  for (const Case& c : cases) {
    INFO("query " << c.query.dump());
    Json on_sqlite = find(engines[0], c.query);
    Json on_pg = find(engines[1], c.query);
    CHECK(ids(on_sqlite) == c.expected);
    CHECK(on_pg == on_sqlite);
  }
  // Whole records read back as they were written, JSON and content fields included.
  Json page = find(engines[1], Json{{"$sort", {{"index", 1}}}});
  for (size_t i = 0; i < stored.size(); ++i) CHECK(page["data"][i] == stored[i]);
  CHECK(find(engines[1], Json{{"$limit", 0}})["total"] == 5);
  Json some = find(engines[1], Json{{"$select", {"role"}}, {"$sort", {{"index", 1}}}});
  CHECK(some["data"][0] == Json{{"role", "user"}, {"message_id", "m0"}});
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

// Column name and NOT NULL, in order; a primary key's column counts as NOT NULL (PostgreSQL
// makes it so; SQLite, for a TEXT key, famously does not).
using Columns = std::vector<std::pair<std::string, bool>>;

std::map<std::string, Columns> SqliteTables(SqlSession& db) {
  std::map<std::string, Columns> out;
  for (const SqlRow& t :
       Rows(db,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
    for (const SqlRow& c :
         Rows(db, "SELECT name, \"notnull\", pk FROM pragma_table_info(?)", {t[0].text()})) {
      out[t[0].text()].push_back({c[0].text(), c[1].integer() || c[2].integer()});
    }
  }
  return out;
}

std::map<std::string, Columns> PgTables(SqlSession& db) {
  std::map<std::string, Columns> out;
  for (const SqlRow& c : Rows(db,
                              "SELECT table_name::text, column_name::text, is_nullable = 'NO' "
                              "FROM information_schema.columns WHERE table_schema = 'public' "
                              "AND table_name <> 'schema_migrations' "
                              "ORDER BY table_name, ordinal_position")) {
    out[c[0].text()].push_back({c[1].text(), c[2].integer() != 0});
  }
  return out;
}

std::set<std::string> Names(const std::vector<SqlRow>& rows) {
  std::set<std::string> out;
  for (const SqlRow& r : rows) out.insert(r[0].text());
  return out;
}

TEST_CASE("sql session: PostgreSQL's migrations create SQLite's tables, columns and indexes",
          "[store][pg][sql]") {
  std::unique_ptr<SQLite::Database> file;
  Require(OpenDatabase(":memory:", &file));
  SqliteSession sqlite(file.get());
  PgConnection conn;
  Require(conn.Open(PostgresServer::Shared().CreateDatabase("sql_migrated")));
  Require(MigratePgDatabase(&conn));
  PgSession pg(&conn);
  auto tables = SqliteTables(sqlite);
  CHECK(tables.size() == 18);
  CHECK(PgTables(pg) == tables);
  // The named indexes, and PostgreSQL's one more: users.email's, for SQLite's COLLATE NOCASE.
  auto indexes = Names(Rows(sqlite,
                            "SELECT name FROM sqlite_master WHERE type = 'index' "
                            "AND sql IS NOT NULL"));
  indexes.insert("users_email");
  CHECK(Names(Rows(pg,
                   "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public' "
                   "AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'")) == indexes);
}

TEST_CASE("sql session: the migrated schemas refuse the same duplicates and orphans alike",
          "[store][pg][sql]") {
  std::unique_ptr<SQLite::Database> file;
  Require(OpenDatabase(":memory:", &file));
  PgConnection conn;
  Require(conn.Open(PostgresServer::Shared().CreateDatabase("sql_constraints")));
  Require(MigratePgDatabase(&conn));
  SqliteSession sqlite(file.get());
  PgSession pg(&conn);
  for (SqlSession* db : {static_cast<SqlSession*>(&sqlite), static_cast<SqlSession*>(&pg)}) {
    INFO("engine " << db->dialect().name());
    const std::string user =
        "INSERT INTO users (user_id, email, role, created_at, updated_at) "
        "VALUES (?, ?, 'member', 't', 't')";
    Require(db->Exec(user, {"u1", "Ada@example.com"}));
    Status s = db->Exec(user, {"u2", "ada@EXAMPLE.com"});
    CHECK(s.code() == Code::kConflict);
    CHECK(s.message() == "UNIQUE constraint failed: users.email");
    CHECK(One(*db, "SELECT user_id FROM users WHERE " + db->dialect().EqualsFoldingCase("email"),
              {"ADA@example.COM"}) == "u1");
    s = db->Exec(
        "INSERT INTO board_members (id, board_id, user_id, role, created_at) "
        "VALUES ('m1', 'no-board', 'u1', 'member', 't')");
    CHECK(s.code() == Code::kBadRequest);
    Require(db->Exec("INSERT INTO secrets (name, value) VALUES (?, ?)",
                     {"jwt", SqlValue::Blob(AllBytes())}));
    CHECK(One(*db, "SELECT value FROM secrets") == SqlValue::Blob(AllBytes()));
  }
}

}  // namespace
}  // namespace agor
