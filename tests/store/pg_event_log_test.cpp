#include "store/pg_event_log.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "store/pg_database.h"
#include "tests/support/postgres_server.h"

namespace agor {
namespace {

using test::PostgresServer;

PgConnection Connect(const std::string& url) {
  PgConnection conn;
  Status s = conn.Open(url);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return conn;
}

// A migrated database of its own for one test case.
std::string MigratedDatabase(const std::string& name) {
  std::string url = PostgresServer::Shared().CreateDatabase(name);
  PgConnection conn = Connect(url);
  Status s = MigratePgDatabase(&conn);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return url;
}

Event MakeEvent(const std::string& id, int64_t ts_ms = 1700000000000) {
  Event ev;
  ev.ts = FormatIso8601(ts_ms);
  ev.service = "messages";
  ev.event = "created";
  ev.board_id = "b1";
  ev.record = Json{{"message_id", id}, {"content", "héllo"}};
  return ev;
}

Status AppendCommitted(PgConnection& conn, Event* ev) {
  PgTransaction tx(&conn);
  Status s = tx.Begin();
  if (s.ok()) s = PgEventLog::Append(&conn, ev);
  if (s.ok()) s = tx.Commit();
  return s;
}

TEST_CASE("pg event log: appends read back in order with every column, and rollbacks leave no seq",
          "[store][pg]") {
  PgConnection conn = Connect(MigratedDatabase("pg_log_basic"));
  Event a = MakeEvent("m1");
  a.session_id = "s1";
  a.user_id = "u1";
  a.actor_id = "u2";
  a.actor_agent = "claude-code";
  REQUIRE(AppendCommitted(conn, &a).ok());
  CHECK(a.seq == 1);
  CHECK(a.record_json == a.record.dump());
  {
    PgTransaction tx(&conn);
    REQUIRE(tx.Begin().ok());
    Event lost = MakeEvent("lost");
    REQUIRE(PgEventLog::Append(&conn, &lost).ok());
    CHECK(lost.seq == 2);
  }  // rolled back
  Event b = MakeEvent("m2");
  REQUIRE(AppendCommitted(conn, &b).ok());
  CHECK(b.seq == 2);  // the rolled-back seq is taken again: no hole

  std::vector<Event> read;
  REQUIRE(PgEventLog::ReadSince(&conn, 0, 10, &read).ok());
  REQUIRE(read.size() == 2);
  CHECK(read[0].seq == 1);
  CHECK(read[0].ts == a.ts);
  CHECK(read[0].service == "messages");
  CHECK(read[0].event == "created");
  CHECK(read[0].board_id == "b1");
  CHECK(read[0].session_id == "s1");
  CHECK(read[0].user_id == "u1");
  CHECK(read[0].actor_id == "u2");
  CHECK(read[0].actor_agent == "claude-code");
  CHECK(read[0].record == a.record);
  CHECK(read[1].session_id.empty());  // NULL reads as ""
  CHECK(read[1].record.dump() == b.record_json);

  Event outside = MakeEvent("outside");
  CHECK_FALSE(PgEventLog::Append(&conn, &outside).ok());  // no transaction, no lock: refused
}

TEST_CASE("pg event log: pruning keeps the newest, Covers follows retention like SQLite's",
          "[store][pg]") {
  PgConnection conn = Connect(MigratedDatabase("pg_log_prune"));
  const int64_t t0 = 1700000000000;
  for (int i = 0; i < 10; ++i) {
    Event ev = MakeEvent("m" + std::to_string(i), t0 + i * 1000);
    REQUIRE(AppendCommitted(conn, &ev).ok());
  }
  Retention keep_all{100, 0};
  CHECK(PgEventLog::Covers(&conn, 0, keep_all, t0));
  CHECK(PgEventLog::Covers(&conn, 10, keep_all, t0));
  CHECK_FALSE(PgEventLog::Covers(&conn, 11, keep_all, t0));  // from the future
  CHECK_FALSE(PgEventLog::Covers(&conn, 0, Retention{5, 0}, t0));
  CHECK_FALSE(PgEventLog::Covers(&conn, 0, Retention{100, 1000}, t0 + 60000));

  int64_t removed = 0;
  REQUIRE(PgEventLog::Prune(&conn, 6, 0, &removed).ok());
  CHECK(removed == 4);
  int64_t first = 0, last = 0;
  REQUIRE(PgEventLog::FirstSeq(&conn, &first).ok());
  REQUIRE(PgEventLog::LastSeq(&conn, &last).ok());
  CHECK(first == 5);
  CHECK(last == 10);
  CHECK_FALSE(PgEventLog::Covers(&conn, 3, keep_all, t0));
  CHECK(PgEventLog::Covers(&conn, 4, keep_all, t0));

  // By age, everything older than the last event: the newest stays, and seq goes on from it.
  REQUIRE(PgEventLog::Prune(&conn, 100, t0 + 60000, &removed).ok());
  CHECK(removed == 5);
  REQUIRE(PgEventLog::FirstSeq(&conn, &first).ok());
  CHECK(first == 10);
  Event next = MakeEvent("next");
  REQUIRE(AppendCommitted(conn, &next).ok());
  CHECK(next.seq == 11);
}

// What one writer thread committed: the seq Append returned for each committed event id.
struct Committed {
  std::mutex mu;
  std::map<std::string, int64_t> seq_of;
};

// Appends `count` events on its own connection; about one in four transactions rolls back
// after its append, and every one does another statement between append and commit, the
// window in which a sequence object would let a later seq commit first.
void Writer(const std::string& url, int writer, int count, Committed* committed,
            std::atomic<int>* failures) {
  PgConnection conn;
  if (!conn.Open(url).ok()) return void(++*failures);
  std::mt19937 random(writer);
  for (int i = 0; i < count; ++i) {
    Event ev = MakeEvent("w" + std::to_string(writer) + "-" + std::to_string(i));
    PgTransaction tx(&conn);
    bool ok = tx.Begin().ok() && PgEventLog::Append(&conn, &ev).ok() &&
              conn.Exec("SELECT pg_sleep(0.0001)").ok();
    if (!ok) return void(++*failures);
    if (random() % 4 == 0) continue;  // PgTransaction rolls back
    if (!tx.Commit().ok()) return void(++*failures);
    std::lock_guard<std::mutex> lock(committed->mu);
    committed->seq_of[ev.record["message_id"].get<std::string>()] = ev.seq;
  }
}

// Polls ReadSince while the writers run: every batch must continue the run seen so far with
// no gap (a gap filled later would show as a batch not starting at last + 1, or as a seq whose
// event changes).
void Reader(const std::string& url, const std::atomic<bool>* done, std::vector<Event>* seen,
            std::vector<std::string>* problems) {
  PgConnection conn;
  if (!conn.Open(url).ok()) return problems->push_back("reader could not connect");
  for (bool last_pass = false; !last_pass;) {
    last_pass = done->load();  // one more read after the writers ended
    std::vector<Event> batch;
    int64_t after = seen->empty() ? 0 : seen->back().seq;
    if (!PgEventLog::ReadSince(&conn, after, 200, &batch).ok()) {
      return problems->push_back("ReadSince failed");
    }
    for (Event& ev : batch) {
      if (ev.seq != after + 1) {
        problems->push_back("read seq " + std::to_string(ev.seq) + " after " +
                            std::to_string(after));
      }
      after = ev.seq;
      seen->push_back(std::move(ev));
    }
    if (batch.size() == 200) last_pass = false;  // more is waiting
    // Between empty polls, a pause that leaves the two cores to the writers.
    if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST_CASE("pg event log: 4 writers with rollbacks and a reader see one gapless commit order",
          "[store][pg]") {
  std::string url = MigratedDatabase("pg_log_concurrent");
  constexpr int kWriters = 4, kEach = 500;
  Committed committed;
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<Event> seen;
  std::vector<std::string> problems;
  std::thread reader(Reader, url, &done, &seen, &problems);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back(Writer, url, w, kEach, &committed, &failures);
  }
  for (auto& t : writers) t.join();
  done = true;
  reader.join();

  REQUIRE(failures == 0);
  INFO((problems.empty() ? "" : problems.front()));
  CHECK(problems.empty());
  int64_t n = static_cast<int64_t>(committed.seq_of.size());
  CHECK(n > kWriters * kEach / 2);  // the rollbacks took about a quarter
  CHECK(n < kWriters * kEach);

  // The final log: exactly the committed events, seqs 1..N, each at the seq Append returned;
  // the reader's view was that same sequence, read as it grew.
  PgConnection conn = Connect(url);
  std::vector<Event> log;
  REQUIRE(PgEventLog::ReadSince(&conn, 0, kWriters * kEach + 1, &log).ok());
  REQUIRE(static_cast<int64_t>(log.size()) == n);
  REQUIRE(seen.size() == log.size());
  for (size_t i = 0; i < log.size(); ++i) {
    std::string id = log[i].record["message_id"].get<std::string>();
    INFO("seq " << log[i].seq << " " << id);
    REQUIRE(log[i].seq == static_cast<int64_t>(i) + 1);
    REQUIRE(committed.seq_of.count(id) == 1);
    CHECK(committed.seq_of[id] == log[i].seq);
    CHECK(seen[i].record == log[i].record);
  }
}

TEST_CASE("pg event log: nodes migrating one database at once all succeed, once", "[store][pg]") {
  std::string url = PostgresServer::Shared().CreateDatabase("pg_migrate");
  constexpr int kNodes = 4;
  std::vector<PgConnection> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(Connect(url));
  std::vector<Status> results(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] { results[i] = MigratePgDatabase(&nodes[i]); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) {
    INFO(s.ToString());
    CHECK(s.ok());
  }
  PgResult r;
  REQUIRE(nodes[0].Exec("SELECT count(*), max(version) FROM schema_migrations", {}, &r).ok());
  CHECK(r.integer(0, 0) == LatestPgSchemaVersion());
  CHECK(r.integer(0, 1) == LatestPgSchemaVersion());
  CHECK(MigratePgDatabase(&nodes[1]).ok());  // again: nothing to do
  int version = 0;
  REQUIRE(PgSchemaVersion(&nodes[2], &version).ok());
  CHECK(version == LatestPgSchemaVersion());
  // Each node's connection is left outside any transaction and without the lock.
  for (auto& node : nodes) CHECK_FALSE(node.in_transaction());
  REQUIRE(nodes[3]
              .Exec("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())",
                    {}, &r)
              .ok());
  CHECK(r.integer(0, 0) == 0);
}

TEST_CASE("pg event log: a database newer than this binary is refused", "[store][pg]") {
  PgConnection conn = Connect(MigratedDatabase("pg_newer"));
  REQUIRE(conn.Exec("INSERT INTO schema_migrations (version) VALUES ($1)",
                    {std::to_string(LatestPgSchemaVersion() + 1)})
              .ok());
  Status s = MigratePgDatabase(&conn);
  CHECK(s.code() == Code::kGeneralError);
  CHECK(s.message().find("newer than this agor") != std::string::npos);
}

}  // namespace
}  // namespace agor
