// The `authentication` service and Resolve over a real in-memory store: each strategy's
// answer in Feathers' shape, and each refusal with the input that must be refused.
#include "server/api/authenticator.h"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "server/api/api_key.h"

namespace agor {
namespace {

constexpr int64_t kStart = 1800000000000;  // ms
constexpr int64_t kTtl = 3600;

class FakeClock : public Clock {
 public:
  int64_t NowMillis() override { return now; }
  int64_t now = kStart;
};

// The event loop the hasher posts to: drained on the test's thread.
class Inbox {
 public:
  PasswordHasher::Post Poster() {
    return [this](std::function<void()> fn) {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(fn));
      ready_.notify_all();
    };
  }
  void RunOne() {
    std::function<void()> fn;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [&] { return !queue_.empty(); });
      fn = std::move(queue_.front());
      queue_.pop_front();
    }
    fn();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
};

struct Answer {
  Status status;
  Json result;
};

struct Fixture {
  // Small brute-force bounds keep the hashes few (login_limiter_test.cpp covers the real ones).
  static LoginLimiter::Options Limits() {
    LoginLimiter::Options limits;
    limits.per_email = 3;
    limits.per_address = 6;
    return limits;
  }

  explicit Fixture(size_t max_queued = 16) {
    StoreOptions options;
    options.path = ":memory:";
    REQUIRE(Store::Open(options, &clock, &store).ok());
    hasher =
        std::make_unique<PasswordHasher>(inbox.Poster(), PasswordHasher::Options{1, max_queued});
    REQUIRE(Authenticator::Create(store.get(), hasher.get(), &clock, kTtl, &auth, Limits()).ok());
    ann = AddUser("ann@example.com", "ann-password", "member");
    bob = AddUser("bob@example.com", "bob-password", "admin");
  }

  std::string AddUser(const std::string& email, const std::string& password,
                      const std::string& role) {
    static std::map<std::string, std::string> hashes;  // one Argon2id run per password
    std::string& hash = hashes[password];
    if (hash.empty()) REQUIRE(PasswordHasher::HashNow(password, &hash).ok());
    Json record;
    REQUIRE(store
                ->CreateUser({{"email", email}, {"name", email.substr(0, 3)}, {"role", role}}, hash,
                             &record)
                .ok());
    return record["user_id"].get<std::string>();
  }

  // One call, waiting (on the hasher's answer when it posts one) until `done` runs.
  Answer Call(const std::string& method, Json data, Caller caller = Caller(), Json id = nullptr) {
    ServiceCall call{method,          "authentication", std::move(id),
                     std::move(data), Json::object(),   std::move(caller)};
    bool answered = false;
    Answer answer;
    auth->Call(call, [&](const Status& s, Json result, std::string) {
      REQUIRE_FALSE(answered);
      answered = true;
      answer = {s, std::move(result)};
    });
    while (!answered) inbox.RunOne();
    return answer;
  }
  Answer Login(const std::string& email, const std::string& password,
               const std::string& address = "10.0.0.1") {
    Caller caller;
    caller.address = address;
    return Call("create", {{"strategy", "local"}, {"email", email}, {"password", password}},
                caller);
  }
  Caller Resolved(const std::string& credential) {
    Caller caller;
    caller.address = "10.0.0.1";
    Status s = auth->Resolve(credential, &caller);
    INFO(s.ToString());
    REQUIRE(s.ok());
    REQUIRE(caller.address == "10.0.0.1");
    return caller;
  }

  FakeClock clock;
  Inbox inbox;
  std::unique_ptr<Store> store;
  std::unique_ptr<PasswordHasher> hasher;
  std::unique_ptr<Authenticator> auth;
  std::string ann, bob;
};

void RequireRefused(const Answer& answer, Code code, const std::string& message) {
  INFO(answer.status.ToString());
  REQUIRE(answer.status.code() == code);
  REQUIRE(answer.status.message() == message);
}

TEST_CASE("authenticator: local login answers Feathers' shape", "[authenticator]") {
  Fixture f;
  Answer a = f.Login("ANN@example.com", "ann-password");
  REQUIRE(a.status.ok());
  const Json& r = a.result;
  REQUIRE(r.begin().key() == "accessToken");
  REQUIRE(r["authentication"]["strategy"] == "local");
  REQUIRE_FALSE(r["authentication"].contains("accessToken"));
  const Json& payload = r["authentication"]["payload"];
  REQUIRE(payload["sub"] == f.ann);
  REQUIRE(payload["iat"] == kStart / 1000);
  REQUIRE(payload["exp"] == kStart / 1000 + kTtl);
  REQUIRE(payload["aud"] == "https://agor.local");
  REQUIRE(payload["iss"] == "agor");
  REQUIRE(payload["jti"].is_string());
  REQUIRE(r["user"]["user_id"] == f.ann);
  REQUIRE(r["user"]["email"] == "ann@example.com");
  REQUIRE_FALSE(r["user"].contains("password"));
  REQUIRE(r.dump().find("argon2") == std::string::npos);

  const Caller caller = f.Resolved(r["accessToken"].get<std::string>());
  REQUIRE(caller.user_id == f.ann);
  REQUIRE(caller.credential_id == payload["jti"]);
  REQUIRE_FALSE(caller.api_key);
  REQUIRE(caller.expires_ms == (kStart / 1000 + kTtl) * 1000);
  REQUIRE(caller.issued_ms == kStart);
}

TEST_CASE("authenticator: bad local credentials all answer Invalid login", "[authenticator]") {
  Fixture f;
  RequireRefused(f.Login("ann@example.com", "wrong-password"), Code::kNotAuthenticated,
                 "Invalid login");
  RequireRefused(f.Login("nobody@example.com", "ann-password"), Code::kNotAuthenticated,
                 "Invalid login");
  RequireRefused(f.Login("ann@example.com", std::string(5000, 'p')), Code::kNotAuthenticated,
                 "Invalid login");
  RequireRefused(f.Login("", "ann-password"), Code::kNotAuthenticated, "Invalid login");
  RequireRefused(f.Call("create", {{"strategy", "local"}, {"email", "ann@example.com"}}),
                 Code::kNotAuthenticated, "Invalid login");
  RequireRefused(f.Call("create", {{"strategy", "local"},
                                   {"email", "ann@example.com"},
                                   {"password", Json::array({"ann-password"})}}),
                 Code::kNotAuthenticated, "Invalid login");
}

TEST_CASE("authenticator: strategies as Feathers names them", "[authenticator]") {
  Fixture f;
  const std::string no_strategy = "Invalid authentication information (no `strategy` set)";
  RequireRefused(f.Call("create", {{"email", "ann@example.com"}}), Code::kNotAuthenticated,
                 no_strategy);
  RequireRefused(f.Call("create", Json::array()), Code::kNotAuthenticated, no_strategy);
  RequireRefused(f.Call("create", {{"strategy", 7}}), Code::kNotAuthenticated, no_strategy);
  RequireRefused(f.Call("create", {{"strategy", "oauth"}}), Code::kNotAuthenticated,
                 "Invalid authentication information (strategy not allowed in authStrategies)");
  RequireRefused(f.Call("find", Json::object()), Code::kMethodNotAllowed,
                 "Method `find` is not supported by this endpoint.");
  RequireRefused(f.Call("patch", Json::object(), Caller(), "x"), Code::kMethodNotAllowed,
                 "Method `patch` is not supported by this endpoint.");
}

TEST_CASE("authenticator: the limiter refuses before any hash, per email and address",
          "[authenticator]") {
  Fixture f;  // 3 failures per email, 6 per address
  for (int i = 0; i < 3; ++i) {
    RequireRefused(f.Login("ann@example.com", "guess", "10.0.0." + std::to_string(i)),
                   Code::kNotAuthenticated, "Invalid login");
  }
  RequireRefused(f.Login("ann@example.com", "ann-password", "10.9.9.9"), Code::kTooManyRequests,
                 "Too many failed logins, try again later");
  REQUIRE(f.Login("bob@example.com", "bob-password", "10.0.0.1").status.ok());
  // Unknown emails count too: 5 more failures from 10.0.0.1 (it had one) reach its bound.
  for (int i = 0; i < 5; ++i) f.Login("x" + std::to_string(i) + "@example.com", "p", "10.0.0.1");
  RequireRefused(f.Login("bob@example.com", "bob-password", "10.0.0.1"), Code::kTooManyRequests,
                 "Too many failed logins, try again later");
  REQUIRE(f.Login("bob@example.com", "bob-password", "10.0.0.2").status.ok());
  f.clock.now += 15 * 60 * 1000;
  REQUIRE(f.Login("ann@example.com", "ann-password", "10.0.0.1").status.ok());
}

TEST_CASE("authenticator: a full hasher answers Unavailable, not a failed login",
          "[authenticator]") {
  Fixture f(0);
  for (int i = 0; i < 12; ++i) {
    RequireRefused(f.Login("ann@example.com", "ann-password"), Code::kUnavailable,
                   "too many logins at once, try again");
  }
}

TEST_CASE("authenticator: the jwt strategy answers the same token", "[authenticator]") {
  Fixture f;
  const std::string token = f.auth->Issue(f.ann);
  Answer a = f.Call("create", {{"strategy", "jwt"}, {"accessToken", token}});
  REQUIRE(a.status.ok());
  REQUIRE(a.result["accessToken"] == token);
  REQUIRE(a.result["authentication"]["strategy"] == "jwt");
  REQUIRE(a.result["authentication"]["accessToken"] == token);
  REQUIRE(a.result["authentication"]["payload"]["sub"] == f.ann);
  REQUIRE(a.result["user"]["email"] == "ann@example.com");

  RequireRefused(f.Call("create", {{"strategy", "jwt"}}), Code::kNotAuthenticated,
                 "No access token");
  RequireRefused(f.Call("create", {{"strategy", "jwt"}, {"accessToken", ""}}),
                 Code::kNotAuthenticated, "No access token");
  RequireRefused(f.Call("create", {{"strategy", "jwt"}, {"accessToken", "x.y"}}),
                 Code::kNotAuthenticated, "jwt malformed");
  JwtConfig other = f.auth->jwt_config();
  other.secret = std::string(32, 'z');
  JwtClaims claims{f.ann, "j", "", "", kStart / 1000, kStart / 1000 + 60};
  RequireRefused(f.Call("create", {{"strategy", "jwt"}, {"accessToken", SignJwt(other, claims)}}),
                 Code::kNotAuthenticated, "invalid signature");

  f.clock.now += kTtl * 1000;
  Answer expired = f.Call("create", {{"strategy", "jwt"}, {"accessToken", token}});
  RequireRefused(expired, Code::kNotAuthenticated, "jwt expired");
  REQUIRE(expired.status.data()["name"] == "TokenExpiredError");
  Caller caller;
  REQUIRE(f.auth->Resolve(token, &caller).message() == "jwt expired");
  REQUIRE(caller.user_id.empty());
}

TEST_CASE("authenticator: another user's token swapped in is refused", "[authenticator]") {
  Fixture f;
  const std::string a = f.auth->Issue(f.ann), b = f.auth->Issue(f.bob);
  const std::string swapped = a.substr(0, a.find('.')) +
                              b.substr(b.find('.'), b.rfind('.') - b.find('.')) +
                              a.substr(a.rfind('.'));
  Caller caller;
  REQUIRE(f.auth->Resolve(swapped, &caller).message() == "invalid signature");
  REQUIRE(f.Resolved(b).user_id == f.bob);
}

TEST_CASE("authenticator: API keys log in and resolve", "[authenticator]") {
  Fixture f;
  const NewApiKey key = MakeApiKey();
  Json record;
  REQUIRE(
      f.store->CreateApiKey({{"user_id", f.ann}, {"name", "laptop"}}, key.prefix, key.hash, &record)
          .ok());
  Answer a = f.Call("create", {{"strategy", "api-key"}, {"api_key", key.key}});
  REQUIRE(a.status.ok());
  REQUIRE(a.result["authentication"]["strategy"] == "api-key");
  REQUIRE(a.result["user"]["user_id"] == f.ann);
  REQUIRE(f.Resolved(a.result["accessToken"].get<std::string>()).user_id == f.ann);

  const Caller caller = f.Resolved(key.key);
  REQUIRE(caller.user_id == f.ann);
  REQUIRE(caller.api_key);
  REQUIRE(caller.credential_id == record["id"]);
  REQUIRE(caller.expires_ms == 0);

  const NewApiKey unknown = MakeApiKey();
  for (const std::string& bad : {unknown.key, std::string("agor_sk_short"), std::string()}) {
    RequireRefused(f.Call("create", {{"strategy", "api-key"}, {"api_key", bad}}),
                   Code::kNotAuthenticated, "Invalid login");
  }
  Caller none;
  REQUIRE(f.auth->Resolve(unknown.key, &none).message() == "Invalid login");
  // Logging out with a key revokes nothing: keys are revoked through `api-keys`.
  Answer out = f.Call("remove", nullptr, caller);
  REQUIRE(out.status.ok());
  REQUIRE(out.result["authentication"]["strategy"] == "api-key");
  REQUIRE(f.Resolved(key.key).user_id == f.ann);
}

TEST_CASE("authenticator: logout revokes that token only", "[authenticator]") {
  Fixture f;
  const std::string token = f.auth->Issue(f.ann), other = f.auth->Issue(f.ann);
  const Caller caller = f.Resolved(token);
  RequireRefused(f.Call("remove", nullptr), Code::kNotAuthenticated, "Not authenticated");
  RequireRefused(f.Call("remove", nullptr, caller, other), Code::kNotAuthenticated,
                 "Invalid access token");
  Answer out = f.Call("remove", nullptr, caller, token);
  REQUIRE(out.status.ok());
  REQUIRE(out.result["accessToken"] == token);
  REQUIRE(out.result["authentication"]["strategy"] == "jwt");
  REQUIRE(out.result["authentication"]["payload"]["jti"] == caller.credential_id);
  REQUIRE(out.result["user"]["user_id"] == f.ann);

  Caller after;
  REQUIRE(f.auth->Resolve(token, &after).message() == "jwt revoked");
  RequireRefused(f.Call("create", {{"strategy", "jwt"}, {"accessToken", token}}),
                 Code::kNotAuthenticated, "jwt revoked");
  RequireRefused(f.Call("remove", nullptr, caller), Code::kNotAuthenticated, "jwt revoked");
  REQUIRE(f.Resolved(other).user_id == f.ann);
}

TEST_CASE("authenticator: a password change revokes the user's older tokens", "[authenticator]") {
  Fixture f;
  const std::string old_token = f.auth->Issue(f.ann);
  f.clock.now += 5000;
  JwtClaims kept;
  const std::string current = f.auth->Issue(f.ann, &kept);
  const std::string bobs = f.auth->Issue(f.bob);
  f.clock.now += 5000;
  REQUIRE(f.store->RevokeUserTokens(f.ann, f.clock.now / 1000, kept.jti).ok());
  Caller caller;
  REQUIRE(f.auth->Resolve(old_token, &caller).message() == "jwt revoked");
  REQUIRE(f.Resolved(current).user_id == f.ann);
  REQUIRE(f.Resolved(bobs).user_id == f.bob);
  f.clock.now += 1000;
  REQUIRE(f.Resolved(f.auth->Issue(f.ann)).user_id == f.ann);
}

TEST_CASE("authenticator: tokens and keys of a removed user are refused", "[authenticator]") {
  Fixture f;
  const std::string token = f.auth->Issue(f.ann);
  const NewApiKey key = MakeApiKey();
  Json record;
  REQUIRE(f.store->CreateApiKey({{"user_id", f.ann}, {"name", "ci"}}, key.prefix, key.hash, &record)
              .ok());
  REQUIRE(f.store->Remove("users", f.ann, &record).ok());
  Caller caller;
  REQUIRE(f.auth->Resolve(token, &caller).message() == "User not found");
  Status by_key = f.auth->Resolve(key.key, &caller);
  REQUIRE(by_key.code() == Code::kNotAuthenticated);
  REQUIRE(caller.user_id.empty());
  RequireRefused(f.Login("ann@example.com", "ann-password"), Code::kNotAuthenticated,
                 "Invalid login");
}

TEST_CASE("authenticator: the secret is kept in the store", "[authenticator]") {
  Fixture f;
  const std::string token = f.auth->Issue(f.ann);
  std::unique_ptr<Authenticator> again;
  REQUIRE(Authenticator::Create(f.store.get(), f.hasher.get(), &f.clock, kTtl, &again).ok());
  REQUIRE(again->jwt_config().secret == f.auth->jwt_config().secret);
  Caller caller;
  REQUIRE(again->Resolve(token, &caller).ok());
  REQUIRE(caller.user_id == f.ann);
}

}  // namespace
}  // namespace agor
