#include "server/web_server.h"

#include <csignal>
#include <set>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

namespace agor {
namespace {

using WsServer = websocketpp::server<websocketpp::config::asio>;
using ConnectionHdl = websocketpp::connection_hdl;

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

HttpRequest ToRequest(WsServer::connection_ptr con) {
  const auto& req = con->get_request();
  HttpRequest out;
  out.method = req.get_method();
  const std::string& uri = req.get_uri();
  auto q = uri.find('?');
  out.path = uri.substr(0, q);
  if (q != std::string::npos) out.query = uri.substr(q + 1);
  out.body = req.get_body();
  for (const auto& h : req.get_headers()) out.headers.emplace_back(Lower(h.first), h.second);
  return out;
}

}  // namespace

class WebServer::Impl {
 public:
  Impl() : signals_(io_) {
    server_.clear_access_channels(websocketpp::log::alevel::all);
    server_.clear_error_channels(websocketpp::log::elevel::all);
    server_.init_asio(&io_);
    server_.set_reuse_addr(true);
    server_.set_http_handler([this](ConnectionHdl hdl) { OnHttp(hdl); });
  }

  void OnHttp(ConnectionHdl hdl) {
    WsServer::connection_ptr con = server_.get_con_from_hdl(hdl);
    HttpRequest req = ToRequest(con);
    HttpResponse res;
    if (req.body.size() > max_body_) {
      res.status = 413;
      res.body =
          Status::PayloadTooLarge("request body over " + std::to_string(max_body_) + " bytes")
              .ToJson()
              .dump();
    } else if (handler_) {
      handler_(req, &res);
    }
    con->set_status(static_cast<websocketpp::http::status_code::value>(res.status));
    if (!res.body.empty() || res.status != 204) con->set_body(res.body);
    con->replace_header("Content-Type", res.content_type);
    // websocketpp closes the TCP connection after every HTTP reply without saying so.
    con->replace_header("Connection", "close");
    for (const auto& h : res.headers) con->append_header(h.first, h.second);
  }

  Status Listen(const WebServerOptions& options) {
    max_body_ = options.max_body_bytes;
    // websocketpp refuses (plain 413) bodies past its own limit without reading them; ours
    // answers Feathers JSON for the range between.
    server_.set_max_http_body_size(options.max_body_bytes * 4);
    asio::error_code aec;
    auto address = asio::ip::make_address(options.host, aec);
    if (aec) return Status::BadRequest("invalid --host '" + options.host + "': " + aec.message());
    websocketpp::lib::error_code ec;
    server_.listen(asio::ip::tcp::endpoint(address, static_cast<uint16_t>(options.port)), ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + options.host + ":" +
                                 std::to_string(options.port) + ": " + ec.message());
    }
    port_ = server_.get_local_endpoint(aec).port();
    server_.start_accept(ec);
    if (ec) return Status::Unavailable("cannot accept connections: " + ec.message());
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.async_wait([this](const asio::error_code& e, int) {
      if (!e) Stop("server shutting down");
    });
    return Status::OK();
  }

  void Stop(const std::string& reason) {
    asio::post(io_, [this, reason] {
      if (stopping_) return;
      stopping_ = true;
      websocketpp::lib::error_code ec;
      server_.stop_listening(ec);
      signals_.cancel();
      for (auto& t : timers_) t->cancel();
      (void)reason;
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
      if (e || stopping_) return;
      fn();
      Arm(timer, ms, fn);
    });
  }

  asio::io_context io_;
  WsServer server_;
  asio::signal_set signals_;
  std::vector<std::shared_ptr<asio::steady_timer>> timers_;
  HttpHandler handler_;
  size_t max_body_ = 1024 * 1024;
  int port_ = 0;
  bool stopping_ = false;
};

WebServer::WebServer() : impl_(new Impl) {}
WebServer::~WebServer() = default;

void WebServer::SetHttpHandler(HttpHandler handler) {
  impl_->handler_ = std::move(handler);
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
void WebServer::Post(std::function<void()> fn) {
  asio::post(impl_->io_, std::move(fn));
}
void WebServer::Every(int interval_ms, std::function<void()> fn) {
  impl_->Every(interval_ms, std::move(fn));
}

}  // namespace agor
