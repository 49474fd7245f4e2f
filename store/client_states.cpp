// Store's connection-state recovery records (see store.h): what each Socket.IO client joined,
// by its pid. One row per channel in `client_channels`, so that joining or leaving one channel
// costs the same however many others the client has (a JSON state rewritten whole on every
// subscription made each new one cost in proportion to all before it).
#include <SQLiteCpp/Statement.h>

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
  auto st = statements_.Get(
      "INSERT INTO client_states (pid, state, updated_at) VALUES (?, '{}', ?) "
      "ON CONFLICT(pid) DO UPDATE SET updated_at = excluded.updated_at");
  st->bind(1, pid);
  st->bind(2, FormatIso8601(clock_->NowMillis()));
  st->exec();
  return Status::OK();
}

// Runs `body` in a SAVEPOINT (a transaction of its own when no batch is open), undone whole
// when it throws or fails.
Status Store::InSavepoint(const std::function<Status()>& body) {
  try {
    statements_.Get("SAVEPOINT client_state")->exec();
    Status s = body();
    statements_.Get(s.ok() ? "RELEASE client_state" : "ROLLBACK TO client_state")->exec();
    if (!s.ok()) statements_.Get("RELEASE client_state")->exec();
    return s;
  } catch (const std::exception& e) {
    try {
      db_->exec("ROLLBACK TO client_state");
      db_->exec("RELEASE client_state");
    } catch (const std::exception&) {
      // No savepoint left: SQLite rolled back already.
    }
    return StatusFromSqlite(e);
  }
}

Status Store::SaveClientState(const std::string& pid, const Json& state) {
  return InSavepoint([&] {
    Status s = TouchClientState(pid);
    auto clear = statements_.Get("DELETE FROM client_channels WHERE pid = ?");
    clear->bind(1, pid);
    clear->exec();
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
  auto st =
      statements_.Get(joined ? "INSERT INTO client_channels VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
                             : "DELETE FROM client_channels "
                               "WHERE pid = ? AND kind = ? AND channel_id = ?");
  st->bind(1, pid);
  st->bind(2, kind);
  st->bind(3, id);
  st->exec();
  return Status::OK();
}

Status Store::LoadClientState(const std::string& pid, Json* state) {
  try {
    auto known = statements_.Get("SELECT 1 FROM client_states WHERE pid = ?");
    known->bind(1, pid);
    if (!known->executeStep()) return Status::NotFound("unknown pid");
    Json out{{kKinds[0], Json::array()}, {kKinds[1], Json::array()}};
    auto st = statements_.Get(
        "SELECT kind, channel_id FROM client_channels WHERE pid = ? ORDER BY kind, channel_id");
    st->bind(1, pid);
    while (st->executeStep()) {
      std::string kind = st->getColumn(0).getString();
      if (KnownKind(kind)) out[kind].push_back(st->getColumn(1).getString());
    }
    *state = std::move(out);
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

Status Store::PruneClientStates(int64_t min_ts_millis) {
  try {
    auto st = statements_.Get("DELETE FROM client_states WHERE updated_at < ?");
    st->bind(1, FormatIso8601(min_ts_millis));
    st->exec();  // their channels go with them (ON DELETE CASCADE)
    return Status::OK();
  } catch (const std::exception& e) {
    return StatusFromSqlite(e);
  }
}

}  // namespace agor
