// Opening agor's SQLite file: pragmas and versioned migrations.
//
// The schema version is SQLite's `PRAGMA user_version`; each migration runs in its own
// transaction and bumps it, so a half-applied migration never persists. A database newer than
// this binary is refused rather than guessed at.
#pragma once

#include <SQLiteCpp/Database.h>

#include <memory>
#include <string>

#include "base/status.h"

namespace agor {

// The schema version this binary migrates to.
int LatestSchemaVersion();

// Opens `path` (creating the file, and for a path under a missing folder that folder), sets WAL
// mode, synchronous=NORMAL (a kill -9 loses no committed transaction in WAL mode), foreign keys
// and a busy timeout, then applies pending migrations up to `version` (tests build older
// databases with a lower one). `vfs` names a registered SQLite VFS, "" the default one.
Status OpenDatabase(const std::string& path, std::unique_ptr<SQLite::Database>* out,
                    int version = LatestSchemaVersion(), const std::string& vfs = "");

// Translates a SQLiteCpp exception into agor's error style: UNIQUE/PRIMARY KEY violations are
// Conflict, foreign-key violations BadRequest, anything else GeneralError.
Status StatusFromSqlite(const std::exception& e);

}  // namespace agor
