// Authentication over REST with the real binary: the first start's admin and its 0600
// credentials file, logins (ok, bad password and unknown email answer alike, the 11th failure
// for one email is 429), every refused credential (none, garbage, expired, alg none, forged,
// revoked, a removed user's) is 401, API keys as Bearer or X-API-Key, logout revokes, and a
// password change revokes the user's other tokens.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "server/api/jwt.h"
#include "tests/e2e/auth_test_helpers.h"
#include "tests/support/daemon.h"

namespace agor {
namespace {

using test::AuthClient;
using test::Daemon;

// The JWT signing secret as the daemon stored it (the only 32-byte secret in its database):
// what lets this test make an expired token that is otherwise valid.
std::string StoredSecret(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement st(db, "SELECT value FROM secrets");
  while (st.executeStep()) {
    const SQLite::Column value = st.getColumn(0);
    if (value.getBytes() == 32)
      return std::string(static_cast<const char*>(value.getBlob()), value.getBytes());
  }
  FAIL("no 32-byte secret in " << db_path);
  return "";
}

void CheckUnauthenticated(int port, const std::string& credential, const char* message) {
  INFO(message);
  Json error = AuthClient(port, credential).Get("/boards", 401);
  CHECK(error["name"] == "NotAuthenticated");
  CHECK(error["className"] == "not-authenticated");
  CHECK(error["code"] == 401);
}

}  // namespace

TEST_CASE("auth rest: first start writes admin-credentials 0600, a restart keeps the admin",
          "[e2e][auth]") {
  test::TempDir dir;
  std::string db = dir.path() + "/agor.db";
  std::string path = dir.path() + "/admin-credentials";
  Json creds;
  {
    Daemon daemon({}, db);
    struct stat st;
    REQUIRE(stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    creds = test::ReadAdminCredentials(db);
    CHECK(creds["email"] == "admin@localhost");
    CHECK(creds["password"].get<std::string>().size() == 24);
    CHECK(creds["api_key"].get<std::string>().rfind("agor_sk_", 0) == 0);
    CHECK(creds["url"] == daemon.url());
    AuthClient admin(daemon.port(), creds["api_key"]);
    Json me = admin.Get("/users");
    CHECK(me["total"] == 1);
    CHECK(me["data"][0]["role"] == "admin");
    CHECK(me["data"][0]["email"] == "admin@localhost");
    test::Login(daemon.port(), "admin@localhost", creds["password"]);
    daemon.Stop(SIGTERM);
  }
  Daemon again({}, db);
  CHECK(test::ReadAdminCredentials(db) == creds);  // not rewritten: no second admin
  Json users = AuthClient(again.port(), creds["api_key"]).Get("/users");
  CHECK(users["total"] == 1);
}

TEST_CASE("auth rest: logins, refused credentials, keys, logout and password changes",
          "[e2e][auth]") {
  Daemon daemon;
  const int port = daemon.port();
  Json creds = test::ReadAdminCredentials(daemon.db_path());
  AuthClient admin(port, creds["api_key"]);
  AuthClient anonymous(port, "");
  admin.Post("/users", {{"email", "Ann@Example.com"}, {"name", "ann"}, {"password", "ann's pass"}});
  CHECK(admin.Post("/users", {{"email", "short@example.com"}, {"password", "1234567"}},
                   400)["data"]["field"] == "password");

  // Health is open; every service answers 401 without a credential.
  anonymous.Get("/health");
  CheckUnauthenticated(port, "", "no credential");
  anonymous.Get("/users", 401);
  anonymous.Get("/events", 401);

  // Logins: the email is case-insensitive; a bad password and an unknown email answer alike.
  std::string token = test::Login(port, "ann@example.com", "ann's pass");
  Json login = anonymous.Post(
      "/authentication",
      {{"strategy", "local"}, {"email", "ann@example.com"}, {"password", "ann's pass"}});
  CHECK(login["authentication"]["strategy"] == "local");
  CHECK(login["user"]["email"] == "Ann@Example.com");
  CHECK_FALSE(login["user"].contains("password"));
  Json bad =
      anonymous.Post("/authentication",
                     {{"strategy", "local"}, {"email", "ann@example.com"}, {"password", "x"}}, 401);
  Json unknown = anonymous.Post(
      "/authentication",
      {{"strategy", "local"}, {"email", "nobody@example.com"}, {"password", "ann's pass"}}, 401);
  CHECK(bad == unknown);
  CHECK(bad["message"] == "Invalid login");
  // A stale header does not stop a login with a body.
  AuthClient stale(port, "not-a-token");
  stale.Post("/authentication",
             {{"strategy", "local"}, {"email", "ann@example.com"}, {"password", "ann's pass"}});
  AuthClient ann(port, token);
  ann.Get("/boards");
  // jwt strategy answers the same token.
  CHECK(anonymous.Post("/authentication",
                       {{"strategy", "jwt"}, {"accessToken", token}})["accessToken"] == token);

  // Refused tokens: garbage, a forged signature, alg none, expired.
  CheckUnauthenticated(port, "garbage", "garbage");
  JwtClaims claims;
  claims.sub = login["user"]["user_id"];
  claims.jti = "00000000-0000-4000-8000-000000000001";
  claims.iat = time(nullptr);
  claims.exp = claims.iat + 3600;
  JwtConfig forged;
  forged.secret = std::string(32, 'k');
  CheckUnauthenticated(port, SignJwt(forged, claims), "forged");
  std::string body = token.substr(token.find('.') + 1);
  body = body.substr(0, body.find('.'));
  CheckUnauthenticated(port, Base64UrlEncode(R"({"alg":"none","typ":"access"})") + "." + body + ".",
                       "alg none");
  JwtConfig real;
  real.secret = StoredSecret(daemon.db_path());
  claims.iat -= 7200;
  claims.exp = claims.iat + 60;
  Json expired = AuthClient(port, SignJwt(real, claims)).Get("/boards", 401);
  CHECK(expired["message"] == "jwt expired");
  CHECK(expired["data"]["name"] == "TokenExpiredError");
  claims.exp = time(nullptr) + 600;  // the same secret, unexpired: accepted (the test is sound)
  AuthClient(port, SignJwt(real, claims)).Get("/boards");

  // API keys: as Bearer and as X-API-Key; shown once.
  Json key = ann.Post("/api-keys", {{"name", "ci"}});
  std::string secret_key = key["key"];
  AuthClient(port, secret_key).Get("/boards");
  AuthClient(port, secret_key, true).Get("/boards");
  CHECK_FALSE(ann.Get("/api-keys/" + key["id"].get<std::string>()).contains("key"));
  admin.Get("/api-keys/" + key["id"].get<std::string>(), 404);  // personal, even for admins
  CheckUnauthenticated(port, "agor_sk_" + std::string(43, 'A'), "unknown key");
  ann.Delete("/api-keys/" + key["id"].get<std::string>());
  CheckUnauthenticated(port, secret_key, "revoked key");

  // Logout revokes that token (and only that one).
  std::string second = test::Login(port, "ann@example.com", "ann's pass");
  AuthClient(port, second).Delete("/authentication");
  CheckUnauthenticated(port, second, "logged out");
  ann.Get("/boards");

  // A password change needs the current one and revokes the user's other tokens.
  std::string other = test::Login(port, "ann@example.com", "ann's pass");
  std::string me = "/users/" + login["user"]["user_id"].get<std::string>();
  CHECK(ann.Patch(me, {{"password", "new password"}}, 400)["data"]["field"] == "current_password");
  CHECK(ann.Patch(me, {{"password", "new password"}, {"current_password", "wrong"}},
                  400)["data"]["field"] == "current_password");
  Json patched = ann.Patch(me, {{"password", "new password"}, {"current_password", "ann's pass"}});
  CHECK_FALSE(patched.contains("password"));
  CheckUnauthenticated(port, other, "another token of a changed password");
  ann.Get("/boards");  // the token that changed it lives on
  anonymous.Post("/authentication",
                 {{"strategy", "local"}, {"email", "ann@example.com"}, {"password", "ann's pass"}},
                 401);

  // A removed user's token dies with them.
  admin.Delete(me);
  CheckUnauthenticated(port, token, "removed user");
}

TEST_CASE("auth rest: the 11th failed login for one email is 429 TooManyRequests", "[e2e][auth]") {
  Daemon daemon;
  AuthClient anonymous(daemon.port(), "");
  Json wrong{{"strategy", "local"}, {"email", "admin@localhost"}, {"password", "guess"}};
  for (int i = 0; i < 10; ++i) anonymous.Post("/authentication", wrong, 401);
  Json limited = anonymous.Post("/authentication", wrong, 429);
  CHECK(limited["name"] == "TooManyRequests");
  // Even the right password waits for the window: the guesser learns nothing.
  Json creds = test::ReadAdminCredentials(daemon.db_path());
  anonymous.Post(
      "/authentication",
      {{"strategy", "local"}, {"email", "admin@localhost"}, {"password", creds["password"]}}, 429);
  // Metrics count them, without a secret (a loopback bind: open).
  auto r = httplib::Client("127.0.0.1", daemon.port()).Get("/metrics");
  REQUIRE(r);
  CHECK(r->body.find("agor_logins_total{result=\"failed\"} 10") != std::string::npos);
  CHECK(r->body.find("agor_logins_total{result=\"limited\"} 2") != std::string::npos);
  CHECK(r->body.find(creds["password"].get<std::string>()) == std::string::npos);
}

}  // namespace agor
