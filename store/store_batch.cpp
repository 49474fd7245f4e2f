// Store's write path and group commit (see store.h): one write's change and its event in
// the batch transaction, the batch's COMMIT, and what waits on it, on the store's SqlSession
// (either engine).
#include "store/database.h"
#include "store/store.h"

namespace agor {
namespace {

// The write's savepoint, as constants: no string is built per write.
const std::string kSavepoint = "SAVEPOINT write";
const std::string kRelease = "RELEASE write";
const std::string kRollbackTo = "ROLLBACK TO write";

// Channels route on the event's board and session, privacy also on the user it is about
// (event_log.h), all copied from the record.
void ScopeEvent(Event* ev) {
  const Json& r = ev->record;
  auto str = [&](const char* k) {
    return r.contains(k) && r[k].is_string() ? r[k].get<std::string>() : "";
  };
  ev->board_id = str("board_id");
  ev->session_id = str("session_id");
  const std::string& service = ev->service;
  if (service == "users" || service == "api-keys" || service == "board-members")
    ev->user_id = str("user_id");
  else if (service == "boards")
    ev->user_id = str("owner_id");
}

}  // namespace

Store::ActorScope::ActorScope(Store* store, std::string user_id, std::string agent)
    : store_(store), saved_id_(std::move(user_id)), saved_agent_(std::move(agent)) {
  std::swap(store_->actor_id_, saved_id_);
  std::swap(store_->actor_agent_, saved_agent_);
}

Store::ActorScope::~ActorScope() {
  std::swap(store_->actor_id_, saved_id_);
  std::swap(store_->actor_agent_, saved_agent_);
}

Status Store::Write(const ServiceSchema& schema, const char* event,
                    const std::function<Status(WriteContext&)>& change, Json* record,
                    bool one_statement) {
  WriteContext ctx{schema, FormatIso8601(clock_->NowMillis()), Event{}, {}, {}, {}};
  Status s = OpenBatch();
  // PostgreSQL aborts the whole transaction on a failed statement: one-statement writes too
  // need their savepoint there.
  bool savepoint = !one_statement || session_->dialect().failed_statement_aborts_transaction();
  if (s.ok()) s = RunChange(ctx, event, change, savepoint);
  if (s.ok()) {
    *record = ctx.event.record;
    last_record_json_ = ctx.event.record_json;
    for (auto& ev : ctx.before) pending_.push_back({std::move(ev), nullptr});
    pending_.push_back({std::move(ctx.event), nullptr});
    for (auto& ev : ctx.after) pending_.push_back({std::move(ev), nullptr});
    for (auto& ev : ctx.activity) pending_.push_back({std::move(ev), nullptr});
  } else if (batch_open_ && !session_->in_transaction()) {
    FailBatch(s);  // the engine rolled the whole transaction back (disk full, I/O error)
  }
  if (scheduler_) return s;
  Status committed = Commit();
  return s.ok() ? committed : s;
}

Status Store::RunChange(WriteContext& ctx, const char* event,
                        const std::function<Status(WriteContext&)>& change, bool savepoint) {
  Status s;
  bool changed = false;
  if (savepoint) s = session_->Exec(kSavepoint);
  if (!s.ok()) return s;
  try {  // a Json access that throws (a bug) fails the write, not the event loop
    s = change(ctx);
    changed = s.ok();
    ctx.event.service = ctx.schema.name;
    ctx.event.event = event;
    if (s.ok()) s = AppendEvents(ctx);
    if (s.ok()) s = AppendActivity(ctx);  // derived in the same transaction: undone with it
    if (s.ok() && savepoint) s = session_->Exec(kRelease);
  } catch (const std::exception& e) {
    s = StatusFromSqlite(e);
  }
  s = Translate(s, ctx.schema);
  if (s.ok()) return s;
  if (!savepoint) {
    // One statement: SQLite undid it if it failed. If its event failed after it, the batch
    // cannot commit without breaking "every committed write has its event": all of it goes.
    if (changed) AbortBatch(s);
    return s;
  }
  // Fails when no savepoint is left: the engine already rolled back the transaction (the
  // caller checks).
  if (session_->Exec(kRollbackTo).ok()) session_->Exec(kRelease);
  return s;
}

Status Store::AppendEvents(WriteContext& ctx) {
  Status s;
  auto append = [&](Event& ev) {
    ScopeEvent(&ev);
    ev.ts = ctx.now;
    ev.actor_id = actor_id_;
    ev.actor_agent = actor_agent_;
    if (s.ok()) s = event_log_->Append(&ev);
  };
  for (auto& ev : ctx.before) append(ev);
  append(ctx.event);
  for (auto& ev : ctx.after) append(ev);
  return s;
}

void Store::AbortBatch(const Status& status) {
  if (session_->in_transaction()) session_->Rollback();  // else rolled back by the engine
  FailBatch(status);
}

Status Store::OpenBatch() {
  if (batch_open_) return Status::OK();
  Status s = session_->Begin();
  if (!s.ok()) return s;
  batch_open_ = true;
  if (scheduler_) scheduler_();
  return Status::OK();
}

Status Store::Commit() {
  if (!batch_open_) return Status::OK();
  batch_open_ = false;
  int64_t started_us = commit_timer_ ? SteadyClock()->NowMicros() : 0;
  Status s = session_->Commit();
  if (!s.ok() && session_->in_transaction()) session_->Rollback();  // else nothing left to undo
  if (commit_timer_) commit_timer_(SteadyClock()->NowMicros() - started_us);
  std::vector<Pending> done;
  done.swap(pending_);
  for (auto& p : done) {
    if (p.then) {
      p.then(s);
    } else if (s.ok() && p.event.seq == 0) {  // the feed's (store_activity.cpp)
      if (activity_listener_) activity_listener_(p.event);
    } else if (s.ok()) {
      access_.Apply(p.event);  // before anyone hears of it: a revocation holds from here
      if (listener_) listener_(p.event);
    }
  }
  return s;
}

// The batch is gone: its writes never happened, and whoever waits on it is told so.
void Store::FailBatch(const Status& status) {
  batch_open_ = false;
  std::vector<Pending> done;
  done.swap(pending_);
  for (auto& p : done) {
    if (p.then) p.then(status);
  }
}

void Store::AfterCommit(std::function<void(const Status&)> fn) {
  if (!batch_open_) return fn(Status::OK());
  pending_.push_back({Event{}, std::move(fn)});
}

}  // namespace agor
