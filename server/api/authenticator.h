// Authenticator: the `authentication` service and the credentials of every request, the
// @feathersjs/authentication way (answers shaped as its AuthenticationService answers them).
//
//   create {strategy: "local", email, password} -> {accessToken, authentication: {strategy,
//          payload}, user}   (Argon2id verify on the PasswordHasher's workers)
//   create {strategy: "jwt", accessToken}        -> {accessToken (the same), authentication:
//          {strategy, accessToken, payload}, user}
//   create {strategy: "api-key", api_key}        -> a new access token for the key's user, shaped
//          as for local
//   remove (null, or the caller's own token)     -> revokes the caller's token (logout) and
//          answers as `jwt` does for it; with an API key it answers {authentication: {strategy:
//          "api-key"}, user} and revokes nothing (keys are revoked through `api-keys`)
// `user` is the caller's own users record (email included). Other methods: MethodNotAllowed.
//
// Refusals, all NotAuthenticated (401) with Feathers' messages unless said: no strategy or not
// an object: "Invalid authentication information (no `strategy` set)"; an unknown one: "...
// (strategy not allowed in authStrategies)"; bad local credentials (missing, not strings,
// oversized, unknown email, wrong password) and unknown API keys: "Invalid login", whether the
// email exists or not (an unknown email still costs one Verify against a fixed dummy hash, so
// timing tells nothing either); LoginLimiter's 429 before any hash; a full hasher queue 503;
// jwt: "No access token", then jwt.h's messages, "jwt revoked", "User not found"; remove
// without a user: "Not authenticated", with another token as id: "Invalid access token".
//
// Resolve() (CredentialResolver) checks a JWT (jwt.h, then the store: revoked jti, the user's
// cut-off, read from the database on a shared store so another node's logout holds at once,
// the user still there) or an API key (by its hash; stamps last_used_at), and answers
// the Caller (its address left as the transport set it). Messages never echo the credential.
//
// The signing secret is 32 random bytes kept in the database (Store::GetOrCreateSecret
// "jwt-secret"), so a restart keeps tokens valid.
//
// Thread-safety: the event loop's; answers of `local` come back through the hasher's post,
// which must run them on the same loop. A `local` answer arriving after the Authenticator is
// gone answers Unavailable without touching it.
#pragma once

#include <functional>
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
  // Everything borrowed must outlive it. Reads (or makes) the signing secret; the first one in
  // a process hashes the dummy password (tens of ms, before the daemon listens). `limits`: the
  // brute-force bounds (the issue's 10 per email, 50 per address in 15 minutes by default).
  static Status Create(Store* store, PasswordHasher* hasher, Clock* clock, int64_t token_ttl_s,
                       std::unique_ptr<Authenticator>* out,
                       LoginLimiter::Options limits = LoginLimiter::Options());

  // The `authentication` service's calls (create, remove); `done` runs exactly once.
  void Call(const ServiceCall& call, Services::Done done);
  Status Resolve(const std::string& credential, Caller* caller) override;
  // A token for `user_id` (first start, tests).
  std::string Issue(const std::string& user_id, JwtClaims* claims = nullptr);

  const JwtConfig& jwt_config() const { return config_; }
  // Several nodes (--broker): each failed local login here is told to `hook` (to reach the
  // other nodes), and CountRemoteFailure counts another node's in this node's limiter, at
  // this node's time (a sender's clock, or a forged time, must not pin a stamp in the window).
  void SetFailureHook(
      std::function<void(const std::string& email, const std::string& address, int64_t at_ms)>
          hook) {
    failure_hook_ = std::move(hook);
  }
  void CountRemoteFailure(const std::string& email, const std::string& address) {
    limiter_.Failed(email, address, clock_->NowMillis());
  }

  static constexpr size_t kMaxEmailBytes = 320;
  static constexpr size_t kMaxPasswordBytes = 4096;

 private:
  Authenticator(Store* store, PasswordHasher* hasher, Clock* clock, LoginLimiter::Options limits)
      : store_(store), hasher_(hasher), clock_(clock), limiter_(limits) {}

  void Local(const ServiceCall& call, Services::Done done);
  void LocalChecked(const std::string& email, const std::string& address, const Json& user,
                    const Status& verified, bool matches, const Services::Done& done);
  Status Jwt(const Json& data, Json* result);
  Status ApiKey(const Json& data, Json* result);
  Status Remove(const ServiceCall& call, Json* result);
  // The claims of a JWT the store has not revoked and whose user exists.
  Status CheckJwt(const std::string& token, JwtClaims* claims);
  Status CheckApiKey(const std::string& key, Json* key_record);
  // {accessToken, authentication: {strategy, [accessToken,] payload}, user}.
  Status Answer(const std::string& strategy, const std::string& token, const JwtClaims& claims,
                bool echo_token, Json* result);
  Status UserRecord(const std::string& user_id, Json* user);
  int64_t NowSeconds() { return clock_->NowMillis() / 1000; }

  Store* store_;
  PasswordHasher* hasher_;
  Clock* clock_;
  JwtConfig config_;
  LoginLimiter limiter_;
  std::function<void(const std::string&, const std::string&, int64_t)> failure_hook_;
  std::string dummy_hash_;  // what an unknown email is verified against
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // seen by pending `local`s
};

}  // namespace agor
