// Store's connection-state recovery records (see store.h): what each Socket.IO client joined,
// by its pid. One row per channel in `client_channels`, so that joining or leaving one channel
// costs the same however many others the client has (a JSON state rewritten whole on every
// subscription made each new one cost in proportion to all before it).
#include "base/clock.h"
#include "store/database.h"
#include "store/store.h"

namespace agor {
namespace {

const char* const kKinds[] = {"boards", "sessions"};

bool KnownKind(const std::string& kind) {
  return kind == kKinds[0] || kind == kKinds[1];
}

}  // namespace

// The pid's row, created or stamped now; its channels stay.
Status Store::TouchClientState(const std::string& pid) {
  return session_->Exec(
      "INSERT INTO client_states (pid, state, updated_at) VALUES (?, '{}', ?) "
      "ON CONFLICT(pid) DO UPDATE SET updated_at = excluded.updated_at",
      {pid, FormatIso8601(clock_->NowMillis())});
}

// Runs `body` in a SAVEPOINT of the open batch, or in a transaction of its own when none is
// open (PostgreSQL has no SAVEPOINT outside one), undone whole when it fails. A body that
// throws (a Json access on a bug's record) fails as GeneralError rather than reach the loop.
Status Store::InSavepoint(const std::function<Status()>& body) {
  bool own = !session_->in_transaction();
  Status s = own ? session_->Begin() : session_->Savepoint("client_state");
  if (!s.ok()) return s;
  try {
    s = body();
  } catch (const std::exception& e) {
    s = StatusFromSqlite(e);
  }
  if (own) {
    if (s.ok()) return session_->Commit();
    if (session_->in_transaction()) session_->Rollback();
    return s;
  }
  // A failed rollback: no savepoint left, the engine rolled back already.
  if (s.ok()) return session_->Release("client_state");
  if (session_->RollbackTo("client_state").ok()) session_->Release("client_state");
  return s;
}

Status Store::SaveClientState(const std::string& pid, const Json& state) {
  return InSavepoint([&] {
    Status s = TouchClientState(pid);
    if (s.ok()) s = session_->Exec("DELETE FROM client_channels WHERE pid = ?", {pid});
    for (const char* kind : kKinds) {
      const Json ids = state.is_object() ? state.value(kind, Json::array()) : Json::array();
      for (const Json& id : ids) {
        if (s.ok() && id.is_string()) s = SetChannel(pid, kind, id.get<std::string>(), true);
      }
    }
    return s;
  });
}

Status Store::SetClientChannel(const std::string& pid, const std::string& kind,
                               const std::string& id, bool joined) {
  if (!KnownKind(kind)) return Status::BadRequest("unknown channel kind " + kind);
  return InSavepoint([&] {
    Status s = TouchClientState(pid);
    return s.ok() ? SetChannel(pid, kind, id, joined) : s;
  });
}

Status Store::SetChannel(const std::string& pid, const std::string& kind, const std::string& id,
                         bool joined) {
  return session_->Exec(joined
                            ? "INSERT INTO client_channels VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
                            : "DELETE FROM client_channels "
                              "WHERE pid = ? AND kind = ? AND channel_id = ?",
                        {pid, kind, id});
}

Status Store::LoadClientState(const std::string& pid, Json* state) {
  SqlRow known;
  Status s = QueryRow("SELECT 1 FROM client_states WHERE pid = ?", {pid}, &known);
  if (s.code() == Code::kNotFound) return Status::NotFound("unknown pid");
  SqlResult r;
  if (s.ok()) {
    s = session_->Query(
        "SELECT kind, channel_id FROM client_channels WHERE pid = ? ORDER BY kind, channel_id",
        {pid}, &r);
  }
  if (!s.ok()) return s;
  Json out{{kKinds[0], Json::array()}, {kKinds[1], Json::array()}};
  for (const SqlRow& row : r.rows) {
    if (KnownKind(row[0].text())) out[row[0].text()].push_back(row[1].text());
  }
  *state = std::move(out);
  return s;
}

Status Store::PruneClientStates(int64_t min_ts_millis) {
  // Their channels go with them (ON DELETE CASCADE).
  return session_->Exec("DELETE FROM client_states WHERE updated_at < ?",
                        {FormatIso8601(min_ts_millis)});
}

}  // namespace agor
