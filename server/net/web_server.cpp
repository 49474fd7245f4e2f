#include "server/net/web_server.h"

#include <csignal>

#include "base/log.h"
#include "server/net/web_connection.h"

namespace agor {

namespace {

constexpr int kIdleSweepMs = 10 * 1000;
constexpr int kHttpIdleMs = 60 * 1000;  // keep-alive connections idle this long are closed
constexpr int kAcceptRetryMs = 100;     // after running out of file descriptors

int64_t SteadyNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

class WebServer::Impl {
 public:
  Impl() : acceptor_(io_), signals_(io_), context_(&io_), accept_retry_(io_) {}

  Status Listen(const WebServerOptions& options) {
    context_.http_limits.max_body_bytes = options.max_body_bytes;
    context_.max_message_bytes = options.max_message_bytes;
    context_.http_limits.header_timeout_ms = options.header_timeout_ms;
    context_.http_limits.body_timeout_ms = options.body_timeout_ms;
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
      if (ec) return RetryAccept(ec);
      auto c = std::make_shared<WebConnection>(&context_, std::move(socket));
      context_.connections.emplace(c.get(), c);
      c->Start();
      Accept();
    });
  }

  // Out of descriptors (or another accept error): wait a little instead of spinning.
  void RetryAccept(const asio::error_code& ec) {
    Log(LogLevel::kWarn, "accept failed: " + ec.message());
    accept_retry_.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
    accept_retry_.async_wait([this](const asio::error_code& e) {
      if (!e && !context_.stopping) Accept();
    });
  }

  void CloseIdle() {
    int64_t cutoff = SteadyNowMs() - kHttpIdleMs;
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

SharedFrame WebServer::PrepareFrame(std::string text) {
  auto chunk = std::make_shared<OutChunk>();
  AppendFrameHeader(&chunk->header, kWsText, text.size());
  chunk->payload = std::move(text);
  const std::string* payload = &chunk->payload;
  return SharedFrame(std::shared_ptr<const void>(std::move(chunk)), payload);
}

}  // namespace agor
