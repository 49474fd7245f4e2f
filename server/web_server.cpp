#include "server/web_server.h"

#include <csignal>
#include <unordered_set>
#include <websocketpp/config/asio_no_tls.hpp>
#include <websocketpp/server.hpp>

namespace agor {
namespace {

class WsConn;

// Per-connection slot websocketpp embeds in each connection (its `connection_base`), so a
// handler finds our state in O(1) instead of a map lookup by handle.
struct ConnectionData {
  WsConn* ws = nullptr;
};

struct Config : public websocketpp::config::asio {
  typedef ConnectionData connection_base;
  // websocketpp's default is 16 KiB per connection; idle connections should cost little
  // (1 KiB: 9.2 KB per idle connection at 1,000 clients, from 12.2 KB with 4 KiB).
  static const size_t connection_read_buffer_size = 1024;
};

using WsServer = websocketpp::server<Config>;
using ConnectionPtr = WsServer::connection_ptr;
using MessagePtr = Config::message_type::ptr;

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return s;
}

HttpRequest ToRequest(const ConnectionPtr& con) {
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

void Apply(const HttpResponse& res, const ConnectionPtr& con) {
  con->set_status(static_cast<websocketpp::http::status_code::value>(res.status));
  con->set_body(res.body);
  con->replace_header("Content-Type", res.content_type);
  // websocketpp closes the TCP connection after every HTTP reply without saying so.
  con->replace_header("Connection", "close");
  for (const auto& h : res.headers) con->append_header(h.first, h.second);
}

class DeferredReply : public HttpReply {
 public:
  explicit DeferredReply(ConnectionPtr con) : con_(std::move(con)) {}
  ~DeferredReply() override {
    if (con_) Send(Error());  // a handler that forgot to answer must not hang the client
  }
  void Send(const HttpResponse& response) override {
    if (!con_) return;
    Apply(response, con_);
    websocketpp::lib::error_code ec;
    con_->send_http_response(ec);
    con_.reset();
  }

 private:
  static HttpResponse Error() {
    HttpResponse r;
    r.status = 500;
    r.body = Status::GeneralError("no answer").ToJson().dump();
    return r;
  }
  ConnectionPtr con_;  // held until answered: websocketpp needs it for a deferred reply
};

class WsConn : public WsConnection {
 public:
  explicit WsConn(ConnectionPtr con) : con_(std::move(con)) {}
  void Send(std::string_view text) override {
    con_->send(text.data(), text.size(), websocketpp::frame::opcode::text);
  }
  void Send(const SharedFrame& frame) override;
  size_t buffered_bytes() const override { return con_->get_buffered_amount(); }
  void Close(uint16_t code, const std::string& reason) override {
    websocketpp::lib::error_code ec;
    con_->close(code, reason, ec);
  }
  void Abort() override {
    asio::error_code ec;
    con_->get_raw_socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    con_->get_raw_socket().close(ec);
  }

 private:
  ConnectionPtr con_;
};

void WsConn::Send(const SharedFrame& frame) {
  auto msg = std::static_pointer_cast<const Config::message_type>(frame.handle());
  // websocketpp queues a prepared message as is: the same bytes for every recipient.
  con_->send(std::const_pointer_cast<Config::message_type>(msg));
}

}  // namespace

class WebServer::Impl {
 public:
  Impl() : signals_(io_) {
    server_.clear_access_channels(websocketpp::log::alevel::all);
    server_.clear_error_channels(websocketpp::log::elevel::all);
    server_.init_asio(&io_);
    server_.set_reuse_addr(true);
    server_.set_http_handler([this](websocketpp::connection_hdl h) { OnHttp(h); });
    server_.set_validate_handler([this](websocketpp::connection_hdl h) { return OnValidate(h); });
    server_.set_open_handler([this](websocketpp::connection_hdl h) { OnOpen(h); });
    server_.set_close_handler([this](websocketpp::connection_hdl h) { OnClose(h); });
    server_.set_fail_handler([this](websocketpp::connection_hdl h) { OnClose(h); });
    server_.set_message_handler(
        [this](websocketpp::connection_hdl h, WsServer::message_ptr m) { OnMessage(h, m); });
  }

  void OnHttp(websocketpp::connection_hdl hdl) {
    ConnectionPtr con = server_.get_con_from_hdl(hdl);
    HttpRequest req = ToRequest(con);
    if (req.body.size() > max_body_) {
      HttpResponse res;
      res.status = 413;
      res.body =
          Status::PayloadTooLarge("request body over " + std::to_string(max_body_) + " bytes")
              .ToJson()
              .dump();
      Apply(res, con);
      return;
    }
    con->defer_http_response();
    auto reply = std::make_shared<DeferredReply>(con);
    if (http_handler_) http_handler_(req, reply);
  }

  bool OnValidate(websocketpp::connection_hdl hdl) {
    ConnectionPtr con = server_.get_con_from_hdl(hdl);
    if (stopping_ || !ws_.accept) return false;
    Status s = ws_.accept(ToRequest(con));
    if (s.ok()) return true;
    con->set_status(static_cast<websocketpp::http::status_code::value>(s.http_status()));
    con->set_body(s.ToJson().dump());
    con->replace_header("Content-Type", "application/json; charset=utf-8");
    return false;
  }

  void OnOpen(websocketpp::connection_hdl hdl) {
    ConnectionPtr con = server_.get_con_from_hdl(hdl);
    con->set_max_message_size(max_message_);
    auto* ws = new WsConn(con);
    con->ws = ws;
    open_.insert(ws);
    if (ws_.open) ws_.open(ws, ToRequest(con));
  }

  void OnMessage(websocketpp::connection_hdl hdl, const WsServer::message_ptr& msg) {
    ConnectionPtr con = server_.get_con_from_hdl(hdl);
    if (!con->ws) return;
    if (msg->get_opcode() != websocketpp::frame::opcode::text) {
      con->ws->Close(websocketpp::close::status::unsupported_data, "binary frames not supported");
      return;
    }
    if (ws_.message) ws_.message(con->ws, msg->get_payload());
  }

  void OnClose(websocketpp::connection_hdl hdl) {
    ConnectionPtr con = server_.get_con_from_hdl(hdl);
    WsConn* ws = con->ws;
    if (!ws) return;
    con->ws = nullptr;
    open_.erase(ws);
    if (ws_.close) ws_.close(ws);
    delete ws;
  }

  Status Listen(const WebServerOptions& options) {
    max_body_ = options.max_body_bytes;
    max_message_ = options.max_message_bytes;
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
      for (auto& fn : on_stop_) fn();
      CloseAll(reason);
    });
  }

  // Closes every open WebSocket; the close handlers fire as each handshake ends.
  void CloseAll(const std::string& reason) {
    for (WsConn* ws : open_) ws->Close(websocketpp::close::status::going_away, reason);
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
  std::vector<std::function<void()>> on_stop_;
  std::unordered_set<WsConn*> open_;
  HttpHandler http_handler_;
  WsHandlers ws_;
  size_t max_body_ = 1024 * 1024;
  size_t max_message_ = 1000000;
  int port_ = 0;
  bool stopping_ = false;
};

WebServer::WebServer() : impl_(new Impl) {}
WebServer::~WebServer() = default;

void WebServer::SetHttpHandler(HttpHandler handler) {
  impl_->http_handler_ = std::move(handler);
}
void WebServer::SetWsHandlers(WsHandlers handlers) {
  impl_->ws_ = std::move(handlers);
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

SharedFrame WebServer::PrepareFrame(std::string payload_text) {
  const auto opcode = websocketpp::frame::opcode::text;
  auto msg = std::make_shared<Config::message_type>(nullptr, opcode, 0);
  websocketpp::frame::basic_header header(opcode, payload_text.size(), true, false);
  msg->set_header(websocketpp::frame::prepare_header(
      header, websocketpp::frame::extended_header(payload_text.size())));
  msg->get_raw_payload() = std::move(payload_text);
  msg->set_prepared(true);
  const std::string* payload = &msg->get_payload();
  return SharedFrame(std::shared_ptr<const void>(msg), payload);
}

}  // namespace agor
