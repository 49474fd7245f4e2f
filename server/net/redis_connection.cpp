#include "server/net/redis_connection.h"

#include <hiredis/hiredis.h>

#include <map>
#include <set>
#include <utility>

#include "base/log.h"
#include "server/net/redis_link.h"
#include "server/wire/redis_url.h"

namespace agor {

namespace {

// The channel and text of a pub/sub reply (["message", channel, payload] and the like).
bool PushParts(const redisReply& r, std::string* kind, std::string* channel) {
  if (r.type != REDIS_REPLY_ARRAY || r.elements < 3) return false;
  for (size_t i = 0; i < 2; ++i) {
    if (r.element[i]->type != REDIS_REPLY_STRING) return false;
  }
  kind->assign(r.element[0]->str, r.element[0]->len);
  channel->assign(r.element[1]->str, r.element[1]->len);
  return true;
}

}  // namespace

class RedisConnection::Impl {
 public:
  Impl(asio::io_context& io, RedisConnectionOptions options)
      : io_(io), options_(std::move(options)) {}
  ~Impl() { Close(); }

  Status Start() {
    if (cmd_) return Status::Conflict("the Redis connection was already started");
    Status status = ParseRedisUrl(options_.url, &url_);
    if (!status.ok()) return status;
    RedisLinkOptions link;
    link.connect_timeout_ms = options_.connect_timeout_ms;
    link.backoff_min_ms = options_.backoff_min_ms;
    link.backoff_max_ms = options_.backoff_max_ms;
    link.max_buffer_bytes = options_.max_reply_bytes + 1024;
    cmd_ = std::make_shared<RedisLink>(io_, url_, link, CommandHooks());
    sub_ = std::make_shared<RedisLink>(io_, url_, link, PubSubHooks());
    cmd_->Start();
    sub_->Start();
    return Status::OK();
  }

  void Close() {
    *alive_ = false;
    if (cmd_) cmd_->Close();
    if (sub_) sub_->Close();
    cmd_ready_ = sub_ready_ = sub_connected_ = reported_up_ = false;
  }

  void Command(std::vector<std::string> argv, Callback done) {
    auto shared = std::make_shared<Callback>(std::move(done));
    if (!*alive_ || !cmd_) return Refuse(shared, Status::Unavailable("Redis connection closed"));
    if (argv.empty()) return Refuse(shared, Status::BadRequest("empty Redis command"));
    if (!cmd_ready_ || !cmd_->up()) return Refuse(shared, Down());
    if (in_flight_ >= options_.max_in_flight) {
      return Refuse(shared, Status::Unavailable("too many Redis commands awaiting replies"));
    }
    bool sent = cmd_->Send(argv, [this, shared](const redisReply* r) {
      --in_flight_;
      Finish(r, *shared);
    });
    if (!sent) return Refuse(shared, Down());
    ++in_flight_;
    ++stats_.commands;
  }

  void Subscribe(const std::string& channel, MessageFn on_message, std::function<void()> ready) {
    wanted_[channel] = Subscriber{std::move(on_message), std::move(ready)};
    to_drop_.erase(channel);
    if (!subscribed_.count(channel)) to_add_.insert(channel);
    FlushSoon();
  }

  void Unsubscribe(const std::string& channel) {
    if (wanted_.erase(channel) == 0) return;
    to_add_.erase(channel);
    if (subscribed_.count(channel)) to_drop_.insert(channel);
    FlushSoon();
  }

  std::function<void(bool)> on_state_;
  RedisStats stats_;
  bool reported_up_ = false;

  std::string last_error() const {
    if (cmd_ && !cmd_->up() && !cmd_->last_error().empty()) return cmd_->last_error();
    if (sub_ && !sub_->up() && !sub_->last_error().empty()) return sub_->last_error();
    return last_error_;
  }

 private:
  struct Subscriber {
    MessageFn on_message;
    std::function<void()> on_subscribed;
  };

  RedisLink::Hooks CommandHooks() {
    RedisLink::Hooks hooks;
    hooks.up = [this] { SelectDb(); };
    hooks.down = [this](const std::string& why) { Down(&cmd_ready_, why); };
    return hooks;
  }

  RedisLink::Hooks PubSubHooks() {
    RedisLink::Hooks hooks;
    hooks.up = [this] { Resubscribe(); };
    hooks.down = [this](const std::string& why) {
      sub_connected_ = false;
      ForgetSubscriptions();
      Down(&sub_ready_, why);
    };
    hooks.push = [this](const redisReply& r) { Push(r); };
    return hooks;
  }

  // Commands may flow once the database is selected (db 0 needs no SELECT).
  void SelectDb() {
    if (url_.db == 0) return Ready(&cmd_ready_);
    std::vector<std::string> argv = {"SELECT", std::to_string(url_.db)};
    cmd_->Send(argv, [this](const redisReply* r) {
      if (r && r->type == REDIS_REPLY_STATUS) return Ready(&cmd_ready_);
      last_error_ = "SELECT " + std::to_string(url_.db) + " failed" +
                    (r && r->type == REDIS_REPLY_ERROR ? std::string(": ") + r->str : "");
      Log(LogLevel::kError, "redis: " + last_error_);
    });
  }

  // What was sent belongs to a connection that is gone; `wanted_` says what to send anew.
  void ForgetSubscriptions() {
    subscribed_.clear();
    unsubscribing_.clear();
    confirming_.clear();
    to_add_.clear();
    to_drop_.clear();
  }

  // A fresh pub/sub connection: everything wanted is subscribed anew, in one command.
  void Resubscribe() {
    sub_connected_ = true;
    ForgetSubscriptions();
    std::vector<std::string> argv = {"SUBSCRIBE"};
    for (const auto& entry : wanted_) {
      argv.push_back(entry.first);
      subscribed_.insert(entry.first);
      confirming_.insert(entry.first);
    }
    if (argv.size() > 1) sub_->SendPubSub(argv);
    MaybeSubReady();
  }

  // Changes of one turn of the loop go out together, one UNSUBSCRIBE and one SUBSCRIBE.
  void FlushSoon() {
    if (flush_posted_ || !sub_connected_) return;
    flush_posted_ = true;
    asio::post(io_, [alive = alive_, this] {
      if (!*alive) return;
      flush_posted_ = false;
      Flush();
    });
  }

  // Unsubscribes, then subscribes. A SUBSCRIBE waits for the UNSUBSCRIBEs in flight: hiredis
  // 0.14 leaves subscribed mode when an unsubscribe reply counts zero channels, and then
  // aborts on a subscribe reply it did not expect.
  void Flush() {
    if (!sub_connected_) return;
    std::vector<std::string> drop = {"UNSUBSCRIBE"};
    for (const std::string& channel : to_drop_) {
      drop.push_back(channel);
      subscribed_.erase(channel);
      confirming_.erase(channel);
      unsubscribing_.insert(channel);
    }
    to_drop_.clear();
    if (drop.size() > 1) sub_->SendPubSub(drop);
    MaybeSubReady();
    if (!unsubscribing_.empty() || to_add_.empty()) return;
    std::vector<std::string> add = {"SUBSCRIBE"};
    for (const std::string& channel : to_add_) {
      add.push_back(channel);
      subscribed_.insert(channel);
    }
    to_add_.clear();
    sub_->SendPubSub(add);
  }

  void Push(const redisReply& r) {
    std::string kind, channel;
    if (!PushParts(r, &kind, &channel)) return;
    if (kind == "message") return Deliver(channel, *r.element[2]);
    if (kind == "subscribe") return Confirmed(channel);
    if (kind == "unsubscribe" && unsubscribing_.erase(channel) && unsubscribing_.empty()) Flush();
  }

  void Deliver(const std::string& channel, const redisReply& payload) {
    auto it = wanted_.find(channel);
    if (it == wanted_.end() || payload.type != REDIS_REPLY_STRING) return;
    ++stats_.messages;
    MessageFn on_message = it->second.on_message;  // it may unsubscribe itself
    if (on_message) on_message(std::string(payload.str, payload.len));
  }

  void Confirmed(const std::string& channel) {
    confirming_.erase(channel);
    auto it = wanted_.find(channel);
    if (it != wanted_.end() && it->second.on_subscribed) {
      std::function<void()> ready = it->second.on_subscribed;
      ready();
    }
    MaybeSubReady();
  }

  void MaybeSubReady() {
    if (sub_connected_ && confirming_.empty() && !sub_ready_) Ready(&sub_ready_);
  }

  void Finish(const redisReply* r, const Callback& done) {
    RedisReply reply;
    Status status = r ? TranslateRedisReply(r, &reply, options_.max_reply_bytes)
                      : Status::Unavailable("Redis at " + url_.ToString() +
                                            ": connection lost before the reply");
    if (status.ok() && reply.is_error()) status = Status::GeneralError("Redis: " + reply.str);
    if (!status.ok()) ++stats_.failed_commands;
    done(status, std::move(reply));
  }

  Status Down() const {
    std::string why = last_error();
    return Status::Unavailable("Redis at " + url_.ToString() + " is unreachable" +
                               (why.empty() ? "" : ": " + why));
  }

  // Refusals are answered on the next turn of the loop, never from inside Command().
  void Refuse(const std::shared_ptr<Callback>& done, Status status) {
    ++stats_.failed_commands;
    asio::post(io_, [alive = alive_, done, status] {
      if (*alive) RunGuarded("a command callback", [&] { (*done)(status, RedisReply()); });
    });
  }

  void Ready(bool* flag) {
    *flag = true;
    Report();
  }

  void Down(bool* flag, const std::string& why) {
    *flag = false;
    last_error_ = why;
    Report();
  }

  void Report() {
    bool up = cmd_ready_ && sub_ready_;
    if (up == reported_up_) return;
    reported_up_ = up;
    if (up && ever_up_) ++stats_.reconnects;
    ever_up_ = ever_up_ || up;
    Log(up ? LogLevel::kInfo : LogLevel::kWarn,
        "redis: " + url_.ToString() + (up ? " is up" : " is down: " + last_error()));
    if (on_state_) on_state_(up);
  }

  asio::io_context& io_;
  RedisConnectionOptions options_;
  RedisUrl url_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<RedisLink> cmd_;
  std::shared_ptr<RedisLink> sub_;
  bool cmd_ready_ = false;
  bool sub_ready_ = false;
  bool sub_connected_ = false;
  bool ever_up_ = false;
  size_t in_flight_ = 0;
  std::string last_error_;
  std::map<std::string, Subscriber> wanted_;
  std::set<std::string> subscribed_;     // SUBSCRIBE sent on this connection
  std::set<std::string> unsubscribing_;  // UNSUBSCRIBE sent, reply not yet in
  std::set<std::string> confirming_;     // of the batch sent at connect, not yet confirmed
  std::set<std::string> to_add_;         // wanted, SUBSCRIBE not yet sent
  std::set<std::string> to_drop_;        // subscribed, no longer wanted, UNSUBSCRIBE not yet sent
  bool flush_posted_ = false;
};

RedisConnection::RedisConnection(asio::io_context& io, RedisConnectionOptions options)
    : impl_(new Impl(io, std::move(options))) {}
RedisConnection::~RedisConnection() = default;

Status RedisConnection::Start() {
  return impl_->Start();
}
void RedisConnection::Close() {
  impl_->Close();
}
void RedisConnection::OnState(std::function<void(bool up)> fn) {
  impl_->on_state_ = std::move(fn);
}
bool RedisConnection::up() const {
  return impl_->reported_up_;
}
std::string RedisConnection::last_error() const {
  return impl_->last_error();
}
RedisStats RedisConnection::stats() const {
  return impl_->stats_;
}
void RedisConnection::Command(std::vector<std::string> argv, Callback done) {
  impl_->Command(std::move(argv), std::move(done));
}
void RedisConnection::Subscribe(const std::string& channel, MessageFn on_message,
                                std::function<void()> on_subscribed) {
  impl_->Subscribe(channel, std::move(on_message), std::move(on_subscribed));
}
void RedisConnection::Unsubscribe(const std::string& channel) {
  impl_->Unsubscribe(channel);
}

}  // namespace agor
