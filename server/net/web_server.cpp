#include "server/net/web_server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include "base/clock.h"
#include "base/log.h"
#include "server/net/web_connection.h"

namespace agor {

namespace {

constexpr int kIdleSweepMs = 10 * 1000;
constexpr int kHttpIdleMs = 60 * 1000;        // keep-alive connections idle this long are closed
constexpr int kAcceptRetryMs = 100;           // after another accept error
constexpr int64_t kRefusalLogMs = 10 * 1000;  // refusals are summed up this often at most
// Descriptors kept out of the connection limit: stdio, the database with its WAL and shared
// memory (twice: the checkpointer has its own connection), the loop's epoll, eventfd and
// signal pipe, the listener and the reserve descriptor, and the pipes of running agents.
constexpr uint64_t kFdReserve = 64;

// What a connection past the limit receives before it is closed: a Feathers 503.
const std::string& BusyAnswer() {
  static const std::string answer = [] {
    Status busy = Status::Unavailable("too many connections (see --max-connections)");
    std::string body = busy.ToJsonText();
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }();
  return answer;
}

// Answers 503 on a freshly accepted socket and closes it, with no WebConnection: a new
// socket's send buffer takes the answer whole, so one non-blocking send does. Input already
// received is read first: closing over unread bytes would reset the connection, and the
// client could lose the answer.
void RefuseSocket(int fd) {
  const std::string& answer = BusyAnswer();
  (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  char sink[4096];
  (void)::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
}

bool OutOfDescriptors(const asio::error_code& ec) {
  return ec.category() == asio::system_category() && (ec.value() == EMFILE || ec.value() == ENFILE);
}

// One descriptor held back so that, once the process has no other left, a pending connection
// can still be accepted and refused: otherwise it would stay queued, unanswered, and keep the
// listener readable.
class ReserveFd {
 public:
  ReserveFd() { Reopen(); }
  ~ReserveFd() { Release(); }
  bool Release() {
    if (fd_ < 0) return false;
    ::close(fd_);
    fd_ = -1;
    return true;
  }
  void Reopen() {
    if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }

 private:
  int fd_ = -1;
};

// Counts refused connections and logs them at most once per kRefusalLogMs, so that a flood of
// connections does not become a flood of log lines.
class RefusalLog {
 public:
  explicit RefusalLog(Clock* clock) : clock_(clock) {}
  void Note(const std::string& why) {
    ++count_;
    why_ = why;
    Report(false);
  }
  // Logs what was counted since the last report (`force`: however recent that was).
  void Report(bool force) {
    int64_t now = clock_->NowMillis();
    if (count_ == 0 || (!force && reported_ms_ != 0 && now - reported_ms_ < kRefusalLogMs)) return;
    total_ += count_;
    Log(LogLevel::kWarn, "refused (or failed to accept) " + std::to_string(count_) +
                             " connection(s), " + std::to_string(total_) +
                             " since start; last: " + why_);
    count_ = 0;
    reported_ms_ = now;
  }

 private:
  Clock* clock_;
  uint64_t count_ = 0;  // not yet reported
  uint64_t total_ = 0;
  int64_t reported_ms_ = 0;
  std::string why_;
};

}  // namespace

size_t MaxConnectionsForFileLimit(uint64_t file_limit) {
  uint64_t reserve = std::min(kFdReserve, file_limit / 2);
  uint64_t n = std::min<uint64_t>(file_limit - reserve, SIZE_MAX);
  return static_cast<size_t>(std::max<uint64_t>(n, 1));
}

uint64_t RaiseFileLimit() {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    struct rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  // An unlimited soft limit (RLIM_INFINITY) still stops at the kernel's nr_open.
  return lim.rlim_cur == RLIM_INFINITY ? uint64_t{1} << 20 : lim.rlim_cur;
}

class WebServer::Impl {
 public:
  Impl() : acceptor_(io_), signals_(io_), context_(&io_), accept_retry_(io_), refusals_(clock_) {}

  Status Listen(const WebServerOptions& options) {
    context_.http_limits.max_body_bytes = options.max_body_bytes;
    context_.max_message_bytes = options.max_message_bytes;
    context_.http_limits.header_timeout_ms = options.header_timeout_ms;
    context_.http_limits.body_timeout_ms = options.body_timeout_ms;
    uint64_t file_limit = RaiseFileLimit();
    max_connections_ = options.max_connections > 0 ? options.max_connections
                                                   : MaxConnectionsForFileLimit(file_limit);
    Log(LogLevel::kDebug, "up to " + std::to_string(max_connections_) +
                              " connections (file limit " + std::to_string(file_limit) + ")");
    asio::error_code ec;
    auto address = asio::ip::make_address(options.host, ec);
    if (ec) return Status::BadRequest("invalid --host '" + options.host + "': " + ec.message());
    asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(options.port));
    if (!ec) acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + options.host + ":" +
                                 std::to_string(options.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    Accept();
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([this](const asio::error_code& e, int) {
      if (!e) Stop("server shutting down");
    });
    Every(kIdleSweepMs, [this] { CloseIdle(); });
    return Status::OK();
  }

  void Accept() {
    acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted || context_.stopping) return;
      if (ec) return OnAcceptError(ec);
      connection_pending_ = false;
      if (context_.connections.size() >= max_connections_) {
        RefuseSocket(socket.native_handle());
        refusals_.Note("over --max-connections " + std::to_string(max_connections_));
      } else {
        auto c = std::make_shared<WebConnection>(&context_, std::move(socket));
        context_.connections.emplace(c.get(), c);
        c->Start();
      }
      Accept();
    });
  }

  // Out of descriptors below the connection limit (agents, the store, another process's
  // share of the system table). accept(2) then fails at once whether a connection is pending
  // or not (the kernel reserves the descriptor first), so retrying it would spin: wait until
  // one is pending, try once more (a descriptor may have been freed meanwhile), and only if
  // that fails too refuse it. Other errors: retry after a pause.
  void OnAcceptError(const asio::error_code& ec) {
    if (!OutOfDescriptors(ec)) return RetryLater("accept failed: " + ec.message());
    if (std::exchange(connection_pending_, false)) return RefusePending();
    acceptor_.async_wait(asio::socket_base::wait_read, [this](const asio::error_code& e) {
      if (e || context_.stopping) return;
      connection_pending_ = true;
      Accept();
    });
  }

  // The reserve descriptor makes room to take the pending connection off the queue and
  // refuse it; without it, the connection stays queued and only a pause avoids a spin.
  void RefusePending() {
    if (!reserve_.Release()) return RetryLater("out of file descriptors, none in reserve");
    int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    int error = errno;
    if (fd >= 0) {
      RefuseSocket(fd);
      ::close(fd);
      refusals_.Note("out of file descriptors (raise the file limit or lower --max-connections)");
    }
    reserve_.Reopen();
    if (fd >= 0 || error == EAGAIN || error == EWOULDBLOCK) return Accept();
    RetryLater(std::string("accept failed: ") + std::strerror(error));
  }

  void RetryLater(const std::string& why) {
    refusals_.Note(why);
    accept_retry_.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
    accept_retry_.async_wait([this](const asio::error_code& e) {
      if (!e && !context_.stopping) Accept();
    });
  }

  void CloseIdle() {
    refusals_.Report(true);
    int64_t cutoff = clock_->NowMillis() - kHttpIdleMs;
    std::vector<WebConnection*> all;
    for (auto& entry : context_.connections) all.push_back(entry.first);
    for (WebConnection* c : all) c->CloseIfIdleSince(cutoff);
  }

  void Stop(const std::string& reason) {
    asio::post(io_, [this, reason] {
      if (context_.stopping) return;
      context_.stopping = true;
      asio::error_code ec;
      acceptor_.close(ec);
      accept_retry_.cancel();
      signals_.cancel();
      for (auto& t : timers_) t->cancel();
      for (auto& fn : on_stop_) fn();
      std::vector<std::shared_ptr<WebConnection>> all;
      for (auto& entry : context_.connections) all.push_back(entry.second);
      for (auto& c : all) c->Shutdown(reason);
    });
  }

  void Every(int interval_ms, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timers_.push_back(timer);
    Arm(timer, interval_ms, std::move(fn));
  }

  void Arm(std::shared_ptr<asio::steady_timer> timer, int ms, std::function<void()> fn) {
    timer->expires_after(std::chrono::milliseconds(ms));
    timer->async_wait([this, timer, ms, fn](const asio::error_code& e) {
      if (e || context_.stopping) return;
      fn();
      Arm(timer, ms, fn);
    });
  }

  // One thread runs the loop: a handler's own posts (flushes, commits) then skip the
  // scheduler's lock and its epoll_ctl wake-up; posts from other threads still wake it.
  asio::io_context io_{1};
  asio::ip::tcp::acceptor acceptor_;
  asio::signal_set signals_;
  WebContext context_;
  asio::steady_timer accept_retry_;
  // Steady, as WebConnection's activity times are: idle cutoffs and refusal reports.
  Clock* clock_ = SteadyClock();
  RefusalLog refusals_;
  ReserveFd reserve_;
  size_t max_connections_ = 1;
  bool connection_pending_ = false;  // the listener was readable when accept(2) last failed
  std::vector<std::shared_ptr<asio::steady_timer>> timers_;
  std::vector<std::function<void()>> on_stop_;
  int port_ = 0;
};

WebServer::WebServer() : impl_(new Impl) {}
WebServer::~WebServer() = default;

void WebServer::SetHttpHandler(HttpHandler handler) {
  impl_->context_.http_handler = std::move(handler);
}
void WebServer::SetWsHandlers(WsHandlers handlers) {
  impl_->context_.ws = std::move(handlers);
}
Status WebServer::Listen(const WebServerOptions& options) {
  return impl_->Listen(options);
}
int WebServer::port() const {
  return impl_->port_;
}
void WebServer::Run() {
  impl_->io_.run();
}
void WebServer::Stop(const std::string& reason) {
  impl_->Stop(reason);
}
void WebServer::OnStop(std::function<void()> fn) {
  impl_->on_stop_.push_back(std::move(fn));
}
void WebServer::Post(std::function<void()> fn) {
  asio::post(impl_->io_, std::move(fn));
}
void WebServer::After(int delay_ms, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->io_);
  timer->expires_after(std::chrono::milliseconds(delay_ms));
  timer->async_wait([timer, fn = std::move(fn)](const asio::error_code& e) {
    if (!e) fn();
  });
}

void WebServer::Every(int interval_ms, std::function<void()> fn) {
  impl_->Every(interval_ms, std::move(fn));
}

asio::io_context& WebServer::io_context() {
  return impl_->io_;
}

SharedFrame::SharedFrame(std::shared_ptr<const OutChunk> chunk)
    : handle_(std::move(chunk)), text_(handle_ ? &handle_->payload : nullptr) {}

SharedFrame WebServer::PrepareFrame(std::string text) {
  auto chunk = std::make_shared<OutChunk>();
  AppendFrameHeader(&chunk->header, kWsText, text.size());
  chunk->payload = std::move(text);
  return SharedFrame(std::move(chunk));
}

}  // namespace agor
