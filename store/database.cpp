#include "store/database.h"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <filesystem>
#include <vector>

namespace agor {
namespace {

// Migration N (1-based) brings user_version from N-1 to N. Never edit a shipped migration:
// append a new one. Columns added later sit at a table's end: records go out in schema order
// (base/schema.cpp) because every read names its columns.
const std::vector<const char*> kMigrations = {
    // 1: the five services and the event log.
    R"sql(
CREATE TABLE boards (
  board_id TEXT PRIMARY KEY, name TEXT NOT NULL, slug TEXT UNIQUE, description TEXT,
  color TEXT, icon TEXT, visibility TEXT NOT NULL DEFAULT 'public', created_by TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE repos (
  repo_id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT, remote_url TEXT,
  local_path TEXT, default_branch TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE sessions (
  session_id TEXT PRIMARY KEY,
  board_id TEXT NOT NULL REFERENCES boards(board_id) ON DELETE CASCADE,
  repo_id TEXT REFERENCES repos(repo_id) ON DELETE SET NULL,
  agentic_tool TEXT NOT NULL, status TEXT NOT NULL, title TEXT, description TEXT,
  sdk_session_id TEXT, agent_command TEXT, position TEXT, created_by TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX sessions_by_board ON sessions(board_id);
CREATE TABLE tasks (
  task_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
  board_id TEXT NOT NULL, status TEXT NOT NULL, prompt TEXT, message_range TEXT, started_at TEXT, completed_at TEXT,
  duration_ms INTEGER, error TEXT, created_by TEXT, created_at TEXT NOT NULL);
CREATE INDEX tasks_by_session ON tasks(session_id, created_at);
CREATE TABLE messages (
  message_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
  board_id TEXT NOT NULL, task_id TEXT REFERENCES tasks(task_id) ON DELETE SET NULL,
  "index" INTEGER NOT NULL, role TEXT NOT NULL, type TEXT, content TEXT, tool_uses TEXT,
  metadata TEXT, timestamp TEXT NOT NULL, status TEXT, queue_position INTEGER,
  UNIQUE(session_id, "index"));
CREATE INDEX messages_by_task ON messages(task_id);
CREATE INDEX messages_queued ON messages(session_id, queue_position) WHERE status = 'queued';
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, service TEXT NOT NULL,
  event TEXT NOT NULL, board_id TEXT, session_id TEXT, record TEXT NOT NULL);
)sql",
    // 2: what each Socket.IO client subscribed, by its recovery pid, so that a client
    // reconnecting after a daemon restart gets its channels back with its missed events.
    R"sql(
CREATE TABLE client_states (
  pid TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX client_states_by_age ON client_states(updated_at);
)sql",
    // 3: cheaper writes. seq needs no AUTOINCREMENT (and its sqlite_sequence update on every
    // append): pruning always keeps the newest event, so max(seq) + 1 never reuses a seq.
    // Messages without a task (the users') stay out of the task index.
    R"sql(
CREATE TABLE events_v3 (
  seq INTEGER PRIMARY KEY, ts TEXT NOT NULL, service TEXT NOT NULL,
  event TEXT NOT NULL, board_id TEXT, session_id TEXT, record TEXT NOT NULL);
INSERT INTO events_v3 SELECT seq, ts, service, event, board_id, session_id, record FROM events;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;
DROP INDEX messages_by_task;
CREATE INDEX messages_by_task ON messages(task_id) WHERE task_id IS NOT NULL;
)sql",
    // 4: the process group of each running agent (and its leader's start time, to tell it from
    // a reused id), so that a daemon restarted after a crash kills what the dead one left.
    // Not a service: no event, never on the wire; a row lives as long as its agent runs.
    R"sql(
CREATE TABLE agent_processes (
  task_id TEXT PRIMARY KEY, pgid INTEGER NOT NULL, start_time INTEGER NOT NULL);
)sql",
    // 5: a recovery state's channels one row each: joining one no longer rewrites all the
    // others (which made each subscription cost in proportion to the client's earlier ones).
    R"sql(
CREATE TABLE client_channels (
  pid TEXT NOT NULL REFERENCES client_states(pid) ON DELETE CASCADE,
  kind TEXT NOT NULL, channel_id TEXT NOT NULL,
  PRIMARY KEY (pid, kind, channel_id)) WITHOUT ROWID;
INSERT OR IGNORE INTO client_channels
  SELECT pid, 'boards', value FROM client_states,
    json_each(CASE WHEN json_valid(state) THEN state ELSE '{}' END, '$.boards')
  WHERE type = 'text';
INSERT OR IGNORE INTO client_channels
  SELECT pid, 'sessions', value FROM client_states,
    json_each(CASE WHEN json_valid(state) THEN state ELSE '{}' END, '$.sessions')
  WHERE type = 'text';
UPDATE client_states SET state = '{}';
)sql",
    // 6: a queued message has no index until its task starts (then it takes the next one), so
    // a session's indexes stay dense: "index" becomes nullable, and the queued messages of
    // older versions give theirs back. The store removes a repo's sessions' references itself
    // (with their events): finding them must not scan every session.
    R"sql(
CREATE TABLE messages_v6 (
  message_id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,
  board_id TEXT NOT NULL, task_id TEXT REFERENCES tasks(task_id) ON DELETE SET NULL,
  "index" INTEGER, role TEXT NOT NULL, type TEXT, content TEXT, tool_uses TEXT,
  metadata TEXT, timestamp TEXT NOT NULL, status TEXT, queue_position INTEGER,
  UNIQUE(session_id, "index"));
INSERT INTO messages_v6
  SELECT message_id, session_id, board_id, task_id,
         CASE WHEN status = 'queued' THEN NULL ELSE "index" END, role, type, content, tool_uses,
         metadata, timestamp, status, queue_position
  FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v6 RENAME TO messages;
CREATE INDEX messages_by_task ON messages(task_id) WHERE task_id IS NOT NULL;
CREATE INDEX messages_queued ON messages(session_id, queue_position) WHERE status = 'queued';
CREATE INDEX sessions_by_repo ON sessions(repo_id) WHERE repo_id IS NOT NULL;
)sql",
    // 7: identities and private boards. Secrets sit where no record is read from: a password
    // hash in user_passwords, an api key's hash in a column that is no schema field. Board
    // owners are set by the first start (Store::AssignBoardOwners); `public` boards become
    // `team`. events.user_id names the user an event is about (users, api-keys,
    // board-members; a board's owner), so GET /events filters with an index, not json_extract.
    R"sql(
CREATE TABLE users (
  user_id TEXT PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE UNIQUE, name TEXT, emoji TEXT,
  role TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE user_passwords (
  user_id TEXT PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE, hash TEXT NOT NULL);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  name TEXT, prefix TEXT, created_at TEXT NOT NULL, last_used_at TEXT, key_hash TEXT UNIQUE);
CREATE INDEX api_keys_by_user ON api_keys(user_id);
CREATE TABLE board_members (
  id TEXT PRIMARY KEY, board_id TEXT NOT NULL REFERENCES boards(board_id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE, role TEXT NOT NULL,
  created_at TEXT NOT NULL, UNIQUE(board_id, user_id));
CREATE INDEX board_members_by_user ON board_members(user_id);
CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);
CREATE TABLE token_cutoffs (
  user_id TEXT PRIMARY KEY, issued_before_s INTEGER NOT NULL, keep_jti TEXT);
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
ALTER TABLE boards ADD COLUMN owner_id TEXT;
UPDATE boards SET visibility = 'team' WHERE visibility = 'public';
CREATE INDEX boards_by_owner ON boards(owner_id) WHERE owner_id IS NOT NULL;
ALTER TABLE events ADD COLUMN user_id TEXT;
CREATE INDEX events_by_user ON events(user_id, seq) WHERE user_id IS NOT NULL;
)sql",
    // 8: who caused each event (the user; the agent for what a task's run did), and the
    // activity feed derived from the log (store/activity_feed.h) in the same transactions:
    // pages newest first per board, a task's `wrote` entry, a session's newest entry, and
    // pruning with the log by first_seq. Earlier events keep a null actor; the feed starts
    // with the first write after the upgrade.
    R"sql(
ALTER TABLE events ADD COLUMN actor_id TEXT;
ALTER TABLE events ADD COLUMN actor_agent TEXT;
CREATE TABLE activity (
  activity_id TEXT PRIMARY KEY, board_id TEXT NOT NULL, session_id TEXT, task_id TEXT,
  actor_id TEXT, actor_agent TEXT, actor_name TEXT NOT NULL, verb TEXT NOT NULL,
  subject TEXT NOT NULL, summary TEXT NOT NULL, count INTEGER NOT NULL,
  first_seq INTEGER NOT NULL UNIQUE, last_seq INTEGER NOT NULL, ts TEXT NOT NULL);
CREATE INDEX activity_by_board ON activity(board_id, first_seq DESC);
CREATE INDEX activity_by_session ON activity(session_id, first_seq DESC)
  WHERE session_id IS NOT NULL;
CREATE INDEX activity_by_task ON activity(task_id) WHERE task_id IS NOT NULL;
)sql",
    // 9: nodes' leases (issue 14, docs/scale-out.md "Task leases"): each running daemon's
    // heartbeat, and which node runs each agent, so that the others can end a dead node's
    // tasks. One daemon per SQLite file never claims anyone: here they only keep both
    // engines' schemas alike (the agents' node is recorded all the same).
    R"sql(
CREATE TABLE nodes (node_id TEXT PRIMARY KEY, heartbeat_ms INTEGER NOT NULL);
ALTER TABLE agent_processes ADD COLUMN node_id TEXT;
CREATE INDEX agent_processes_by_node ON agent_processes(node_id) WHERE node_id IS NOT NULL;
)sql",
};

int UserVersion(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

void ApplyMigrations(SQLite::Database& db, int version) {
  for (int v = UserVersion(db); v < version; ++v) {
    SQLite::Transaction tx(db);
    db.exec(kMigrations[v]);
    db.exec("PRAGMA user_version = " + std::to_string(v + 1));
    tx.commit();
  }
}

Status CreateParentFolder(const std::string& path) {
  if (path == ":memory:" || path.empty()) return Status::OK();
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Status::OK();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return Status::GeneralError("cannot create " + parent.string() + ": " + ec.message());
  return Status::OK();
}

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(kMigrations.size());
}

Status OpenDatabase(const std::string& path, std::unique_ptr<SQLite::Database>* out, int version,
                    const std::string& vfs) {
  Status s = CreateParentFolder(path);
  if (!s.ok()) return s;
  try {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 0, vfs);
    db->setBusyTimeout(5000);
    db->exec("PRAGMA journal_mode = WAL");
    db->exec("PRAGMA synchronous = NORMAL");
    db->exec("PRAGMA foreign_keys = ON");
    // Savepoint journals (one per write in a batch) stay in memory. SQLite's default page
    // cache (2 MiB) measured faster here than 32 MiB: the OS caches the file anyway.
    db->exec("PRAGMA temp_store = MEMORY");
    if (UserVersion(*db) > LatestSchemaVersion()) {
      return Status::GeneralError(path + " has schema version " + std::to_string(UserVersion(*db)) +
                                  ", newer than this agor (" +
                                  std::to_string(LatestSchemaVersion()) + ")");
    }
    ApplyMigrations(*db, version);
    *out = std::move(db);
    return Status::OK();
  } catch (const std::exception& e) {
    return Status::GeneralError("cannot open database " + path + ": " + e.what());
  }
}

Status StatusFromSqlite(const std::exception& e) {
  auto* se = dynamic_cast<const SQLite::Exception*>(&e);
  if (!se) return Status::GeneralError(e.what());
  switch (se->getExtendedErrorCode()) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::Conflict(se->what());
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Status::BadRequest("a referenced record does not exist");
    case SQLITE_CONSTRAINT_NOTNULL:
      return Status::BadRequest(se->what());
    default:
      return Status::GeneralError(std::string("database error: ") + se->what());
  }
}

}  // namespace agor
