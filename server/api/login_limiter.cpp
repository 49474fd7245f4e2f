#include "server/api/login_limiter.h"

#include <cctype>

namespace agor {
namespace {

// Emails are case-insensitive (store/: ASCII NOCASE), so is their counter.
std::string EmailKey(const std::string& email) {
  std::string key = "e:";
  for (size_t i = 0; i < email.size() && key.size() < LoginLimiter::kMaxKeyBytes; ++i) {
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(email[i]))));
  }
  return key;
}

std::string AddressKey(const std::string& address) {
  return ("a:" + address).substr(0, LoginLimiter::kMaxKeyBytes);
}

}  // namespace

Status LoginLimiter::Check(const std::string& email, const std::string& address, int64_t now_ms) {
  const bool over = Over(EmailKey(email), options_.per_email, now_ms) ||
                    (!address.empty() && Over(AddressKey(address), options_.per_address, now_ms));
  if (!over) return Status::OK();
  return Status(Code::kTooManyRequests, "Too many failed logins, try again later");
}

void LoginLimiter::Failed(const std::string& email, const std::string& address, int64_t now_ms) {
  Add(EmailKey(email), options_.per_email, now_ms);
  if (!address.empty()) Add(AddressKey(address), options_.per_address, now_ms);
}

bool LoginLimiter::Over(const std::string& key, size_t limit, int64_t now_ms) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return false;
  std::deque<int64_t>& stamps = it->second.stamps;
  while (!stamps.empty() && stamps.front() <= now_ms - options_.window_ms) stamps.pop_front();
  if (!stamps.empty()) return stamps.size() >= limit;
  order_.erase(it->second.order);
  keys_.erase(it);
  return false;
}

void LoginLimiter::Add(const std::string& key, size_t limit, int64_t now_ms) {
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    if (keys_.size() >= options_.max_keys && !order_.empty()) {
      keys_.erase(order_.front());
      order_.pop_front();
    }
    it = keys_.emplace(key, Entry{{}, order_.insert(order_.end(), key)}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  std::deque<int64_t>& stamps = it->second.stamps;
  stamps.push_back(now_ms);
  while (stamps.size() > limit) stamps.pop_front();
}

}  // namespace agor
