#include "store/pg_database.h"

#include <string>
#include <vector>

namespace agor {
namespace {

// pg_advisory_lock keys share one namespace per database with every other user of it: agor's
// start with "agor" in ASCII. The event log's append lock is ...0002 (store/pg_event_log.cpp).
const char kMigrationLock[] = "107096879267841";  // 0x61676f720001

// Migration N (1-based) brings the schema from version N-1 to N. Never edit a shipped
// migration: append a new one.
const std::vector<const char*> kMigrations = {
    // 1: the event log (store/pg_event_log.h), the columns of SQLite's at its version 8.
    // record is TEXT, not jsonb: it goes out as written, its keys in schema order; ts is
    // ISO-8601 text like SQLite's, so both engines hand out the same strings.
    R"sql(
CREATE TABLE events (
  seq BIGINT PRIMARY KEY, ts TEXT NOT NULL, service TEXT NOT NULL, event TEXT NOT NULL,
  board_id TEXT, session_id TEXT, record TEXT NOT NULL, user_id TEXT, actor_id TEXT,
  actor_agent TEXT);
CREATE INDEX events_by_user ON events(user_id, seq) WHERE user_id IS NOT NULL;
)sql",
};

Status ApplyOne(PgConnection* conn, int version) {
  PgTransaction tx(conn);
  Status s = tx.Begin();
  if (s.ok()) s = conn->ExecScript(kMigrations[version - 1]);
  if (s.ok()) {
    s = conn->Exec("INSERT INTO schema_migrations (version) VALUES ($1)",
                   {std::to_string(version)});
  }
  if (s.ok()) s = tx.Commit();
  if (!s.ok())
    return Status(s.code(), "PostgreSQL migration " + std::to_string(version) + ": " + s.message());
  return s;
}

// Under the migration lock: nobody else creates the table or applies a migration meanwhile.
Status ApplyPending(PgConnection* conn, int version) {
  Status s = conn->Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  int current = 0;
  if (s.ok()) s = PgSchemaVersion(conn, &current);
  if (!s.ok()) return s;
  if (current > LatestPgSchemaVersion()) {
    return Status::GeneralError("the PostgreSQL database has schema version " +
                                std::to_string(current) + ", newer than this agor (" +
                                std::to_string(LatestPgSchemaVersion()) + ")");
  }
  for (int v = current + 1; v <= version && s.ok(); ++v) s = ApplyOne(conn, v);
  return s;
}

}  // namespace

int LatestPgSchemaVersion() {
  return static_cast<int>(kMigrations.size());
}

Status MigratePgDatabase(PgConnection* conn, int version) {
  Status s = conn->Exec("SELECT pg_advisory_lock($1)", {kMigrationLock});
  if (!s.ok()) return s;
  s = ApplyPending(conn, version);
  // A lost connection released the lock with the session; otherwise release it now.
  Status unlocked = conn->Exec("SELECT pg_advisory_unlock($1)", {kMigrationLock});
  return s.ok() ? unlocked : s;
}

Status PgSchemaVersion(PgConnection* conn, int* version) {
  PgResult r;
  Status s = conn->Exec("SELECT to_regclass('schema_migrations') IS NOT NULL", {}, &r);
  if (!s.ok() || r.text(0, 0) != "t") {
    *version = 0;
    return s;
  }
  s = conn->Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}, &r);
  if (s.ok()) *version = static_cast<int>(r.integer(0, 0));
  return s;
}

}  // namespace agor
