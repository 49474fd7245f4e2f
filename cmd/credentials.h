// Credentials: which token a client command sends, and the CLI's token file.
//
// Contract:
// - The token, first found wins (ResolveCredential):
//   1. `--token T` (the flag), then $AGOR_TOKEN when set and non-empty: a JWT or an `agor_sk_`
//      API key, sent as given;
//   2. the saved login, `~/.agor/cli-token` (written by `agor login`): JSON {url, email,
//      accessToken}, used only for the daemon it was issued by (same URL; loopback names are one
//      host), so a token never travels to another server;
//   3. the `admin-credentials` file `agor serve` writes beside its default database
//      (`~/.agor/admin-credentials`, JSON {email, password, api_key, url}): its api_key, when the
//      file is readable and its url is the daemon's. This is what lets `agor board list` work on a
//      dev machine right after `agor serve`.
//   None of them: no token (the server answers 401 and the CLI says how to log in).
// - Files are opened with O_NOFOLLOW: a symbolic link in place of either file is refused with
//   an error (someone else may have planted it), never followed. A file that is absent, or an
//   admin file we may not read, is skipped. Files larger than 64 KiB, not JSON objects or
//   holding a malformed token are refused (Unprocessable).
// - A token is at most 8 KiB of printable ASCII without spaces (it goes into an HTTP header:
//   no line breaks can sneak in); a bad --token or AGOR_TOKEN is BadRequest (a usage error).
// - SaveToken writes the file 0600 through a temporary file renamed over it (a symlink at the
//   path is replaced, not followed), creating `~/.agor` 0700 when missing. RemoveToken unlinks.
//
// Threading: none; reads and writes the filesystem. HOME comes in as a parameter (tests use
// temporary folders); the Resolve wrapper reads $HOME and $AGOR_TOKEN.
#pragma once

#include <string>

#include "base/status.h"
#include "cmd/client/socket_client.h"

namespace agor {

struct BaseUrl;

enum class TokenSource { kNone, kFlag, kEnv, kSaved, kAdminFile };

struct Credential {
  std::string token;  // "" when none was found
  TokenSource source = TokenSource::kNone;
  std::string email;  // the saved login's / admin file's email, when known
};

// `$HOME/.agor` ("./.agor" when HOME is unset or empty).
std::string AgorFolder(const char* home);
std::string TokenFilePath(const std::string& agor_folder);
std::string AdminFilePath(const std::string& agor_folder);

// BadRequest unless `token` is a plausible token (see above).
Status CheckTokenShape(const std::string& token);

// True when both URLs name the same daemon: same port and prefix, and the same host, where
// 127.0.0.1, localhost and ::1 count as one.
bool SameDaemon(const BaseUrl& a, const std::string& b_text);

// The order above. `flag` and `env` may be empty / null.
Status ResolveCredential(const std::string& flag, const char* env, const std::string& agor_folder,
                         const BaseUrl& daemon, Credential* out);

// ResolveCredential with $AGOR_TOKEN and $HOME; sets daemon->token (and *used, when given).
Status AttachCredential(const std::string& flag, BaseUrl* daemon, Credential* used = nullptr);
// "--token", "AGOR_TOKEN", "the saved login", "~/.agor/admin-credentials", "none".
const char* SourceName(TokenSource source);

// Reads a JSON object file (O_NOFOLLOW, regular, at most 64 KiB). NotFound when absent.
Status ReadJsonFile(const std::string& path, Json* out);

// Saves a login: {url, email, accessToken} to TokenFilePath, mode 0600.
Status SaveToken(const std::string& agor_folder, const std::string& url, const std::string& email,
                 const std::string& token);
// Removes the saved login; ok when there was none.
Status RemoveToken(const std::string& agor_folder);

// The Socket.IO CONNECT payload for `daemon`: {token} when it has one, else {}.
Json ConnectAuth(const BaseUrl& daemon);
// The Socket.IO client options that reach `daemon` as its user: its URL and ConnectAuth.
SocketOptions SocketOptionsFor(const BaseUrl& daemon);

}  // namespace agor
