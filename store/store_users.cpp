// Store's identities (see store.h): users with their password hashes, api keys found by their
// hash, token revocation, server secrets and the owners of boards from before identities.
// Secrets live where no record is read from (user_passwords, api_keys.key_hash, secrets), so
// no answer, event or log line can carry them. Revocations are mirrored in memory: checking a
// token costs two hash lookups, not a query. On the store's SqlSession (either engine).
#include "base/clock.h"
#include "store/record_codec.h"
#include "store/store.h"
#include "store/validator.h"

namespace agor {
namespace {

constexpr int64_t kTouchIntervalMs = 60000;  // last_used_at is stamped at most this often
constexpr size_t kMaxTouchedKeys = 100000;   // bound of the stamps kept in memory
constexpr int64_t kPruneIntervalMs = 60000;  // expired revoked jtis are dropped this often

}  // namespace

Status Store::StorePassword(const std::string& user_id, const std::string& password_hash) {
  return session_->Exec(
      "INSERT INTO user_passwords (user_id, hash) VALUES (?, ?) "
      "ON CONFLICT(user_id) DO UPDATE SET hash = excluded.hash",
      {user_id, password_hash});
}

Status Store::CreateUser(const Json& data, const std::string& password_hash, Json* record) {
  const ServiceSchema& schema = *FindService("users");
  Json clean;
  Status s = ValidateWrite(schema, data, WriteMode::kCreate, &clean);
  if (!s.ok()) return s;
  auto change = [&](WriteContext& ctx) {
    Status is = Insert(ctx, clean);
    if (is.ok() && !password_hash.empty())
      is = StorePassword(ctx.event.record["user_id"], password_hash);
    return is;
  };
  return Write(schema, "created", change, record);  // a SAVEPOINT: record and hash, or neither
}

Status Store::PatchUser(const std::string& id, const Json& data, const std::string& password_hash,
                        Json* record) {
  const ServiceSchema& schema = *FindService("users");
  Json clean;
  Status s = ValidateWrite(schema, data, WriteMode::kPatch, &clean);
  std::string full;
  if (s.ok()) s = ResolveId("users", id, &full);
  if (!s.ok()) return s;
  auto change = [&](WriteContext& ctx) {
    Status ps = Replace(ctx, full, clean, false);
    if (ps.ok() && !password_hash.empty()) ps = StorePassword(full, password_hash);
    return ps;
  };
  return Write(schema, "patched", change, record);
}

Status Store::FindLogin(const std::string& email, Json* user, std::string* password_hash) {
  const ServiceSchema& schema = *FindService("users");
  auto columns = AllColumns(schema);
  // Through the index that folds case: users.email's NOCASE on SQLite, lower(email) on PG.
  SqlRow row;
  Status s = QueryRow("SELECT " + ColumnList(columns) + " FROM users WHERE " +
                          session_->dialect().EqualsFoldingCase("email"),
                      {email}, &row);
  if (s.code() == Code::kNotFound) return Status::NotFound("No user with that email");
  if (!s.ok()) return s;
  *user = RecordFromRow(row, columns);
  return PasswordHash((*user)["user_id"].get<std::string>(), password_hash);
}

Status Store::PasswordHash(const std::string& user_id, std::string* password_hash) {
  SqlRow row;
  Status s = QueryRow("SELECT hash FROM user_passwords WHERE user_id = ?", {user_id}, &row);
  if (s.code() == Code::kNotFound) s = Status::OK();  // a user without a password
  *password_hash = s.ok() && !row.empty() ? row[0].text() : "";
  return s;
}

int64_t Store::CountUsers() {
  SqlRow row;
  return QueryRow("SELECT COUNT(*) FROM users", {}, &row).ok() ? row[0].integer() : 0;
}

Status Store::CreateApiKey(const Json& data, const std::string& prefix, const std::string& key_hash,
                           Json* record) {
  const ServiceSchema& schema = *FindService("api-keys");
  Json clean;
  Status s = ValidateWrite(schema, data, WriteMode::kCreate, &clean);
  if (!s.ok()) return s;
  if (key_hash.empty()) return Status::BadRequest("an api key needs its hash");
  auto change = [&](WriteContext& ctx) {
    Status is = Insert(ctx, clean, Json{{"prefix", prefix}});
    if (!is.ok()) return is;
    return session_->Exec("UPDATE api_keys SET key_hash = ? WHERE id = ?",
                          {key_hash, ctx.event.record["id"].get<std::string>()});
  };
  return Write(schema, "created", change, record);
}

Status Store::FindApiKey(const std::string& key_hash, Json* record) {
  const ServiceSchema& schema = *FindService("api-keys");
  auto columns = AllColumns(schema);
  SqlRow row;
  Status s = QueryRow("SELECT " + ColumnList(columns) + " FROM api_keys WHERE key_hash = ?",
                      {key_hash}, &row);
  if (s.code() == Code::kNotFound) return Status::NotFound("No such api key");
  if (s.ok()) *record = RecordFromRow(row, columns);
  return s;
}

Status Store::TouchApiKey(const std::string& id) {
  int64_t now = clock_->NowMillis();
  auto last = key_touched_ms_.find(id);
  if (last != key_touched_ms_.end() && now - last->second < kTouchIntervalMs) return Status::OK();
  if (key_touched_ms_.size() >= kMaxTouchedKeys) key_touched_ms_.clear();
  key_touched_ms_[id] = now;
  return InSavepoint([&] {
    return session_->Exec("UPDATE api_keys SET last_used_at = ? WHERE id = ?",
                          {FormatIso8601(now), id});
  });
}

Status Store::LoadTokens() {
  Status s =
      session_->Exec("DELETE FROM revoked_tokens WHERE expires_ms < ?", {clock_->NowMillis()});
  if (s.ok()) s = RefreshTokens();
  next_prune_ms_ = clock_->NowMillis() + kPruneIntervalMs;
  return s;
}

// Replaces the mirror as a whole: a full read, as small as the revocations not yet expired.
Status Store::RefreshTokens() {
  SqlResult jtis, cutoffs;
  Status s = session_->Query("SELECT jti, expires_ms FROM revoked_tokens", {}, &jtis);
  if (s.ok()) {
    s = session_->Query("SELECT user_id, issued_before_s, keep_jti FROM token_cutoffs", {},
                        &cutoffs);
  }
  if (!s.ok()) return s;
  std::unordered_map<std::string, int64_t> revoked;
  std::unordered_map<std::string, Cutoff> cut;
  int64_t now = clock_->NowMillis();
  for (const SqlRow& r : jtis.rows)
    if (r[1].integer() >= now) revoked[r[0].text()] = r[1].integer();
  for (const SqlRow& r : cutoffs.rows) cut[r[0].text()] = {r[1].integer(), r[2].text()};
  revoked_jtis_.swap(revoked);
  cutoffs_.swap(cut);
  return s;
}

Status Store::RevokeToken(const std::string& jti, int64_t expires_ms) {
  int64_t now = clock_->NowMillis();
  bool prune = now >= next_prune_ms_;
  Status s = InSavepoint([&] {
    Status is = session_->Exec(
        "INSERT INTO revoked_tokens (jti, expires_ms) VALUES (?, ?) "
        "ON CONFLICT (jti) DO UPDATE SET expires_ms = excluded.expires_ms",
        {jti, expires_ms});
    if (!is.ok() || !prune) return is;
    return session_->Exec("DELETE FROM revoked_tokens WHERE expires_ms < ?", {now});
  });
  if (!s.ok()) return s;
  revoked_jtis_[jti] = expires_ms;
  if (!prune) return s;
  next_prune_ms_ = now + kPruneIntervalMs;
  for (auto it = revoked_jtis_.begin(); it != revoked_jtis_.end();)
    it = it->second < now ? revoked_jtis_.erase(it) : std::next(it);
  return s;
}

Status Store::RevokeUserTokens(const std::string& user_id, int64_t issued_before_s,
                               const std::string& keep_jti) {
  Status s = InSavepoint([&] {
    return session_->Exec(
        "INSERT INTO token_cutoffs (user_id, issued_before_s, keep_jti) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET issued_before_s = excluded.issued_before_s, "
        "keep_jti = excluded.keep_jti",
        {user_id, issued_before_s, keep_jti});
  });
  if (s.ok()) cutoffs_[user_id] = {issued_before_s, keep_jti};
  return s;
}

bool Store::IsTokenRevoked(const std::string& jti, const std::string& user_id,
                           int64_t issued_at_s) {
  if (revoked_jtis_.count(jti)) return true;
  auto cutoff = cutoffs_.find(user_id);
  return cutoff != cutoffs_.end() && issued_at_s < cutoff->second.issued_before_s &&
         jti != cutoff->second.keep_jti;
}

bool Store::IsTokenRevokedNow(const std::string& jti, const std::string& user_id,
                              int64_t issued_at_s) {
  if (!pg_) return IsTokenRevoked(jti, user_id, issued_at_s);  // one daemon: the mirror is whole
  SqlResult jtis, cutoffs;
  Status s = session_->Query("SELECT expires_ms FROM revoked_tokens WHERE jti = ?", {jti}, &jtis);
  if (s.ok()) {
    s = session_->Query("SELECT issued_before_s, keep_jti FROM token_cutoffs WHERE user_id = ?",
                        {user_id}, &cutoffs);
  }
  if (!s.ok()) return true;
  if (!jtis.rows.empty()) revoked_jtis_[jti] = jtis.rows[0][0].integer();
  if (!cutoffs.rows.empty())
    cutoffs_[user_id] = {cutoffs.rows[0][0].integer(), cutoffs.rows[0][1].text()};
  return IsTokenRevoked(jti, user_id, issued_at_s);
}

Status Store::GetOrCreateSecret(const std::string& name, const std::function<std::string()>& make,
                                std::string* value) {
  SqlRow row;
  Status s = QueryRow("SELECT value FROM secrets WHERE name = ?", {name}, &row);
  if (s.ok()) *value = row[0].text();  // a blob: any bytes
  if (s.code() != Code::kNotFound) return s;
  std::string made = make();
  s = InSavepoint([&] {
    return session_->Exec("INSERT INTO secrets (name, value) VALUES (?, ?)",
                          {name, SqlValue::Blob(made)});
  });
  if (s.ok()) *value = std::move(made);
  return s;
}

Status Store::AssignBoardOwners(const std::string& user_id) {
  const ServiceSchema& schema = *FindService("boards");
  SqlResult ids;
  Status s = session_->Query(
      "SELECT board_id FROM boards WHERE owner_id IS NULL ORDER BY created_at", {}, &ids);
  if (!s.ok()) return s;
  for (const SqlRow& row : ids.rows) {
    const std::string& id = row[0].text();
    auto change = [&](WriteContext& ctx) {
      Status ls = Load(schema, id, &ctx.event.record);
      if (!ls.ok()) return ls;
      ctx.event.record["owner_id"] = user_id;
      ctx.event.record["updated_at"] = ctx.now;
      return session_->Exec("UPDATE boards SET owner_id = ?, updated_at = ? WHERE board_id = ?",
                            {user_id, ctx.now, id});
    };
    Json record;
    s = Write(schema, "patched", change, &record, true);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace agor
