// Bootstrap: the first start of a database. When it has no user, `agor serve` creates the
// admin `admin@localhost` (role admin, name "admin") with a random 24-character password and
// an API key named "admin-credentials", and gives that admin every board without an owner (a
// database from before users existed). The secrets are written once, as JSON
// {"email", "password", "api_key", "url"}, to `admin-credentials` in the database's folder,
// mode 0600, so the CLI on the same machine needs no login; the log says where, never what.
//
// The file is written through a new temporary file (O_CREAT|O_EXCL|O_NOFOLLOW, 0600, so no
// planted file or symlink is written through) renamed over the old one: a reader sees the
// old file or the whole new one. A `:memory:` database gets the admin but no file.
//
// Thread-safety: runs before the event loop does, on the thread that starts the node.
#pragma once

#include <string>

#include "base/status.h"
#include "store/store.h"

namespace agor {

struct AdminCredentials {
  std::string user_id;
  std::string email;
  std::string password;
  std::string api_key;
};

// Creates the admin when the store has no user; `*created` says whether it did, and `admin`
// then holds its secrets. Hashes on the calling thread (the loop does not run yet).
Status EnsureAdmin(Store* store, bool* created, AdminCredentials* admin);

// "<folder of db_path>/admin-credentials"; "" for ":memory:".
std::string AdminCredentialsPath(const std::string& db_path);

// Writes `admin` and `url` to `path` (0600, replacing an old file atomically).
Status WriteAdminCredentials(const std::string& path, const AdminCredentials& admin,
                             const std::string& url);

}  // namespace agor
