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
    // 2: every service table and the store's own tables at SQLite's version 8 (store/
    // database.cpp), one step: SQLite's history (its table rebuilds and data moves) never
    // happened here. The same columns in the same order, with the dialect's types
    // (store/sql_session.h): text compares bytewise (COLLATE "C", as SQLite's BINARY) whatever
    // the database's locale, integers are 64-bit, blobs bytea. users.email, COLLATE NOCASE on
    // SQLite, is unique on lower(email). The event log's text columns take "C" too.
    R"sql(
CREATE TABLE boards (
  board_id TEXT COLLATE "C" PRIMARY KEY, name TEXT COLLATE "C" NOT NULL,
  slug TEXT COLLATE "C" UNIQUE, description TEXT COLLATE "C",
  color TEXT COLLATE "C", icon TEXT COLLATE "C",
  visibility TEXT COLLATE "C" NOT NULL DEFAULT 'public', created_by TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL, updated_at TEXT COLLATE "C" NOT NULL,
  owner_id TEXT COLLATE "C");
CREATE INDEX boards_by_owner ON boards(owner_id) WHERE owner_id IS NOT NULL;
CREATE TABLE repos (
  repo_id TEXT COLLATE "C" PRIMARY KEY, slug TEXT COLLATE "C" NOT NULL UNIQUE,
  name TEXT COLLATE "C", remote_url TEXT COLLATE "C",
  local_path TEXT COLLATE "C", default_branch TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL, updated_at TEXT COLLATE "C" NOT NULL);
CREATE TABLE sessions (
  session_id TEXT COLLATE "C" PRIMARY KEY,
  board_id TEXT COLLATE "C" NOT NULL REFERENCES boards(board_id) ON DELETE CASCADE,
  repo_id TEXT COLLATE "C" REFERENCES repos(repo_id) ON DELETE SET NULL,
  agentic_tool TEXT COLLATE "C" NOT NULL, status TEXT COLLATE "C" NOT NULL,
  title TEXT COLLATE "C", description TEXT COLLATE "C",
  sdk_session_id TEXT COLLATE "C", agent_command TEXT COLLATE "C", position TEXT COLLATE "C",
  created_by TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL, updated_at TEXT COLLATE "C" NOT NULL);
CREATE INDEX sessions_by_board ON sessions(board_id);
CREATE INDEX sessions_by_repo ON sessions(repo_id) WHERE repo_id IS NOT NULL;
CREATE TABLE tasks (
  task_id TEXT COLLATE "C" PRIMARY KEY,
  session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
  board_id TEXT COLLATE "C" NOT NULL, status TEXT COLLATE "C" NOT NULL, prompt TEXT COLLATE "C",
  message_range TEXT COLLATE "C",
  started_at TEXT COLLATE "C", completed_at TEXT COLLATE "C", duration_ms BIGINT,
  error TEXT COLLATE "C", created_by TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL);
CREATE INDEX tasks_by_session ON tasks(session_id, created_at);
CREATE TABLE messages (
  message_id TEXT COLLATE "C" PRIMARY KEY,
  session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
  board_id TEXT COLLATE "C" NOT NULL,
  task_id TEXT COLLATE "C" REFERENCES tasks(task_id) ON DELETE SET NULL,
  "index" BIGINT, role TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C", content TEXT COLLATE "C",
  tool_uses TEXT COLLATE "C",
  metadata TEXT COLLATE "C", timestamp TEXT COLLATE "C" NOT NULL, status TEXT COLLATE "C",
  queue_position BIGINT,
  UNIQUE(session_id, "index"));
CREATE INDEX messages_by_task ON messages(task_id) WHERE task_id IS NOT NULL;
CREATE INDEX messages_queued ON messages(session_id, queue_position) WHERE status = 'queued';
CREATE TABLE client_states (
  pid TEXT COLLATE "C" PRIMARY KEY, state TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL);
CREATE INDEX client_states_by_age ON client_states(updated_at);
CREATE TABLE client_channels (
  pid TEXT COLLATE "C" NOT NULL REFERENCES client_states(pid) ON DELETE CASCADE,
  kind TEXT COLLATE "C" NOT NULL, channel_id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (pid, kind, channel_id));
CREATE TABLE agent_processes (
  task_id TEXT COLLATE "C" PRIMARY KEY, pgid BIGINT NOT NULL, start_time BIGINT NOT NULL);
CREATE TABLE users (
  user_id TEXT COLLATE "C" PRIMARY KEY, email TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C",
  emoji TEXT COLLATE "C",
  role TEXT COLLATE "C" NOT NULL, created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE TABLE user_passwords (
  user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
  hash TEXT COLLATE "C" NOT NULL);
CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  name TEXT COLLATE "C", prefix TEXT COLLATE "C", created_at TEXT COLLATE "C" NOT NULL,
  last_used_at TEXT COLLATE "C", key_hash TEXT COLLATE "C" UNIQUE);
CREATE INDEX api_keys_by_user ON api_keys(user_id);
CREATE TABLE board_members (
  id TEXT COLLATE "C" PRIMARY KEY,
  board_id TEXT COLLATE "C" NOT NULL REFERENCES boards(board_id) ON DELETE CASCADE,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  role TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL, UNIQUE(board_id, user_id));
CREATE INDEX board_members_by_user ON board_members(user_id);
CREATE TABLE revoked_tokens (jti TEXT COLLATE "C" PRIMARY KEY, expires_ms BIGINT NOT NULL);
CREATE TABLE token_cutoffs (
  user_id TEXT COLLATE "C" PRIMARY KEY, issued_before_s BIGINT NOT NULL, keep_jti TEXT COLLATE "C");
CREATE TABLE secrets (name TEXT COLLATE "C" PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE activity (
  activity_id TEXT COLLATE "C" PRIMARY KEY, board_id TEXT COLLATE "C" NOT NULL,
  session_id TEXT COLLATE "C", task_id TEXT COLLATE "C",
  actor_id TEXT COLLATE "C", actor_agent TEXT COLLATE "C", actor_name TEXT COLLATE "C" NOT NULL,
  verb TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C" NOT NULL, summary TEXT COLLATE "C" NOT NULL, count BIGINT NOT NULL,
  first_seq BIGINT NOT NULL UNIQUE, last_seq BIGINT NOT NULL, ts TEXT COLLATE "C" NOT NULL);
CREATE INDEX activity_by_board ON activity(board_id, first_seq DESC);
CREATE INDEX activity_by_session ON activity(session_id, first_seq DESC)
  WHERE session_id IS NOT NULL;
CREATE INDEX activity_by_task ON activity(task_id) WHERE task_id IS NOT NULL;
ALTER TABLE events
  ALTER COLUMN ts TYPE TEXT COLLATE "C", ALTER COLUMN service TYPE TEXT COLLATE "C",
  ALTER COLUMN event TYPE TEXT COLLATE "C", ALTER COLUMN board_id TYPE TEXT COLLATE "C",
  ALTER COLUMN session_id TYPE TEXT COLLATE "C", ALTER COLUMN user_id TYPE TEXT COLLATE "C",
  ALTER COLUMN actor_id TYPE TEXT COLLATE "C", ALTER COLUMN actor_agent TYPE TEXT COLLATE "C";
)sql",
    // 3: nodes' leases (SQLite's 9): each node's heartbeat, claimed by another node once it is
    // older than the lease (DELETE ... WHERE heartbeat_ms < cutoff: one claimer wins), and
    // the node that runs each agent.
    R"sql(
CREATE TABLE nodes (node_id TEXT COLLATE "C" PRIMARY KEY, heartbeat_ms BIGINT NOT NULL);
ALTER TABLE agent_processes ADD COLUMN node_id TEXT COLLATE "C";
CREATE INDEX agent_processes_by_node ON agent_processes(node_id) WHERE node_id IS NOT NULL;
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
