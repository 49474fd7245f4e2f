#include "store/pg_connection.h"

#include <catch2/catch.hpp>
#include <future>
#include <string>

#include "tests/support/postgres_server.h"

namespace agor {
namespace {

using test::PostgresServer;

PgConnection Connect(const std::string& url, PgConnection::Options options = {}) {
  PgConnection conn;
  Status s = conn.Open(url, options);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return conn;
}

// Runs `sql` and returns its Status, its message in the test's log.
Status Run(PgConnection& conn, const std::string& sql, const std::vector<PgValue>& params = {}) {
  Status s = conn.Exec(sql, params);
  UNSCOPED_INFO(sql << " -> " << s.ToString());
  return s;
}

TEST_CASE("pg connection: rows, NULLs and affected counts come back as owned values",
          "[store][pg]") {
  PgConnection conn = Connect(PostgresServer::Shared().CreateDatabase("pg_rows"));
  REQUIRE(Run(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)").ok());
  PgResult r;
  REQUIRE(conn.Exec("INSERT INTO t VALUES ($1, $2), ($3, $4)",
                    {"1", "a'; DROP TABLE t; --", "2", PgValue()}, &r)
              .ok());
  CHECK(r.affected() == 2);
  REQUIRE(conn.Exec("SELECT id, name FROM t ORDER BY id", {}, &r).ok());
  REQUIRE(r.rows() == 2);
  REQUIRE(r.columns() == 2);
  CHECK(r.integer(0, 0) == 1);
  CHECK(r.text(0, 1) == "a'; DROP TABLE t; --");  // a parameter, never SQL
  CHECK_FALSE(r.at(1, 1).has_value());
  CHECK(r.text(1, 1).empty());
}

TEST_CASE("pg connection: constraint and input errors map to the store's Status codes",
          "[store][pg]") {
  PgConnection conn = Connect(PostgresServer::Shared().CreateDatabase("pg_errors"));
  REQUIRE(Run(conn,
              "CREATE TABLE boards (id TEXT PRIMARY KEY, slug TEXT UNIQUE, "
              "n INTEGER CHECK (n >= 0))")
              .ok());
  REQUIRE(Run(conn,
              "CREATE TABLE messages (id TEXT PRIMARY KEY, "
              "board_id TEXT NOT NULL REFERENCES boards(id), \"index\" INTEGER, "
              "UNIQUE(board_id, \"index\"))")
              .ok());
  REQUIRE(Run(conn, "INSERT INTO boards VALUES ('b1', 'web', 1)").ok());
  REQUIRE(Run(conn, "INSERT INTO messages VALUES ('m1', 'b1', 0)").ok());

  Status s = Run(conn, "INSERT INTO boards VALUES ('b2', 'web', 1)");
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "UNIQUE constraint failed: boards.slug");  // SQLite's shape
  s = Run(conn, "INSERT INTO messages VALUES ('m2', 'b1', 0)");
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "UNIQUE constraint failed: messages.board_id, messages.index");
  s = Run(conn, "INSERT INTO messages VALUES ('m3', 'nope', 1)");
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message() == "a referenced record does not exist");
  CHECK(Run(conn, "INSERT INTO boards VALUES ('b3', 'x', -1)").code() == Code::kBadRequest);
  CHECK(Run(conn, "INSERT INTO messages VALUES ('m4', NULL, 2)").code() == Code::kBadRequest);
  CHECK(Run(conn, "SELECT $1::integer", {"twelve"}).code() == Code::kBadRequest);
  CHECK(Run(conn, "SELECT $1", {std::string("\xff\xfe")}).code() == Code::kBadRequest);
  CHECK(Run(conn, "SELECT $1", {std::string("a\0b", 3)}).code() == Code::kBadRequest);
  s = Run(conn, "SELEC 1");
  CHECK(s.code() == Code::kGeneralError);
  CHECK(s.message().find("42601") != std::string::npos);
  // The connection stays usable after each error.
  CHECK(Run(conn, "SELECT 1").ok());
}

TEST_CASE("pg connection: retryable and transient server errors are Unavailable or Timeout",
          "[store][pg]") {
  PgConnection::Options quick;
  quick.statement_timeout_ms = 200;
  PgConnection conn = Connect(PostgresServer::Shared().CreateDatabase("pg_transient"), quick);
  for (const char* state : {"40001", "40P01"}) {
    Status s = Run(conn, std::string("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '") +
                             state + "'; END $$");
    CHECK(s.code() == Code::kUnavailable);
    CHECK(s.message().find("try again") != std::string::npos);
  }
  CHECK(Run(conn, "DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '53300'; END $$").code() ==
        Code::kUnavailable);
  CHECK(Run(conn, "SELECT pg_sleep(10)").code() == Code::kTimeout);
  CHECK(Run(conn, "SELECT 1").ok());
}

TEST_CASE("pg connection: a real deadlock fails one side with Unavailable, try again",
          "[store][pg]") {
  std::string url = PostgresServer::Shared().CreateDatabase("pg_deadlock");
  PgConnection a = Connect(url), b = Connect(url);
  REQUIRE(Run(a, "CREATE TABLE r (id INTEGER PRIMARY KEY, v INTEGER)").ok());
  REQUIRE(Run(a, "INSERT INTO r VALUES (1, 0), (2, 0)").ok());
  REQUIRE(a.Begin().ok());
  REQUIRE(b.Begin().ok());
  REQUIRE(Run(a, "UPDATE r SET v = 1 WHERE id = 1").ok());
  REQUIRE(Run(b, "UPDATE r SET v = 2 WHERE id = 2").ok());
  // Each now waits for the row the other holds, in whichever order the threads get there.
  auto a_side =
      std::async(std::launch::async, [&] { return a.Exec("UPDATE r SET v = 1 WHERE id = 2"); });
  Status b_status = b.Exec("UPDATE r SET v = 2 WHERE id = 1");
  Status a_status = a_side.get();
  INFO("a: " << a_status.ToString() << "; b: " << b_status.ToString());
  CHECK(a_status.ok() != b_status.ok());
  const Status& failed = a_status.ok() ? b_status : a_status;
  CHECK(failed.code() == Code::kUnavailable);
  CHECK(failed.message().find("try again") != std::string::npos);
  CHECK(a.Rollback().ok());
  CHECK(b.Rollback().ok());
}

TEST_CASE("pg connection: COMMIT of a failed transaction is an error, and PgTransaction rolls back",
          "[store][pg]") {
  PgConnection conn = Connect(PostgresServer::Shared().CreateDatabase("pg_tx"));
  REQUIRE(Run(conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)").ok());
  REQUIRE(conn.Begin().ok());
  REQUIRE(Run(conn, "INSERT INTO t VALUES (1)").ok());
  CHECK_FALSE(Run(conn, "INSERT INTO t VALUES (1)").ok());
  CHECK(conn.in_transaction());
  CHECK_FALSE(conn.Commit().ok());  // the server rolled it back: nothing committed
  CHECK_FALSE(conn.in_transaction());
  {
    PgTransaction tx(&conn);
    REQUIRE(tx.Begin().ok());
    REQUIRE(Run(conn, "INSERT INTO t VALUES (2)").ok());
  }  // no Commit: rolled back
  CHECK_FALSE(conn.in_transaction());
  {
    PgTransaction tx(&conn);
    REQUIRE(tx.Begin().ok());
    REQUIRE(Run(conn, "INSERT INTO t VALUES (3)").ok());
    REQUIRE(tx.Commit().ok());
  }
  PgResult r;
  REQUIRE(conn.Exec("SELECT id FROM t ORDER BY id", {}, &r).ok());
  REQUIRE(r.rows() == 1);
  CHECK(r.integer(0, 0) == 3);
}

TEST_CASE("pg connection: a killed backend is Unavailable, and Reconnect recovers", "[store][pg]") {
  std::string url = PostgresServer::Shared().CreateDatabase("pg_lost");
  PgConnection victim = Connect(url), killer = Connect(url);
  PgResult r;
  REQUIRE(victim.Exec("SELECT pg_backend_pid()", {}, &r).ok());
  REQUIRE(Run(killer, "SELECT pg_terminate_backend($1::integer)", {r.text(0, 0)}).ok());
  Status s = Run(victim, "SELECT 1");
  CHECK(s.code() == Code::kUnavailable);
  REQUIRE(victim.Reconnect().ok());
  CHECK(Run(victim, "SELECT 1").ok());
}

TEST_CASE("pg connection: bad URLs and refused connections say why, never the password",
          "[store][pg]") {
  PgConnection conn;
  Status s = conn.Open("mysql://root:hunter2@127.0.0.1/agor");
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message().find("hunter2") == std::string::npos);
  CHECK(s.message().find("mysql://root:***@127.0.0.1/agor") != std::string::npos);

  s = conn.Open("postgresql://agor:hu%zznter2@127.0.0.1/agor");  // a bad percent-escape
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message().find("hu%zznter2") == std::string::npos);

  // A port nobody listens on: the shared server's, once it is stopped would race other
  // tests; port 1 is privileged and unused here.
  PgConnection::Options quick;
  quick.connect_timeout_s = 2;
  s = conn.Open("postgresql://agor:hunter2@127.0.0.1:1/agor?password=hunter3", quick);
  INFO(s.ToString());
  CHECK(s.code() == Code::kUnavailable);
  CHECK(s.message().find("hunter2") == std::string::npos);
  CHECK(s.message().find("hunter3") == std::string::npos);
  CHECK(s.message().find("127.0.0.1:1") != std::string::npos);
  CHECK_FALSE(conn.connected());
  CHECK(conn.Exec("SELECT 1").code() == Code::kUnavailable);
}

TEST_CASE("pg connection: Redacted hides the password wherever the URL puts it", "[store][pg]") {
  CHECK(PgConnection::Redacted("postgresql://u:p@h:5/d") == "postgresql://u:***@h:5/d");
  CHECK(PgConnection::Redacted("postgresql://u@h/d?password=p&x=1") ==
        "postgresql://u@h/d?password=***&x=1");
  CHECK(PgConnection::Redacted("postgresql://u:p@ss@h/d") == "postgresql://u:***@h/d");
  CHECK(PgConnection::Redacted("postgresql://h:5/d?x=a@b") == "postgresql://h:5/d?x=a@b");
  CHECK(PgConnection::Redacted("postgresql://h/d") == "postgresql://h/d");
  CHECK(PgConnection::Redacted("postgresql://u:@h/d") == "postgresql://u:@h/d");
  CHECK(PgConnection::Redacted("") == "");
}

}  // namespace
}  // namespace agor
