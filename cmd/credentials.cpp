#include "cmd/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/json.h"
#include "cmd/client/rest_client.h"

namespace agor {
namespace {

constexpr size_t kMaxFileBytes = 64 * 1024;
constexpr size_t kMaxTokenBytes = 8 * 1024;

bool IsLoopback(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

Status FileError(const std::string& path, int error) {
  if (error == ELOOP) return Status::Forbidden("refusing " + path + ": it is a symbolic link");
  if (error == ENOENT) return Status::NotFound(path + " does not exist");
  return Status::GeneralError("cannot read " + path + ": " + strerror(error));
}

// Reads at most kMaxFileBytes + 1 bytes of an open file.
Status ReadAll(int fd, const std::string& path, std::string* text) {
  char buffer[4096];
  while (text->size() <= kMaxFileBytes) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileError(path, errno);
    if (n == 0) return Status::OK();
    text->append(buffer, static_cast<size_t>(n));
  }
  return Status(Code::kUnprocessable, path + " is larger than 64 KiB");
}

// A token from a file: CheckTokenShape with the file named in the refusal.
Status FileToken(const std::string& path, const std::string& token) {
  Status shape = CheckTokenShape(token);
  return shape.ok() ? shape : Status(Code::kUnprocessable, path + ": " + shape.message());
}

// The saved login's token when it was issued by `daemon`; "" when absent or another daemon's.
Status SavedToken(const std::string& folder, const BaseUrl& daemon, Credential* out) {
  std::string path = TokenFilePath(folder);
  Json saved;
  Status status = ReadJsonFile(path, &saved);
  if (status.code() == Code::kNotFound) return Status::OK();
  if (!status.ok() || !SameDaemon(daemon, StringField(saved, "url"))) return status;
  std::string token = StringField(saved, "accessToken");
  status = FileToken(path, token);
  if (!status.ok()) return status;
  *out = {token, TokenSource::kSaved, StringField(saved, "email")};
  return Status::OK();
}

// The admin file's key when readable and written by `daemon`.
Status AdminToken(const std::string& folder, const BaseUrl& daemon, Credential* out) {
  std::string path = AdminFilePath(folder);
  Json admin;
  Status status = ReadJsonFile(path, &admin);
  bool skipped = status.code() == Code::kNotFound || status.code() == Code::kGeneralError;
  if (skipped) return Status::OK();  // absent, or not ours to read: "when readable"
  if (!status.ok() || !SameDaemon(daemon, StringField(admin, "url"))) return status;
  std::string key = StringField(admin, "api_key");
  status = FileToken(path, key);
  if (!status.ok()) return status;
  *out = {key, TokenSource::kAdminFile, StringField(admin, "email")};
  return Status::OK();
}

// Makes `folder` (0700) when missing; refuses a symlink or non-folder in its place.
Status EnsureFolder(const std::string& folder) {
  if (mkdir(folder.c_str(), 0700) == 0) return Status::OK();
  if (errno != EEXIST) {
    return Status::GeneralError("cannot create " + folder + ": " + strerror(errno));
  }
  struct stat info;
  if (lstat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::Forbidden("refusing " + folder + ": not a folder");
  }
  return Status::OK();
}

Status WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::GeneralError(std::string("cannot write: ") + strerror(errno));
    done += static_cast<size_t>(n);
  }
  return fsync(fd) == 0 ? Status::OK() : Status::GeneralError("cannot sync the token file");
}

}  // namespace

std::string AgorFolder(const char* home) {
  return std::string(home && *home ? home : ".") + "/.agor";
}

std::string TokenFilePath(const std::string& agor_folder) {
  return agor_folder + "/cli-token";
}

std::string AdminFilePath(const std::string& agor_folder) {
  return agor_folder + "/admin-credentials";
}

Status CheckTokenShape(const std::string& token) {
  if (token.empty()) return Status::BadRequest("the token is empty");
  if (token.size() > kMaxTokenBytes) return Status::BadRequest("the token is longer than 8 KiB");
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7f) {
      return Status::BadRequest("not a token (a JWT or an agor_sk_ key: no spaces or controls)");
    }
  }
  return Status::OK();
}

bool SameDaemon(const BaseUrl& a, const std::string& b_text) {
  BaseUrl b;
  if (b_text.empty() || !ParseBaseUrl(b_text, &b).ok()) return false;
  bool same_host = a.host == b.host || (IsLoopback(a.host) && IsLoopback(b.host));
  return same_host && a.port == b.port && a.prefix == b.prefix;
}

Status ResolveCredential(const std::string& flag, const char* env, const std::string& agor_folder,
                         const BaseUrl& daemon, Credential* out) {
  *out = Credential();
  if (!flag.empty() || (env && *env)) {
    bool from_flag = !flag.empty();
    std::string token = from_flag ? flag : env;
    Status shape = CheckTokenShape(token);
    if (!shape.ok()) {
      return Status::BadRequest((from_flag ? "--token: " : "AGOR_TOKEN: ") + shape.message());
    }
    *out = {token, from_flag ? TokenSource::kFlag : TokenSource::kEnv, ""};
    return Status::OK();
  }
  Status status = SavedToken(agor_folder, daemon, out);
  if (!status.ok() || out->source != TokenSource::kNone) return status;
  return AdminToken(agor_folder, daemon, out);
}

Status AttachCredential(const std::string& flag, BaseUrl* daemon, Credential* used) {
  Credential credential;
  Status status = ResolveCredential(flag, std::getenv("AGOR_TOKEN"),
                                    AgorFolder(std::getenv("HOME")), *daemon, &credential);
  if (status.ok()) daemon->token = credential.token;
  if (used) *used = credential;
  return status;
}

const char* SourceName(TokenSource source) {
  switch (source) {
    case TokenSource::kFlag:
      return "--token";
    case TokenSource::kEnv:
      return "AGOR_TOKEN";
    case TokenSource::kSaved:
      return "the saved login";
    case TokenSource::kAdminFile:
      return "~/.agor/admin-credentials";
    default:
      return "none";
  }
}

Status ReadJsonFile(const std::string& path, Json* out) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return FileError(path, errno);
  struct stat info;
  std::string text;
  Status status = fstat(fd, &info) == 0 && S_ISREG(info.st_mode)
                      ? ReadAll(fd, path, &text)
                      : Status::Forbidden("refusing " + path + ": not a regular file");
  close(fd);
  if (!status.ok()) return status;
  *out = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    return Status(Code::kUnprocessable, path + " is not a JSON object");
  }
  return Status::OK();
}

Status SaveToken(const std::string& agor_folder, const std::string& url, const std::string& email,
                 const std::string& token) {
  Status status = EnsureFolder(agor_folder);
  if (!status.ok()) return status;
  std::string path = TokenFilePath(agor_folder);
  std::string temporary = path + ".tmp" + std::to_string(getpid());
  unlink(temporary.c_str());  // a leftover of a crash (or a planted link): never followed
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::GeneralError("cannot write " + path + ": " + strerror(errno));
  Json saved = {{"url", url}, {"email", email}, {"accessToken", token}};
  status = WriteAll(fd, saved.dump() + "\n");
  close(fd);
  if (status.ok() && rename(temporary.c_str(), path.c_str()) != 0) {
    status = Status::GeneralError("cannot write " + path + ": " + strerror(errno));
  }
  if (!status.ok()) unlink(temporary.c_str());
  return status;
}

Status RemoveToken(const std::string& agor_folder) {
  std::string path = TokenFilePath(agor_folder);
  if (unlink(path.c_str()) == 0 || errno == ENOENT) return Status::OK();
  return Status::GeneralError("cannot remove " + path + ": " + strerror(errno));
}

Json ConnectAuth(const BaseUrl& daemon) {
  return daemon.token.empty() ? Json::object() : Json{{"token", daemon.token}};
}

SocketOptions SocketOptionsFor(const BaseUrl& daemon) {
  SocketOptions options;
  options.url = daemon.text;
  options.auth = ConnectAuth(daemon);
  return options;
}

}  // namespace agor
