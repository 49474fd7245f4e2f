#include "server/realtime/login_failure_relay.h"

#include <array>

#include "base/json.h"
#include "base/log.h"

namespace agor {
namespace {

constexpr size_t kMaxEmailBytes = 320;  // LoginLimiter::kMaxKeyBytes
constexpr size_t kMaxAddressBytes = 64;
constexpr size_t kMaxNodeBytes = 64;
constexpr std::array<const char*, 5> kKeys = {"v", "node", "email", "address", "at"};

Status Refuse(const std::string& what) {
  return Status::BadRequest("Invalid login-failure message: " + what);
}

Status ReadText(const Json& message, const char* key, size_t max, std::string* out) {
  const Json& value = message[key];
  if (!value.is_string() || value.get_ref<const std::string&>().size() > max)
    return Refuse(std::string(key) + " is not a string of at most " + std::to_string(max) +
                  " bytes");
  *out = value.get<std::string>();
  return Status::OK();
}

Status CheckShape(const Json& message) {
  if (!message.is_object() || message.size() != kKeys.size())
    return Refuse("not an object of 5 fields");
  for (const char* key : kKeys) {
    if (!message.contains(key)) return Refuse(std::string("no ") + key);
  }
  const Json& v = message["v"];
  if (!v.is_number_integer() || v.get<int64_t>() != 1) return Refuse("unknown version");
  const Json& at = message["at"];
  if (!at.is_number_integer() || (at.is_number_unsigned() && at.get<uint64_t>() > INT64_MAX) ||
      at.get<int64_t>() < 0)
    return Refuse("at is not a time in ms");
  return Status::OK();
}

}  // namespace

std::string EncodeLoginFailure(const LoginFailure& f) {
  return Json{
      {"v", 1}, {"node", f.node}, {"email", f.email}, {"address", f.address}, {"at", f.at_ms}}
      .dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status DecodeLoginFailure(std::string_view bytes, LoginFailure* out) {
  if (bytes.size() > kMaxLoginFailureBytes) return Refuse("too long");
  Json message;
  Status s = ParseJson(bytes, &message);
  if (!s.ok()) return Refuse(s.message());
  s = CheckShape(message);
  LoginFailure f;
  if (s.ok()) s = ReadText(message, "node", kMaxNodeBytes, &f.node);
  if (s.ok()) s = ReadText(message, "email", kMaxEmailBytes, &f.email);
  if (s.ok()) s = ReadText(message, "address", kMaxAddressBytes, &f.address);
  if (!s.ok()) return s;
  f.at_ms = message["at"].get<int64_t>();
  *out = std::move(f);
  return Status::OK();
}

LoginFailureRelay::LoginFailureRelay(std::unique_ptr<RedisConnection> redis, std::string prefix,
                                     std::string node_id, Counted counted)
    : redis_(std::move(redis)),
      channel_(std::move(prefix) + "login-failed"),
      node_id_(std::move(node_id)),
      counted_(std::move(counted)) {}

LoginFailureRelay::~LoginFailureRelay() {
  Close();
}

Status LoginFailureRelay::Start() {
  redis_->Subscribe(channel_, [this](const std::string& payload) { OnMessage(payload); });
  return redis_->Start();
}

void LoginFailureRelay::Close() {
  redis_->Close();
}

void LoginFailureRelay::Publish(const std::string& email, const std::string& address,
                                int64_t at_ms) {
  if (!redis_->up()) return;  // each node still holds its own bounds meanwhile
  ++stats_.published;
  std::string message = EncodeLoginFailure({node_id_, email, address, at_ms});
  redis_->Command({"PUBLISH", channel_, std::move(message)}, [](Status, RedisReply) {});
}

void LoginFailureRelay::OnMessage(const std::string& payload) {
  LoginFailure f;
  Status s = DecodeLoginFailure(payload, &f);
  if (!s.ok()) {
    if (stats_.invalid++ % 1000 == 0)
      Log(LogLevel::kWarn, "login-failure relay: dropped a message: " + LogEscape(s.message()));
    return;
  }
  if (f.node == node_id_) return;  // our own, back from Redis: counted when it happened
  ++stats_.received;
  counted_(f);
}

}  // namespace agor
