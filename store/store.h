// Store: the services' persistence (base/schema.h) on one SQLite file (WAL, foreign keys on)
// or one PostgreSQL database (issue 14: docs/scale-out.md "One store model, two engines"),
// with the event log, the identities' secrets and the privacy rule's state. Every write
// (create/update/patch/remove) runs validation, the change and the event-log append as one unit (a
// SAVEPOINT); only after COMMIT is the CommitListener told, so listeners never see an event for a
// rolled-back write and see events in seq order.
//
// Group commit: without a commit scheduler every write commits before Write returns. With
// one, writes join one open batch transaction; its first write calls the scheduler, whose
// owner calls Commit() soon on the same thread (the daemon: once the event loop has handled
// what is ready). Each commit appends every touched page to the WAL once, so a batch of N
// writes costs far less than N commits. Nothing a batch did may leave the process before its
// COMMIT: answers wait in AfterCommit, and a refused write undoes only itself.
//
// Ids: UUIDv4 from the OS's random source unless the client sends a valid UUID. get, update,
// patch and remove accept a unique prefix of at least 8 hex digits (Conflict when ambiguous).
// A write that breaks a unique constraint answers Conflict naming the taken value
// (`slug "web" is already taken`).
//
// Every record a write changes gets its own event, in the write's transaction: the store
// changes dependent rows itself (store/store_cascade.cpp) rather than leaving it to SQLite's
// foreign-key actions, so the events and the rows cannot disagree. Removing a board removes
// its sessions' messages, then their tasks, then the sessions, then the board (each
// `removed`, children before their parent); removing a session: its messages, its tasks, the
// session; removing a task patches its messages to task_id null (`messages patched`); removing
// a repo patches its sessions to repo_id null (`sessions patched`, updated_at stamped). Removing
// a board also removes its board-members (after its sessions, before the board, so members
// hear of the sessions' removal); removing a user removes their api-keys, then their
// board-members, then (no event) their password. A
// session moved to another board is `patched` first, then each of its tasks and messages
// (their board_id follows). Cost: linear in the records changed.
//
// Message indexes stay dense (0..n-1 per session while nothing is removed): a message gets
// the next index of its session when it is created, unless it is `queued` (a prompt waiting
// for the running task): a queued message has index null and takes the next index when it
// leaves the queue (patched to another status). So cancelling a queued prompt leaves no hole.
//
// Actors: every event a write appends (cascades included) records who caused it
// (Event::actor_id, actor_agent), taken from the innermost live ActorScope: the dispatcher
// opens one with the caller around each call, the task manager one with its agent around
// what a run writes. No scope: the daemon's own writes (recovery after a restart), no actor.
//
// Activity: each write's own event (not the children it cascades to) is run through the
// feed's rules (store/activity_feed.h) in the write's transaction; an entry it starts or grows
// is told to the activity listener after COMMIT, after the write's events, as a seq-less Event
// of service "activity" (event "created" or "patched", record the entry, board_id its board).
//
// Thread-safety: none. One thread (the daemon's event loop) owns a Store and calls it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "store/access_policy.h"
#include "store/checkpointer.h"
#include "store/event_log.h"
#include "store/pg_connection.h"
#include "store/query.h"
#include "store/sql_session.h"
#include "store/statement_cache.h"

namespace agor {

// A running agent's process group, as recorded for the next daemon (see
// Store::RecordAgentProcess).
struct AgentProcess {
  std::string task_id;
  int64_t pgid = 0;
  int64_t start_time = 0;  // of the group leader, in the OS's units (clock ticks after boot)
  std::string node_id;     // the node that runs it ("" for rows of older versions)
};

// Whether `path` names a PostgreSQL database (a postgresql:// or postgres:// URL) rather than
// a SQLite file.
bool IsPostgresUrl(const std::string& path);

// How often a node on a shared store re-reads the revoked tokens (Store::RefreshTokens): the
// longest another node's logout or password change takes to end calls on this node's open
// connections.
inline constexpr int kTokenRefreshMs = 1000;

struct StoreOptions {
  // A SQLite file (":memory:" for tests), or a postgresql:// (postgres://) URL: the store then
  // runs on that database, migrated by store/pg_database.h. What has not moved onto the
  // engine-neutral seam yet answers GeneralError there (docs/scale-out.md "What remains").
  std::string path;
  QueryLimits limits;
  std::string vfs;  // SQLite VFS of the store's connection; "" = the default (tests inject faults)
};

class Store {
 public:
  using CommitListener = std::function<void(const Event&)>;

  // While it lives, the store's writes are by `user_id` ("" none) and, for a task's run, its
  // `agent` ("" none). Scopes nest: each restores the actor it replaced. Stack-only.
  class ActorScope {
   public:
    ActorScope(Store* store, std::string user_id, std::string agent);
    ~ActorScope();
    ActorScope(const ActorScope&) = delete;
    ActorScope& operator=(const ActorScope&) = delete;

   private:
    Store* store_;
    std::string saved_id_, saved_agent_;
  };

  // Opens (creating if needed) and migrates the database at options.path (a SQLite path or a
  // PostgreSQL URL). `clock` is borrowed.
  static Status Open(const StoreOptions& options, Clock* clock, std::unique_ptr<Store>* out);
  ~Store();

  // Feathers service methods. `service` is a name from AllServices(); others are NotFound.
  // Results are wire records (JSON objects in column order); find answers a page
  // {total, limit, skip, data}.
  Status Find(const std::string& service, const Json& query, Json* page);
  Status Get(const std::string& service, const std::string& id, Json* record);
  Status Create(const std::string& service, const Json& data, Json* record);
  Status Update(const std::string& service, const std::string& id, const Json& data, Json* record);
  Status Patch(const std::string& service, const std::string& id, const Json& data, Json* record);
  Status Remove(const std::string& service, const std::string& id, Json* record);

  // The read-only `events` service: a page of the event log, records shaped like Event
  // ({seq, ts, service, event, board_id, session_id, record, actor: {user_id, agent}}, the
  // actor's fields null when empty; a query may filter on actor_id and actor_agent).
  Status FindEvents(const Json& query, Json* page);

  // Reads as one user sees them: only the rows and events access() lets `viewer_id` see, the
  // total counting only those (a private board's rows are not even counted). The forms
  // without a viewer read everything: the daemon's own reads (agents, recovery bookkeeping).
  Status Find(const std::string& service, const Json& query, Json* page,
              const std::string& viewer_id);
  Status FindEvents(const Json& query, Json* page, const std::string& viewer_id);

  // The read-only `activity` feed (store/activity_feed.h) as `viewer_id` sees it (the one
  // rule, on the entry's board). find's query: `board_id` (optional: without it, the entries
  // of every board the viewer sees), `$limit` (default 50, at most 500; 0 counts only),
  // `$before` (a seq: entries whose first_seq is below it, to page on); any other field, a
  // negative or non-integer $limit or $before, or a board_id that is no string answers
  // BadRequest naming it. A board the viewer cannot see reads as an empty page, exactly as a
  // missing board does (and as `GET /sessions?board_id=` does). Pages {total, limit, skip:
  // 0, data}, newest first (by first_seq). get takes an activity_id (or a unique prefix of at
  // least 8 hex digits); one the viewer may not see is NotFound like a missing one.
  Status FindActivity(const Json& query, Json* page, const std::string& viewer_id);
  Status GetActivity(const std::string& id, Json* record, const std::string& viewer_id);
  // Drops the entries whose first event the log no longer holds (pruned with its retention).
  Status PruneActivity(int64_t* removed = nullptr);

  // Create with fields the server sets (a board's owner_id, a record's created_by): merged
  // into the validated record, not subject to the client-write rules.
  Status Create(const std::string& service, const Json& data, Json* record,
                const Json& server_fields);

  // The privacy rule, kept current with every commit (store/access_policy.h).
  const AccessPolicy& access() const { return access_; }
  // An event another node committed (a remote broker's delivery, in seq order): the policy
  // takes it in as it took this store's own at their commit. An own event given again is
  // harmless: the policy sets each record's state, so applying in seq order converges.
  void TakeInRemote(const Event& ev) { access_.Apply(ev); }

  // Users and their secrets (store/store_users.cpp). A password hash lives in its own table:
  // no record, event, page or log line ever carries it. `password_hash` "" on patch keeps the
  // old one. Each is one write with its `users created/patched` event.
  Status CreateUser(const Json& data, const std::string& password_hash, Json* record);
  Status PatchUser(const std::string& id, const Json& data, const std::string& password_hash,
                   Json* record);
  // The user with that email (case-insensitive) and their hash; NotFound when none.
  Status FindLogin(const std::string& email, Json* user, std::string* password_hash);
  Status PasswordHash(const std::string& user_id, std::string* password_hash);
  int64_t CountUsers();

  // API keys: stored as the hash of the key (never the key), found by it. CreateApiKey's
  // `data` holds user_id and name; it logs `api-keys created`. TouchApiKey stamps
  // last_used_at (no event; at most once a minute per key, so a busy key costs no writes).
  Status CreateApiKey(const Json& data, const std::string& prefix, const std::string& key_hash,
                      Json* record);
  Status FindApiKey(const std::string& key_hash, Json* record);
  Status TouchApiKey(const std::string& id);

  // Access tokens: a revoked jti (kept until the token would have expired anyway), and a
  // per-user cut-off that revokes every token issued before it but `keep_jti` (a password
  // change keeps the session that made it). IsTokenRevoked checks this store's mirror in
  // memory; on a store several nodes share (PostgreSQL), another node's revocations reach the
  // mirror by RefreshTokens (the node runs it every kTokenRefreshMs) and, for one token, by
  // IsTokenRevokedNow, which reads that token's rows first (a JWT being resolved: a logout on
  // any node holds at once for new requests and connections). It answers revoked when the
  // store cannot be read: it fails closed.
  Status RevokeToken(const std::string& jti, int64_t expires_ms);
  Status RevokeUserTokens(const std::string& user_id, int64_t issued_before_s,
                          const std::string& keep_jti);
  bool IsTokenRevoked(const std::string& jti, const std::string& user_id, int64_t issued_at_s);
  bool IsTokenRevokedNow(const std::string& jti, const std::string& user_id, int64_t issued_at_s);
  Status RefreshTokens();

  // A named server secret (the JWT signing key): the stored one, or `make()`'s value stored
  // now, so restarts keep it.
  Status GetOrCreateSecret(const std::string& name, const std::function<std::string()>& make,
                           std::string* value);
  // Gives every board without an owner (a database from before identities) `user_id` as
  // owner, each with its `boards patched` event: the first start's admin.
  Status AssignBoardOwners(const std::string& user_id);

  // Connection-state recovery: the subscriptions a Socket.IO client had, by its pid, as
  // {"boards": [ids], "sessions": [ids]} (kept one row per channel: store/client_states.cpp).
  // SaveClientState replaces them all; SetClientChannel joins (or leaves) one `kind`
  // ("boards" or "sessions") in time that does not grow with the others. Both stamp the pid
  // as used now. LoadClientState answers NotFound for an unknown (or pruned) pid.
  Status SaveClientState(const std::string& pid, const Json& state);
  Status SetClientChannel(const std::string& pid, const std::string& kind, const std::string& id,
                          bool joined);
  Status LoadClientState(const std::string& pid, Json* state);
  // Drops client states untouched since `min_ts_millis`.
  Status PruneClientStates(int64_t min_ts_millis);

  // Agent process groups, outside the services (no event, no validation): recorded when an
  // agent starts, forgotten when it ends, listed by the next daemon to kill what a crashed
  // one left behind. Written in the open batch when there is one (committed with it).
  Status RecordAgentProcess(const AgentProcess& process);
  Status ForgetAgentProcess(const std::string& task_id);
  Status ListAgentProcesses(std::vector<AgentProcess>* out);

  // Nodes' leases (store/store_nodes.cpp; docs/scale-out.md "Task leases"), outside the
  // services like agent processes. Heartbeat stamps `node_id`'s row with `now_ms`, creating it
  // when missing; `had_row` (optional) says whether it was there (false: first beat, or
  // another node claimed this one). ExpiredNodes lists (at most 100) nodes whose heartbeat is
  // older than `before_ms`. ClaimNode deletes `dead_id`'s row if its heartbeat is still older
  // than `before_ms`: of several claimers exactly one sees `*won`, and gets the dead node's
  // agent processes, now recorded as `claimer_id`'s (so that a claimer dying in turn passes
  // them on with its own lease) in `taken`. Both in one transaction (the open batch's if any).
  Status Heartbeat(const std::string& node_id, int64_t now_ms, bool* had_row = nullptr);
  Status ExpiredNodes(int64_t before_ms, std::vector<std::string>* node_ids);
  Status ClaimNode(const std::string& dead_id, int64_t before_ms, const std::string& claimer_id,
                   bool* won, std::vector<AgentProcess>* taken);

  // Resolves a full id or a unique prefix to the stored full id.
  Status ResolveId(const std::string& service, const std::string& id, std::string* full_id);
  // The same among the records `viewer_id` may see (access()): a prefix is ambiguous only
  // between records the viewer sees, and one they may not see resolves as a missing one, so
  // an id's answer never tells that a hidden record exists.
  Status ResolveId(const std::string& service, const std::string& id, std::string* full_id,
                   const std::string& viewer_id);

  // Called after each committed write with its event. One listener; set before use.
  void SetCommitListener(CommitListener listener) { listener_ = std::move(listener); }
  // Called after each commit with the feed's events of its writes (see Activity above), in
  // order, after the write's own events. One listener; without one they are dropped.
  void SetActivityListener(CommitListener listener) { activity_listener_ = std::move(listener); }

  // Turns group commit on (see above); `schedule` must lead to one Commit() call.
  void SetCommitScheduler(std::function<void()> schedule) { scheduler_ = std::move(schedule); }
  // Told how long each COMMIT statement took, in µs of SteadyClock (the daemon's metrics).
  void SetCommitTimer(std::function<void(int64_t)> timer) { commit_timer_ = std::move(timer); }
  // Commits the open batch, then runs, in the order they happened, the listener for each of
  // its events and the AfterCommit callbacks (with the commit's status; events of a failed
  // commit are not told). OK when no batch is open.
  Status Commit();
  // Runs `fn` after the open batch commits, or now with OK when none is open.
  void AfterCommit(std::function<void(const Status&)> fn);
  bool batch_open() const { return batch_open_; }
  // The JSON text of the record the last successful write returned (what the event log
  // stored), so an answer need not serialize it again. Valid until the next write.
  const std::string& last_record_json() const { return last_record_json_; }

  EventLog* event_log() { return event_log_.get(); }
  // Truncating WAL checkpoint (after stopping the background checkpointer); called on clean
  // shutdown.
  void Checkpoint();

 private:
  struct WriteContext {  // one write's schema, time and events
    const ServiceSchema& schema;
    std::string now;  // ISO-8601 stamp shared by the record and its events
    Event event;
    // The events of the other records the write changed, logged before `event` (the removed
    // children of a removed record) or after it (the moved children of a moved session).
    std::vector<Event> before, after;
    std::vector<Event> activity;  // the feed entries it started or grew (store_activity.cpp)
  };
  struct Pending {  // an event to tell, or a callback to run, after COMMIT
    Event event;
    std::function<void(const Status&)> then;
  };
  Store(std::unique_ptr<SQLite::Database> db, std::unique_ptr<PgConnection> pg, Clock* clock,
        const StoreOptions& options);
  static Status OpenPostgres(const StoreOptions& options, Clock* clock,
                             std::unique_ptr<Store>* out);
  // What both engines load at Open: the privacy rule's state and the revoked tokens.
  static Status Finish(std::unique_ptr<Store> store, std::unique_ptr<Store>* out);

  // Runs `change` with the event-log append in a SAVEPOINT of the batch transaction; any
  // failure rolls back to it. A change of `one_statement` needs none on SQLite, which undoes a
  // failed statement by itself (an append failing after it aborts the whole batch: a disk or
  // I/O error); PostgreSQL aborts the transaction on any failed statement, so there every
  // write takes its savepoint. Commits at once without a scheduler.
  Status Write(const ServiceSchema& schema, const char* event,
               const std::function<Status(WriteContext&)>& change, Json* record,
               bool one_statement = false);
  Status RunChange(WriteContext& ctx, const char* event,
                   const std::function<Status(WriteContext&)>& change, bool savepoint);
  Status OpenBatch();
  void FailBatch(const Status& status);
  void AbortBatch(const Status& status);  // ROLLBACK, then FailBatch
  Status Insert(WriteContext& ctx, const Json& clean, const Json& server_fields = Json());
  Status CheckFixedFields(const ServiceSchema& schema, const Json& stored, const Json& clean);
  Status Replace(WriteContext& ctx, const std::string& id, const Json& clean, bool whole);
  Status Load(const ServiceSchema& schema, const std::string& full_id, Json* record);
  Status ResolveId(const std::string& service, const std::string& id, std::string* full_id,
                   const std::string* viewer_id);
  // Every reference in `clean` names a stored record, except the field `verified` (known).
  Status CheckReferences(const ServiceSchema& schema, const Json& clean,
                         const char* verified = nullptr);
  Status DeriveBoard(Json* record);
  Status PlaceMessage(Json* record, const Json& old_index);
  Status NextMessageIndex(const std::string& session_id, int64_t* index);
  // The write's events into the log: ctx.before, ctx.event, ctx.after, in that order.
  Status AppendEvents(WriteContext& ctx);
  // The write's own event through the feed's rules.
  Status AppendActivity(WriteContext& ctx);
  // Dependent rows, each with its event (store/store_cascade.cpp).
  Status RemoveDependents(WriteContext& ctx, const std::string& id);
  Status RemoveDependents(WriteContext& ctx, const std::string& service, const std::string& id);
  Status MoveSessionChildren(WriteContext& ctx, const Json& session);
  Status LoadRows(const ServiceSchema& schema, const char* column, const std::string& value,
                  const char* order, std::vector<Json>* rows);
  Status DeleteRows(WriteContext& ctx, const char* service, const char* column,
                    const std::string& value, const char* order);
  Status NullReference(WriteContext& ctx, const char* service, const char* column,
                       const std::string& value, const char* order);
  Status Translate(const Status& s, const ServiceSchema& schema);
  // The single row of `sql` into `row`: NotFound when there is none.
  Status QueryRow(const std::string& sql, std::initializer_list<SqlValue> params, SqlRow* row);
  // `viewer_id` null: every row; else only what the access rule lets that user see.
  Status FindIn(const ServiceSchema& schema, const Json& query, Json* page,
                const std::string* viewer_id = nullptr);
  // Identities (store/store_users.cpp).
  Status LoadTokens();
  Status StorePassword(const std::string& user_id, const std::string& password_hash);
  // Runs `body` in the open batch when there is one (so it commits with it), else in a
  // transaction of its own; undone whole when it fails (store/client_states.cpp).
  Status InSavepoint(const std::function<Status()>& body);
  // Client states (store/client_states.cpp).
  Status TouchClientState(const std::string& pid);
  Status SetChannel(const std::string& pid, const std::string& kind, const std::string& id,
                    bool joined);

  // SQLite's alone (null on PostgreSQL): the WAL hook, the Checkpointer, Checkpoint(), and the
  // paths still on SQLiteCpp (statements_).
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<PgConnection> pg_;            // PostgreSQL's connection (null on SQLite)
  std::unique_ptr<Checkpointer> checkpointer_;  // file databases only; stops before db_ closes
  std::unique_ptr<EventLog> event_log_;
  AccessPolicy access_;
  Clock* clock_;
  StoreOptions options_;
  CommitListener listener_;
  CommitListener activity_listener_;
  std::string actor_id_, actor_agent_;  // the innermost ActorScope's
  std::function<void()> scheduler_;
  std::function<void(int64_t)> commit_timer_;
  bool batch_open_ = false;
  std::vector<Pending> pending_;
  std::string last_record_json_;
  StatementCache statements_;  // SqliteSession's, on db_ (unused on PostgreSQL)
  // The engine-neutral seam (store/sql_session.h): SqliteSession over db_ and statements_, or
  // PgSession over pg_. What moved onto it runs on either engine (docs/scale-out.md).
  std::unique_ptr<SqlSession> session_;
  std::unordered_map<const ServiceSchema*, std::string> insert_sql_;
  std::vector<SqlValue> write_params_;  // Insert's and Replace's, reused: no vector per write
  SqlResult row_result_;                // QueryRow's, reused likewise
  // Token revocation, mirrored from revoked_tokens and token_cutoffs (loaded at Open).
  struct Cutoff {
    int64_t issued_before_s = 0;
    std::string keep_jti;
  };
  std::unordered_map<std::string, int64_t> revoked_jtis_;  // jti -> expires_ms
  std::unordered_map<std::string, Cutoff> cutoffs_;        // user_id -> cut-off
  int64_t next_prune_ms_ = 0;
  std::unordered_map<std::string, int64_t> key_touched_ms_;  // api key id -> last stamp
};

}  // namespace agor
