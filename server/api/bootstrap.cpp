#include "server/api/bootstrap.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "server/api/api_key.h"
#include "server/api/password_hasher.h"

namespace agor {
namespace {

constexpr const char* kAdminEmail = "admin@localhost";
constexpr const char* kFileName = "admin-credentials";

Status Errno(const std::string& what, const std::string& path) {
  return Status::GeneralError(what + " " + path + ": " + strerror(errno));
}

// Writes all of `text` to `fd`, retrying short writes and interruptions.
bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

Status CreateAdminUser(Store* store, AdminCredentials* admin) {
  admin->email = kAdminEmail;
  admin->password = RandomPassword(24);
  std::string hash;
  Status s = PasswordHasher::HashNow(admin->password, &hash);
  Json user;
  if (s.ok()) {
    s = store->CreateUser({{"email", kAdminEmail}, {"name", "admin"}, {"role", "admin"}}, hash,
                          &user);
  }
  if (s.ok()) admin->user_id = user["user_id"].get<std::string>();
  return s;
}

Status CreateAdminKey(Store* store, AdminCredentials* admin) {
  NewApiKey key = MakeApiKey();
  Json record;
  Status s = store->CreateApiKey({{"user_id", admin->user_id}, {"name", kFileName}}, key.prefix,
                                 key.hash, &record);
  if (s.ok()) admin->api_key = key.key;
  return s;
}

}  // namespace

Status EnsureAdmin(Store* store, bool* created, AdminCredentials* admin) {
  *created = false;
  if (store->CountUsers() > 0) return Status::OK();
  Status s = CreateAdminUser(store, admin);
  if (s.ok()) s = CreateAdminKey(store, admin);
  // Boards of a database from before users had no owner: the admin takes them.
  if (s.ok()) s = store->AssignBoardOwners(admin->user_id);
  if (s.ok()) s = store->Commit();
  *created = s.ok();
  return s;
}

std::string AdminCredentialsPath(const std::string& db_path) {
  if (db_path == ":memory:" || db_path.empty()) return "";
  std::filesystem::path folder = std::filesystem::path(db_path).parent_path();
  if (folder.empty()) folder = ".";
  return (folder / kFileName).string();
}

Status WriteAdminCredentials(const std::string& path, const AdminCredentials& admin,
                             const std::string& url) {
  std::string text = Json{{"email", admin.email},
                          {"password", admin.password},
                          {"api_key", admin.api_key},
                          {"url", url}}
                         .dump(2) +
                     "\n";
  std::string temp = path + ".tmp-" + RandomPassword(12);
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", temp);
  bool ok = fchmod(fd, 0600) == 0 && WriteAll(fd, text) && fsync(fd) == 0;
  Status s = ok ? Status::OK() : Errno("cannot write", temp);
  close(fd);
  if (s.ok() && rename(temp.c_str(), path.c_str()) != 0) s = Errno("cannot rename to", path);
  if (!s.ok()) unlink(temp.c_str());
  return s;
}

}  // namespace agor
