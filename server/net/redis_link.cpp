#include "server/net/redis_link.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "base/log.h"

namespace agor {

namespace {

RedisLink* LinkOf(void* link) {
  return static_cast<RedisLink*>(link);
}

}  // namespace

void RunGuarded(const char* what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    Log(LogLevel::kError, std::string("redis: ") + what + " threw: " + e.what());
  } catch (...) {
    Log(LogLevel::kError, std::string("redis: ") + what + " threw");
  }
}

RedisLink::RedisLink(asio::io_context& io, RedisUrl url, RedisLinkOptions options, Hooks hooks)
    : io_(io),
      url_(std::move(url)),
      options_(options),
      hooks_(std::move(hooks)),
      resolver_(io),
      connect_timer_(io),
      retry_timer_(io),
      backoff_ms_(options.backoff_min_ms) {}

RedisLink::~RedisLink() {
  Close();
}

void RedisLink::Start() {
  Connect();
}

void RedisLink::Close() {
  if (closed_) return;
  closed_ = true;
  up_ = false;
  resolver_.cancel();
  connect_timer_.cancel();
  retry_timer_.cancel();
  // Inside one of its callbacks hiredis defers the free to when the callback returns; the
  // wait that called into hiredis holds a reference to this link until then.
  if (ac_) redisAsyncFree(ac_);
}

bool RedisLink::Send(const std::vector<std::string>& argv, ReplyFn on_reply) {
  auto* fn = new ReplyFn(std::move(on_reply));
  if (Queue(argv, &RedisLink::OnReply, fn)) return true;
  delete fn;
  return false;
}

bool RedisLink::SendPubSub(const std::vector<std::string>& argv) {
  return Queue(argv, &RedisLink::OnPush, this);
}

bool RedisLink::Queue(const std::vector<std::string>& argv,
                      void (*fn)(redisAsyncContext*, void*, void*), void* privdata) {
  if (!up_ || !ac_ || argv.empty()) return false;
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  return redisAsyncCommandArgv(ac_, fn, privdata, static_cast<int>(args.size()), args.data(),
                               lengths.data()) == REDIS_OK;
}

// A command's callback: hiredis calls it once, with the reply or null when the context goes.
void RedisLink::OnReply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<ReplyFn> fn(static_cast<ReplyFn*>(privdata));
  if (LinkOf(ac->data)->closed_) return;
  RunGuarded("a command callback", [&] { (*fn)(static_cast<const redisReply*>(reply)); });
}

void RedisLink::OnPush(redisAsyncContext*, void* reply, void* privdata) {
  RedisLink* link = LinkOf(privdata);
  if (!reply || link->closed_ || !link->hooks_.push) return;
  RunGuarded("a pub/sub callback",
             [&] { link->hooks_.push(*static_cast<const redisReply*>(reply)); });
}

void RedisLink::Connect() {
  if (closed_) return;
  asio::error_code ec;
  asio::ip::make_address(url_.host, ec);
  if (!ec) return ConnectTo(url_.host);
  Resolve();
}

void RedisLink::Resolve() {
  resolver_.async_resolve(
      url_.host, std::to_string(url_.port),
      [weak = weak_from_this()](const asio::error_code& ec,
                                asio::ip::tcp::resolver::results_type results) {
        auto self = weak.lock();
        if (!self || self->closed_ || ec == asio::error::operation_aborted) return;
        if (ec || results.empty()) {
          return self->Failed("cannot resolve " + self->url_.host + ": " + ec.message());
        }
        self->ConnectTo(results.begin()->endpoint().address().to_string());
      });
}

void RedisLink::ConnectTo(const std::string& address) {
  redisAsyncContext* ac = redisAsyncConnect(address.c_str(), url_.port);
  if (!ac) return Failed("out of memory");
  if (ac->err) {
    std::string why = ac->errstr;
    redisAsyncFree(ac);
    return Failed(why);
  }
  if (!Attach(ac)) return;
  connect_timer_.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  connect_timer_.async_wait(
      [weak = weak_from_this(), gen = generation_](const asio::error_code& e) {
        auto self = weak.lock();
        if (!self || e || gen != self->generation_ || self->up_ || !self->ac_) return;
        self->Drop("connect timed out after " + std::to_string(self->options_.connect_timeout_ms) +
                   " ms");
      });
}

bool RedisLink::Attach(redisAsyncContext* ac) {
  asio::error_code ec;
  auto watch = std::make_unique<asio::posix::stream_descriptor>(io_);
  watch->assign(ac->c.fd, ec);
  if (ec) {
    redisAsyncFree(ac);
    Failed("cannot watch the socket: " + ec.message());
    return false;
  }
  ac_ = ac;
  watch_ = std::move(watch);
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &RedisLink::AddRead;
  ac->ev.delRead = &RedisLink::DelRead;
  ac->ev.addWrite = &RedisLink::AddWrite;
  ac->ev.delWrite = &RedisLink::DelWrite;
  ac->ev.cleanup = &RedisLink::Cleanup;
  redisEnableKeepAlive(&ac->c);  // notices a vanished host, not only a closed socket
  redisAsyncSetDisconnectCallback(ac, &RedisLink::OnDisconnect);
  redisAsyncSetConnectCallback(ac, &RedisLink::OnConnect);  // waits for writable: connected
  return true;
}

// hiredis's cleanup hook: the context is about to be freed and its descriptor closed.
void RedisLink::Detach() {
  ++generation_;
  ac_ = nullptr;
  up_ = false;
  want_read_ = want_write_ = read_armed_ = write_armed_ = false;
  if (!watch_) return;
  asio::error_code ec;
  watch_->cancel(ec);
  watch_->release();  // hiredis closes the descriptor, not Asio
  watch_.reset();
}

void RedisLink::AddRead(void* link) {
  LinkOf(link)->want_read_ = true;
  LinkOf(link)->ArmRead();
}
void RedisLink::DelRead(void* link) {
  LinkOf(link)->want_read_ = false;
}
void RedisLink::AddWrite(void* link) {
  LinkOf(link)->want_write_ = true;
  LinkOf(link)->ArmWrite();
}
void RedisLink::DelWrite(void* link) {
  LinkOf(link)->want_write_ = false;
}
void RedisLink::Cleanup(void* link) {
  LinkOf(link)->Detach();
}

void RedisLink::ArmRead() {
  if (!want_read_ || read_armed_ || !watch_) return;
  read_armed_ = true;
  watch_->async_wait(asio::posix::descriptor_base::wait_read,
                     [weak = weak_from_this(), gen = generation_](const asio::error_code& ec) {
                       auto self = weak.lock();
                       if (!self || gen != self->generation_) return;
                       self->read_armed_ = false;
                       if (!ec) self->Readable();
                     });
}

void RedisLink::ArmWrite() {
  if (!want_write_ || write_armed_ || !watch_) return;
  write_armed_ = true;
  watch_->async_wait(asio::posix::descriptor_base::wait_write,
                     [weak = weak_from_this(), gen = generation_](const asio::error_code& ec) {
                       auto self = weak.lock();
                       if (!self || gen != self->generation_) return;
                       self->write_armed_ = false;
                       if (!ec) self->Writable();
                     });
}

// Both run with the link held by their wait; the context may be freed inside hiredis.
void RedisLink::Readable() {
  if (!want_read_ || !ac_) return;
  uint64_t gen = generation_;
  redisAsyncHandleRead(ac_);
  if (gen != generation_) return;
  if (ac_->c.reader && ac_->c.reader->len > options_.max_buffer_bytes) {
    return Drop("a Redis reply over " + std::to_string(options_.max_buffer_bytes) + " bytes");
  }
  ArmRead();
}

void RedisLink::Writable() {
  if (!want_write_ || !ac_) return;
  uint64_t gen = generation_;
  redisAsyncHandleWrite(ac_);
  if (gen == generation_) ArmWrite();
}

void RedisLink::OnConnect(const redisAsyncContext* ac, int status) {
  RedisLink* link = LinkOf(ac->data);
  if (link->closed_) return;
  if (status != REDIS_OK) return link->Failed(ac->errstr ? ac->errstr : "connect failed");
  link->connect_timer_.cancel();
  link->up_ = true;
  link->backoff_ms_ = link->options_.backoff_min_ms;
  if (link->ever_up_) ++link->reconnects_;
  link->ever_up_ = true;
  link->PostHook([gen = link->generation_](RedisLink* self) {
    if (gen == self->generation_ && self->up_ && self->hooks_.up) self->hooks_.up();
  });
}

// Called only for a context that was connected; Cleanup (Detach) has already run.
void RedisLink::OnDisconnect(const redisAsyncContext* ac, int) {
  RedisLink* link = LinkOf(ac->data);
  if (link->closed_) return;
  std::string why = !link->drop_reason_.empty() ? link->drop_reason_
                    : (ac->err && ac->errstr)   ? ac->errstr
                                                : "connection closed";
  link->drop_reason_.clear();
  link->Lost(why);
}

void RedisLink::Lost(const std::string& why) {
  last_error_ = why;
  PostHook([why](RedisLink* self) {
    if (self->hooks_.down) self->hooks_.down(why);
  });
  RetryLater();
}

// Frees the current context ourselves: a connected one reports through OnDisconnect, a
// connecting one does not, so its failure is noted here.
void RedisLink::Drop(const std::string& why) {
  bool was_up = up_;
  drop_reason_ = why;
  redisAsyncFree(ac_);
  if (!was_up) {
    drop_reason_.clear();
    Failed(why);
  }
}

void RedisLink::Failed(const std::string& why) {
  last_error_ = why;
  RetryLater();
}

void RedisLink::RetryLater() {
  if (closed_) return;
  int delay = backoff_ms_;
  backoff_ms_ = std::min(std::max(1, backoff_ms_) * 2, options_.backoff_max_ms);
  retry_timer_.expires_after(std::chrono::milliseconds(delay));
  retry_timer_.async_wait([weak = weak_from_this()](const asio::error_code& ec) {
    auto self = weak.lock();
    if (self && !ec && !self->closed_) self->Connect();
  });
}

void RedisLink::PostHook(std::function<void(RedisLink*)> fn) {
  asio::post(io_, [weak = weak_from_this(), fn = std::move(fn)] {
    auto self = weak.lock();
    if (self && !self->closed_) RunGuarded("a state hook", [&] { fn(self.get()); });
  });
}

}  // namespace agor
