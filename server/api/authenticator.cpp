#include "server/api/authenticator.h"

#include "base/ids.h"
#include "server/api/api_key.h"

namespace agor {
namespace {

constexpr const char* kSecretName = "jwt-secret";
constexpr size_t kSecretBytes = 32;

Status NotAuthenticated(const std::string& message) {
  return Status(Code::kNotAuthenticated, message);
}

Status InvalidLogin() {
  return NotAuthenticated("Invalid login");
}

// A string member of `data` within `max_bytes`, or false.
bool StringField(const Json& data, const char* name, size_t max_bytes, std::string* out) {
  auto it = data.find(name);
  if (it == data.end() || !it->is_string()) return false;
  const std::string& value = it->get_ref<const std::string&>();
  if (value.empty() || value.size() > max_bytes) return false;
  *out = value;
  return true;
}

// What an unknown email is verified against, made once per process (a hash costs tens of ms
// and 64 MiB); "" when libsodium found no memory for it.
std::string DummyHash() {
  static const std::string hash = [] {
    std::string out;
    return PasswordHasher::HashNow(RandomPassword(24), &out).ok() ? out : std::string();
  }();
  return hash;
}

}  // namespace

Status Authenticator::Create(Store* store, PasswordHasher* hasher, Clock* clock,
                             int64_t token_ttl_s, std::unique_ptr<Authenticator>* out,
                             LoginLimiter::Options limits) {
  std::unique_ptr<Authenticator> auth(new Authenticator(store, hasher, clock, limits));
  auth->config_.ttl_s = token_ttl_s;
  Status s = store->GetOrCreateSecret(
      kSecretName, [] { return RandomBytes(kSecretBytes); }, &auth->config_.secret);
  if (!s.ok()) return s;
  if (auth->config_.secret.size() < kSecretBytes) {
    return Status::GeneralError("the stored JWT secret is shorter than 32 bytes");
  }
  auth->dummy_hash_ = DummyHash();
  if (auth->dummy_hash_.empty()) return Status::Unavailable("could not hash the dummy password");
  *out = std::move(auth);
  return Status::OK();
}

std::string Authenticator::Issue(const std::string& user_id, JwtClaims* claims) {
  JwtClaims issued;
  issued.sub = user_id;
  issued.jti = NewUuid();
  issued.iat = NowSeconds();
  issued.exp = issued.iat + config_.ttl_s;
  issued.aud = config_.audience;
  issued.iss = config_.issuer;
  if (claims) *claims = issued;
  return SignJwt(config_, issued);
}

// Feathers' AuthenticationService.authenticate: the strategy first, then its own checks.
void Authenticator::Call(const ServiceCall& call, Services::Done done) {
  Json result;
  Status s;
  if (call.method == "remove") {
    s = Remove(call, &result);
  } else if (call.method != "create") {
    s = Status::MethodNotAllowed("Method `" + call.method + "` is not supported by this endpoint.");
  } else {
    const Json& data = call.data;
    auto strategy = data.is_object() ? data.find("strategy") : data.end();
    if (!data.is_object() || strategy == data.end() || !strategy->is_string()) {
      s = NotAuthenticated("Invalid authentication information (no `strategy` set)");
    } else if (*strategy == "local") {
      return Local(call, std::move(done));
    } else if (*strategy == "jwt") {
      s = Jwt(data, &result);
    } else if (*strategy == "api-key") {
      s = ApiKey(data, &result);
    } else {
      s = NotAuthenticated(
          "Invalid authentication information (strategy not allowed in authStrategies)");
    }
  }
  done(s, s.ok() ? std::move(result) : Json(), "");
}

// The limiter before any hash; an unknown email still pays one Verify (of the dummy hash).
void Authenticator::Local(const ServiceCall& call, Services::Done done) {
  std::string email, password;
  if (!StringField(call.data, "email", kMaxEmailBytes, &email) ||
      !StringField(call.data, "password", kMaxPasswordBytes, &password)) {
    return done(InvalidLogin(), Json(), "");
  }
  const std::string& address = call.caller.address;
  Status s = limiter_.Check(email, address, clock_->NowMillis());
  if (!s.ok()) return done(s, Json(), "");
  Json user;
  std::string hash;
  s = store_->FindLogin(email, &user, &hash);
  if (s.code() == Code::kNotFound) {
    user = nullptr;
    hash = dummy_hash_;
  } else if (!s.ok()) {
    return done(s, Json(), "");
  }
  std::weak_ptr<bool> alive = alive_;
  hasher_->Verify(std::move(password), std::move(hash),
                  [this, alive, email, address, user, done](const Status& v, bool matches) {
                    if (alive.expired()) {
                      return done(Status::Unavailable("the daemon is stopping"), Json(), "");
                    }
                    LocalChecked(email, address, user, v, matches, done);
                  });
}

void Authenticator::LocalChecked(const std::string& email, const std::string& address,
                                 const Json& user, const Status& verified, bool matches,
                                 const Services::Done& done) {
  if (!verified.ok()) return done(verified, Json(), "");  // refused unchecked: not a failure
  auto id = user.is_object() ? user.find("user_id") : user.end();
  if (!matches || !user.is_object() || id == user.end() || !id->is_string()) {
    int64_t now = clock_->NowMillis();
    limiter_.Failed(email, address, now);
    if (failure_hook_) failure_hook_(email, address, now);
    return done(InvalidLogin(), Json(), "");
  }
  JwtClaims claims;
  const std::string token = Issue(id->get<std::string>(), &claims);
  Json result;
  Status s = Answer("local", token, claims, false, &result);
  if (s.code() == Code::kNotAuthenticated) s = InvalidLogin();  // removed while hashing
  done(s, s.ok() ? std::move(result) : Json(), "");
}

Status Authenticator::Jwt(const Json& data, Json* result) {
  auto token = data.find("accessToken");
  if (token == data.end() || !token->is_string() || token->get_ref<const std::string&>().empty()) {
    return NotAuthenticated("No access token");
  }
  JwtClaims claims;
  Status s = CheckJwt(token->get<std::string>(), &claims);
  if (!s.ok()) return s;
  return Answer("jwt", token->get<std::string>(), claims, true, result);
}

Status Authenticator::ApiKey(const Json& data, Json* result) {
  std::string key;
  Json record;
  if (!StringField(data, "api_key", kMaxTokenBytes, &key)) return InvalidLogin();
  Status s = CheckApiKey(key, &record);
  if (!s.ok()) return s;
  JwtClaims claims;
  const std::string token = Issue(record["user_id"].get<std::string>(), &claims);
  return Answer("api-key", token, claims, false, result);
}

// Feathers' remove: re-authenticates the caller's own credentials (an id, when given, must be
// that very token), then this one revokes the token.
Status Authenticator::Remove(const ServiceCall& call, Json* result) {
  const Caller& caller = call.caller;
  if (!caller.authenticated()) return NotAuthenticated("Not authenticated");
  if (caller.api_key) {
    Json user;
    Status s = UserRecord(caller.user_id, &user);
    if (s.ok()) *result = Json{{"authentication", {{"strategy", "api-key"}}}, {"user", user}};
    return s;
  }
  JwtClaims claims{caller.user_id, caller.credential_id,    config_.audience,
                   config_.issuer, caller.issued_ms / 1000, caller.expires_ms / 1000};
  const std::string token = SignJwt(config_, claims);
  if (!call.id.is_null() && call.id != token) return NotAuthenticated("Invalid access token");
  Status s = CheckJwt(token, &claims);
  if (s.ok()) s = store_->RevokeToken(claims.jti, claims.exp * 1000);
  if (s.ok()) s = Answer("jwt", token, claims, true, result);
  return s;
}

Status Authenticator::CheckJwt(const std::string& token, JwtClaims* claims) {
  Status s = VerifyJwt(config_, token, NowSeconds(), claims);
  if (!s.ok()) return s;
  if (store_->IsTokenRevokedNow(claims->jti, claims->sub, claims->iat)) {
    return Status(Code::kNotAuthenticated, "jwt revoked",
                  Json{{"name", "JsonWebTokenError"}, {"message", "jwt revoked"}});
  }
  if (store_->access().RoleOf(claims->sub) == UserRole::kNone) {
    return NotAuthenticated("User not found");
  }
  return Status::OK();
}

Status Authenticator::CheckApiKey(const std::string& key, Json* key_record) {
  if (!LooksLikeApiKey(key)) return InvalidLogin();
  Status s = store_->FindApiKey(HashApiKey(key), key_record);
  if (s.code() == Code::kNotFound) return InvalidLogin();
  if (!s.ok()) return s;
  auto id = key_record->find("id");
  auto user = key_record->find("user_id");
  if (id == key_record->end() || !id->is_string() || user == key_record->end() ||
      !user->is_string()) {
    return Status::GeneralError("an API key record without its id or user");
  }
  if (store_->access().RoleOf(user->get<std::string>()) == UserRole::kNone) {
    return NotAuthenticated("User not found");
  }
  return store_->TouchApiKey(id->get<std::string>());
}

Status Authenticator::Answer(const std::string& strategy, const std::string& token,
                             const JwtClaims& claims, bool echo_token, Json* result) {
  Json user;
  Status s = UserRecord(claims.sub, &user);
  if (!s.ok()) return s;
  Json authentication = {{"strategy", strategy}};
  if (echo_token) authentication["accessToken"] = token;
  authentication["payload"] = JwtPayload(claims);
  *result = Json{{"accessToken", token},
                 {"authentication", std::move(authentication)},
                 {"user", std::move(user)}};
  return Status::OK();
}

Status Authenticator::UserRecord(const std::string& user_id, Json* user) {
  Status s = store_->Get("users", user_id, user);
  if (s.code() == Code::kNotFound) return NotAuthenticated("User not found");
  return s;
}

Status Authenticator::Resolve(const std::string& credential, Caller* caller) {
  if (LooksLikeApiKey(credential)) {
    Json key;
    Status s = CheckApiKey(credential, &key);
    if (!s.ok()) return s;
    caller->user_id = key["user_id"].get<std::string>();
    caller->credential_id = key["id"].get<std::string>();
    caller->api_key = true;
    caller->expires_ms = caller->issued_ms = 0;
    return Status::OK();
  }
  JwtClaims claims;
  Status s = CheckJwt(credential, &claims);
  if (!s.ok()) return s;
  caller->user_id = claims.sub;
  caller->credential_id = claims.jti;
  caller->api_key = false;
  caller->expires_ms = claims.exp * 1000;
  caller->issued_ms = claims.iat * 1000;
  return Status::OK();
}

}  // namespace agor
