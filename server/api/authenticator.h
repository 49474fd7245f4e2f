// Authenticator: the `authentication` service and the credentials of every request, the
// @feathersjs/authentication way.
//
//   create {strategy: "local", email, password} -> {accessToken, authentication: {strategy,
//          accessToken, payload}, user}   (Argon2id verify on the PasswordHasher's workers)
//   create {strategy: "jwt", accessToken}        -> the same token, its payload and user
//   create {strategy: "api-key", api_key}        -> a new access token for the key's user
//   remove (any id)                              -> revokes the caller's token (logout)
//
// Refusals: bad credentials always answer NotAuthenticated "Invalid login", whether the email
// exists or not (a missing user still costs one hash, so timing tells nothing either); a bad
// strategy BadRequest; LoginLimiter's 429 before any hash. Resolve() (CredentialResolver)
// checks a JWT (server/api/jwt.h, then the store: revoked jti, cut-off, user still there) or an
// API key (by its hash), and answers the Caller.
//
// The signing secret is 32 random bytes kept in the database (Store::GetOrCreateSecret), so a
// restart keeps tokens valid.
//
// Thread-safety: the event loop's; answers of `local` come back through the hasher's post.
#pragma once

#include <memory>
#include <string>

#include "server/api/jwt.h"
#include "server/api/login_limiter.h"
#include "server/api/password_hasher.h"
#include "server/wire/service_call.h"
#include "store/store.h"

namespace agor {

class Authenticator : public CredentialResolver {
 public:
  // Everything borrowed must outlive it. Reads (or makes) the signing secret.
  static Status Create(Store* store, PasswordHasher* hasher, Clock* clock, int64_t token_ttl_s,
                       std::unique_ptr<Authenticator>* out);

  // The `authentication` service's calls (create, remove); `done` runs exactly once.
  void Call(const ServiceCall& call, Services::Done done);
  Status Resolve(const std::string& credential, Caller* caller) override;
  // A token for `user_id` (first start, tests).
  std::string Issue(const std::string& user_id, JwtClaims* claims = nullptr);
};

}  // namespace agor
