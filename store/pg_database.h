// Versioned migrations of agor's PostgreSQL schema, the counterpart of store/database.h.
//
// Applied migrations are rows of `schema_migrations` (version, applied_at); each migration runs
// in its own transaction with its row, so a half-applied one never persists. Several nodes may
// start on one database at once: the whole migration holds a session advisory lock, so one node
// migrates while the others wait, then find nothing left to do. A database newer than this
// binary is refused rather than guessed at.
//
// Runs on the caller's connection and thread, outside any transaction of the caller's.
#pragma once

#include "base/status.h"
#include "store/pg_connection.h"

namespace agor {

// The PostgreSQL schema version this binary migrates to.
int LatestPgSchemaVersion();

// Applies pending migrations up to `version` (tests build older schemas with a lower one).
Status MigratePgDatabase(PgConnection* conn, int version = LatestPgSchemaVersion());

// The version `conn`'s database is at (0 when never migrated).
Status PgSchemaVersion(PgConnection* conn, int* version);

}  // namespace agor
