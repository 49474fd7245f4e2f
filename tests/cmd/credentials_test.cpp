#include "cmd/credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

#include "cmd/client/rest_client.h"
#include "cmd/password_input.h"

namespace agor {
namespace {

// A temporary HOME with its .agor folder path; removed on destruction.
class TempHome {
 public:
  TempHome() {
    char pattern[] = "/tmp/agor_cred_XXXXXX";
    home_ = mkdtemp(pattern);
    folder_ = AgorFolder(home_.c_str());
  }
  ~TempHome() { std::system(("rm -rf '" + home_ + "'").c_str()); }
  const std::string& folder() const { return folder_; }
  void Write(const std::string& name, const std::string& text) const {
    mkdir(folder_.c_str(), 0700);
    std::ofstream(folder_ + "/" + name) << text;
  }

 private:
  std::string home_;
  std::string folder_;
};

BaseUrl Url(const std::string& text) {
  BaseUrl base;
  REQUIRE(ParseBaseUrl(text, &base).ok());
  return base;
}

const char* kAdmin =
    R"({"email":"admin@localhost","password":"pw","api_key":"agor_sk_admin","url":"http://127.0.0.1:3030"})";

Credential Resolve(const TempHome& home, const std::string& flag, const char* env,
                   const std::string& url = "http://127.0.0.1:3030") {
  Credential out;
  Status status = ResolveCredential(flag, env, home.folder(), Url(url), &out);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return out;
}

}  // namespace

TEST_CASE("credentials: --token, then AGOR_TOKEN, then the saved login, then the admin file",
          "[cmd][credentials]") {
  TempHome home;
  CHECK(Resolve(home, "", nullptr).source == TokenSource::kNone);
  home.Write("admin-credentials", kAdmin);
  Credential admin = Resolve(home, "", "");
  CHECK(admin.source == TokenSource::kAdminFile);
  CHECK(admin.token == "agor_sk_admin");
  REQUIRE(SaveToken(home.folder(), "http://127.0.0.1:3030", "ada@example.com", "jwt.saved.x").ok());
  Credential saved = Resolve(home, "", nullptr);
  CHECK(saved.source == TokenSource::kSaved);
  CHECK(saved.token == "jwt.saved.x");
  CHECK(saved.email == "ada@example.com");
  Credential env = Resolve(home, "", "agor_sk_env");
  CHECK(env.source == TokenSource::kEnv);
  CHECK(env.token == "agor_sk_env");
  Credential flag = Resolve(home, "jwt.flag.x", "agor_sk_env");
  CHECK(flag.source == TokenSource::kFlag);
  CHECK(flag.token == "jwt.flag.x");
}

TEST_CASE("credentials: files only go to the daemon that wrote them", "[cmd][credentials]") {
  TempHome home;
  home.Write("admin-credentials", kAdmin);
  REQUIRE(SaveToken(home.folder(), "http://127.0.0.1:4000", "ada@example.com", "jwt.4000").ok());
  CHECK(Resolve(home, "", nullptr, "http://localhost:3030").token == "agor_sk_admin");
  CHECK(Resolve(home, "", nullptr, "http://[::1]:4000").token == "jwt.4000");
  CHECK(Resolve(home, "", nullptr, "http://example.com:3030").source == TokenSource::kNone);
  CHECK(Resolve(home, "", nullptr, "http://127.0.0.1:3031").source == TokenSource::kNone);
  CHECK(Resolve(home, "", nullptr, "http://127.0.0.1:3030/x").source == TokenSource::kNone);
}

TEST_CASE("credentials: the token file is written 0600 in a 0700 folder", "[cmd][credentials]") {
  TempHome home;
  REQUIRE(SaveToken(home.folder(), "http://127.0.0.1:3030", "a@b", "jwt.one").ok());
  struct stat file, folder;
  REQUIRE(stat(TokenFilePath(home.folder()).c_str(), &file) == 0);
  REQUIRE(stat(home.folder().c_str(), &folder) == 0);
  CHECK((file.st_mode & 0777) == 0600);
  CHECK((folder.st_mode & 0777) == 0700);
  // Saving again over a file someone made world-readable leaves a 0600 file.
  chmod(TokenFilePath(home.folder()).c_str(), 0644);
  REQUIRE(SaveToken(home.folder(), "http://127.0.0.1:3030", "a@b", "jwt.two").ok());
  REQUIRE(stat(TokenFilePath(home.folder()).c_str(), &file) == 0);
  CHECK((file.st_mode & 0777) == 0600);
  CHECK(Resolve(home, "", nullptr).token == "jwt.two");
  REQUIRE(RemoveToken(home.folder()).ok());
  CHECK(access(TokenFilePath(home.folder()).c_str(), F_OK) != 0);
  CHECK(RemoveToken(home.folder()).ok());  // nothing left to remove is fine
}

TEST_CASE("credentials: a symlinked token or admin file is refused, not followed",
          "[cmd][credentials]") {
  TempHome home;
  home.Write("elsewhere", R"({"url":"http://127.0.0.1:3030","accessToken":"jwt.planted"})");
  REQUIRE(symlink((home.folder() + "/elsewhere").c_str(), TokenFilePath(home.folder()).c_str()) ==
          0);
  Credential out;
  Status status = ResolveCredential("", nullptr, home.folder(), Url("http://127.0.0.1:3030"), &out);
  CHECK(status.code() == Code::kForbidden);
  CHECK(status.message().find("symbolic link") != std::string::npos);
  CHECK(out.token.empty());
  REQUIRE(RemoveToken(home.folder()).ok());
  REQUIRE(symlink((home.folder() + "/elsewhere").c_str(), AdminFilePath(home.folder()).c_str()) ==
          0);
  status = ResolveCredential("", nullptr, home.folder(), Url("http://127.0.0.1:3030"), &out);
  CHECK(status.code() == Code::kForbidden);
  // Saving replaces a link at the token path instead of writing through it.
  REQUIRE(symlink((home.folder() + "/elsewhere").c_str(), TokenFilePath(home.folder()).c_str()) ==
          0);
  REQUIRE(SaveToken(home.folder(), "http://127.0.0.1:3030", "a@b", "jwt.mine").ok());
  struct stat link;
  REQUIRE(lstat(TokenFilePath(home.folder()).c_str(), &link) == 0);
  CHECK(S_ISREG(link.st_mode));
  std::ifstream planted(home.folder() + "/elsewhere");
  std::string text((std::istreambuf_iterator<char>(planted)), std::istreambuf_iterator<char>());
  CHECK(text.find("jwt.planted") != std::string::npos);
}

TEST_CASE("credentials: malformed tokens and files are refused", "[cmd][credentials]") {
  TempHome home;
  Credential out;
  BaseUrl url = Url("http://127.0.0.1:3030");
  Status flag = ResolveCredential("a b", nullptr, home.folder(), url, &out);
  CHECK(flag.code() == Code::kBadRequest);
  CHECK(flag.message().rfind("--token: ", 0) == 0);
  Status env = ResolveCredential("", "x\r\nX-Evil: 1", home.folder(), url, &out);
  CHECK(env.code() == Code::kBadRequest);
  CHECK(env.message().rfind("AGOR_TOKEN: ", 0) == 0);
  CHECK_FALSE(CheckTokenShape(std::string(9000, 'a')).ok());
  CHECK_FALSE(CheckTokenShape("caf\xc3\xa9").ok());
  CHECK(CheckTokenShape("eyJhbGciOiJIUzI1NiJ9.e30.sig-_").ok());
  home.Write("cli-token", "not json");
  CHECK(ResolveCredential("", nullptr, home.folder(), url, &out).code() == Code::kUnprocessable);
  home.Write("cli-token", R"({"url":"http://127.0.0.1:3030","accessToken":"has space"})");
  CHECK(ResolveCredential("", nullptr, home.folder(), url, &out).code() == Code::kUnprocessable);
  home.Write("cli-token", std::string(70000, ' '));
  CHECK(ResolveCredential("", nullptr, home.folder(), url, &out).code() == Code::kUnprocessable);
  home.Write("cli-token", "[]");
  CHECK(ResolveCredential("", nullptr, home.folder(), url, &out).code() == Code::kUnprocessable);
}

TEST_CASE("credentials: an admin file we may not read is skipped", "[cmd][credentials]") {
  if (geteuid() == 0) SUCCEED("root reads every file: nothing to check");
  if (geteuid() == 0) return;
  TempHome home;
  home.Write("admin-credentials", kAdmin);
  chmod(AdminFilePath(home.folder()).c_str(), 0);
  CHECK(Resolve(home, "", nullptr).source == TokenSource::kNone);
}

TEST_CASE("ConnectAuth carries the token in the CONNECT payload", "[cmd][credentials]") {
  BaseUrl base = Url("http://127.0.0.1:3030");
  CHECK(ConnectAuth(base) == Json::object());
  base.token = "agor_sk_x";
  CHECK(ConnectAuth(base) == Json{{"token", "agor_sk_x"}});
}

TEST_CASE("CleanSecret drops one line ending and refuses empty or non-UTF-8 passwords",
          "[cmd][credentials]") {
  std::string out;
  REQUIRE(CleanSecret("hunter22\r\n", &out).ok());
  CHECK(out == "hunter22");
  REQUIRE(CleanSecret("two\n\n", &out).ok());
  CHECK(out == "two\n");
  CHECK(CleanSecret("\n", &out).code() == Code::kBadRequest);
  CHECK(CleanSecret("\xff\xfe", &out).code() == Code::kBadRequest);
}

}  // namespace agor
