// Store: the five services' persistence on one SQLite file (WAL, foreign keys on), with the
// event log. Every write (create/update/patch/remove) runs validation, the change and the
// event-log append in one transaction; only after COMMIT is the CommitListener told, so
// listeners never see an event for a rolled-back write and see events in seq order.
//
// Ids: UUIDv4 from the OS's random source unless the client sends a valid UUID. get, update,
// patch and remove accept a unique prefix of at least 8 hex digits (Conflict when ambiguous).
//
// Thread-safety: none. One thread (the daemon's event loop) owns a Store and calls it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "store/clock.h"
#include "store/event_log.h"
#include "store/query.h"
#include "store/statement_cache.h"
#include "store/status.h"

namespace agor {

struct StoreOptions {
  std::string path;  // SQLite file; ":memory:" for tests
  QueryLimits limits;
};

class Store {
 public:
  using CommitListener = std::function<void(const Event&)>;

  // Opens (creating if needed) and migrates the database at options.path. `clock` is borrowed.
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
  // ({seq, ts, service, event, board_id, session_id, record}).
  Status FindEvents(const Json& query, Json* page);

  // Connection-state recovery: the subscriptions a Socket.IO client had, by its pid.
  // LoadClientState answers NotFound for an unknown (or pruned) pid.
  Status SaveClientState(const std::string& pid, const Json& state);
  Status LoadClientState(const std::string& pid, Json* state);
  // Drops client states untouched since `min_ts_millis`.
  Status PruneClientStates(int64_t min_ts_millis);

  // Resolves a full id or a unique prefix to the stored full id.
  Status ResolveId(const std::string& service, const std::string& id, std::string* full_id);

  // Called after each committed write with its event. One listener; set before use.
  void SetCommitListener(CommitListener listener) { listener_ = std::move(listener); }

  EventLog* event_log() { return event_log_.get(); }
  // Truncating WAL checkpoint; called on clean shutdown.
  void Checkpoint();

 private:
  struct WriteContext;  // one write's schema, time and event, defined in store.cpp
  Store(std::unique_ptr<SQLite::Database> db, Clock* clock, const StoreOptions& options);

  // Runs `change` in one IMMEDIATE transaction with the event-log append; commits, then tells
  // the listener. Any failure rolls back everything.
  Status Write(const ServiceSchema& schema, const char* event,
               const std::function<Status(WriteContext&)>& change, Json* record);
  Status Insert(WriteContext& ctx, const Json& clean);
  Status Replace(WriteContext& ctx, const std::string& id, const Json& clean, bool whole);
  Status Load(const ServiceSchema& schema, const std::string& full_id, Json* record);
  Status CheckReferences(const ServiceSchema& schema, const Json& clean);
  Status DeriveBoard(Json* record);
  void MoveSessionChildren(const Json& session);
  int64_t NextMessageIndex(const std::string& session_id);
  Status Translate(const std::exception& e, const ServiceSchema& schema);
  Status FindIn(const ServiceSchema& schema, const Json& query, Json* page);

  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<EventLog> event_log_;
  Clock* clock_;
  StoreOptions options_;
  CommitListener listener_;
  StatementCache statements_;
};

}  // namespace agor
