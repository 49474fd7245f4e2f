// The one translation unit of the CLI that includes websocketpp (see socket_client.h).
#include "cmd/client/socket_client.h"

#include <websocketpp/config/asio_no_tls_client.hpp>
// Order matters: the config above must come first.
#include <algorithm>
#include <chrono>
#include <map>
#include <new>
#include <random>
#include <system_error>
#include <utility>
#include <vector>
#include <websocketpp/client.hpp>

#include "cmd/client/rest_client.h"
#include "cmd/error_text.h"
#include "server/wire/engineio.h"
#include "server/wire/socketio.h"

namespace agor {
namespace {

// An exception that escaped the loop (a library's, or a callback's), in agor's words: the
// library's own text is for programmers, not for the person at the terminal.
Status LoopFailure(const std::string& url) {
  try {
    throw;
  } catch (const Json::exception& e) {
    return Status::GeneralError(WithoutLibraryText(e.what()));
  } catch (const std::bad_alloc&) {
    return Status::GeneralError("out of memory");
  } catch (const std::system_error& e) {
    return Status::GeneralError("the connection to agor at " + url +
                                " failed: " + LowerFirst(e.code().message()));
  } catch (...) {
    return Status::GeneralError("the connection to agor at " + url +
                                " failed unexpectedly (please report how to reproduce it)");
  }
}

using WsClient = websocketpp::client<websocketpp::config::asio_client>;
using websocketpp::connection_hdl;

// Frames from agor may be as large as a record; Engine.IO's 1 MB default is for servers.
constexpr std::size_t kMaxFrameBytes = std::size_t{64} << 20;
constexpr long kCloseHandshakeTimeoutMs = 1000;

std::string SocketUrl(const BaseUrl& base, const std::string& query) {
  bool v6 = base.host.find(':') != std::string::npos;
  std::string host = v6 ? "[" + base.host + "]" : base.host;
  std::string url = "ws://" + host + ":" + std::to_string(base.port) + base.prefix;
  url += "/socket.io/?";
  if (!query.empty()) url += query + "&";
  return url + "EIO=4&transport=websocket";
}

Status UnreachableStatus(const std::string& url) {
  return Status(Code::kUnavailable, "cannot reach agor at " + url + ": is 'agor serve' running?",
                Json{{"unreachable", url}});
}

// The first element of an EVENT's arguments after its name, or null.
Json FirstArgument(Json* array) {
  return array->size() > 1 ? std::move((*array)[1]) : Json(nullptr);
}

struct Ticker {
  explicit Ticker(asio::io_service& io) : timer(io) {}
  asio::steady_timer timer;
  int interval_ms = 0;
  std::function<void()> tick;
};

struct PendingEvent {
  std::string name;
  Json arg;
  std::string offset;
};

}  // namespace

class SocketClient::Impl {
 public:
  explicit Impl(SocketOptions options);

  Status Run();
  void Stop();
  void Drop(const Status& why);
  void Call(const std::string& method, const std::string& path, Json args, CallHandler done);
  void Every(int interval_ms, std::function<void()> tick);

  EventHandler on_event;
  ConnectHandler on_connect;
  LostHandler on_lost;
  bool connected = false;
  std::string pid;
  std::string offset;

 private:
  using Timer = asio::steady_timer;

  bool IsCurrent(connection_hdl hdl) const;
  void StartAttempt();
  void ScheduleRetry();
  void Lost(const Status& why);
  void Send(const std::string& frame);
  void ArmWatchdog(long ms);
  void ScheduleTick(Ticker* ticker);

  void OnFail(connection_hdl hdl);
  void OnClose(connection_hdl hdl);
  void OnText(connection_hdl hdl, const std::string& text);
  void OnOpenPacket(std::string_view data);
  void OnSocketPacket(std::string_view data);
  void OnConnectReply(const Json& data);
  void OnEventPacket(Json data);
  void OnAck(std::int64_t id, const Json& data);
  void Deliver(PendingEvent event);

  SocketOptions options_;
  BaseUrl base_;
  Status setup_error_;
  WsClient ws_;
  WsClient::connection_ptr con_;
  std::unique_ptr<Timer> retry_timer_;
  std::unique_ptr<Timer> watchdog_;
  std::vector<std::unique_ptr<Ticker>> tickers_;
  bool running_ = false;
  bool stopping_ = false;
  bool ever_connected_ = false;
  int attempt_ = 0;
  Status first_error_;
  std::string sent_pid_;
  long ping_budget_ms_ = kDefaultPingIntervalMs + kDefaultPingTimeoutMs;
  std::int64_t next_ack_ = 0;
  std::map<std::int64_t, CallHandler> pending_calls_;
  std::vector<PendingEvent> early_events_;
  std::mt19937 rng_{std::random_device{}()};
};

SocketClient::Impl::Impl(SocketOptions options) : options_(std::move(options)) {
  setup_error_ = ParseBaseUrl(options_.url, &base_);
  ws_.clear_access_channels(websocketpp::log::alevel::all);
  ws_.clear_error_channels(websocketpp::log::elevel::all);
  std::error_code ec;
  ws_.init_asio(ec);
  if (ec && setup_error_.ok()) setup_error_ = Status::GeneralError("asio: " + ec.message());
  if (!setup_error_.ok()) return;
  ws_.set_socket_init_handler([](connection_hdl, asio::ip::tcp::socket& socket) {
    std::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  });
  ws_.set_fail_handler([this](connection_hdl hdl) { OnFail(hdl); });
  ws_.set_close_handler([this](connection_hdl hdl) { OnClose(hdl); });
  ws_.set_message_handler(
      [this](connection_hdl hdl, WsClient::message_ptr msg) { OnText(hdl, msg->get_payload()); });
  retry_timer_ = std::make_unique<Timer>(ws_.get_io_service());
  watchdog_ = std::make_unique<Timer>(ws_.get_io_service());
}

Status SocketClient::Impl::Run() {
  if (!setup_error_.ok()) return setup_error_;
  ws_.start_perpetual();
  running_ = true;
  for (auto& ticker : tickers_) ScheduleTick(ticker.get());
  StartAttempt();
  try {
    ws_.run();
  } catch (...) {
    return LoopFailure(base_.text);
  }
  return first_error_;
}

void SocketClient::Impl::Stop() {
  if (stopping_) return;
  stopping_ = true;
  retry_timer_->cancel();
  watchdog_->cancel();
  for (auto& ticker : tickers_) ticker->timer.cancel();
  if (con_ && connected) Send(EncodeDisconnect());
  if (con_) {  // Send may have dropped it
    std::error_code ec;
    con_->close(websocketpp::close::status::normal, "", ec);
  }
  connected = false;
  ws_.stop_perpetual();
}

bool SocketClient::Impl::IsCurrent(connection_hdl hdl) const {
  return con_ && !hdl.owner_before(con_) && !con_.owner_before(hdl);
}

void SocketClient::Impl::StartAttempt() {
  std::error_code ec;
  WsClient::connection_ptr con = ws_.get_connection(SocketUrl(base_, options_.query), ec);
  if (ec) {
    first_error_ = Status::BadRequest("bad Socket.IO URL: " + ec.message());
    return Stop();
  }
  con->set_open_handshake_timeout(options_.handshake_timeout_ms);
  con->set_close_handshake_timeout(kCloseHandshakeTimeoutMs);
  con_ = con;
  ws_.connect(con);
  // The Engine.IO open packet must follow the upgrade within the handshake timeout too.
  ArmWatchdog(2L * options_.handshake_timeout_ms);
}

void SocketClient::Impl::ScheduleRetry() {
  int shift = std::min(attempt_++, 16);
  long delay = std::min<long>(options_.max_backoff_ms, long{options_.min_backoff_ms} << shift);
  std::uniform_int_distribution<long> jitter(delay / 2, delay);
  retry_timer_->expires_after(std::chrono::milliseconds(jitter(rng_)));
  retry_timer_->async_wait([this](const std::error_code& ec) {
    if (!ec && !stopping_) StartAttempt();
  });
}

// Forgets the current connection: the handlers of websocketpp ignore it from now on.
void SocketClient::Impl::Drop(const Status& why) {
  if (!con_) return;
  WsClient::connection_ptr con = std::move(con_);
  con_.reset();
  con->terminate(std::error_code());
  Lost(why);
}

void SocketClient::Impl::Lost(const Status& why) {
  bool was_connected = connected;
  con_.reset();
  connected = false;
  watchdog_->cancel();
  pending_calls_.clear();
  early_events_.clear();
  if (stopping_) return;
  if (!ever_connected_ && !options_.retry_first_connect) {
    first_error_ = why;
    return Stop();
  }
  if (was_connected) {
    attempt_ = 0;
    if (on_lost) on_lost(why);
  }
  if (!stopping_) ScheduleRetry();
}

void SocketClient::Impl::Send(const std::string& frame) {
  if (!con_) return;
  std::error_code ec = con_->send(frame, websocketpp::frame::opcode::text);
  if (ec) Drop(Status::Unavailable("cannot send to agor: " + ec.message()));
}

void SocketClient::Impl::ArmWatchdog(long ms) {
  watchdog_->expires_after(std::chrono::milliseconds(ms));
  watchdog_->async_wait([this, ms](const std::error_code& ec) {
    if (ec || stopping_) return;
    Drop(Status::Unavailable("agor went silent for " + std::to_string(ms) + " ms"));
  });
}

void SocketClient::Impl::Every(int interval_ms, std::function<void()> tick) {
  tickers_.push_back(std::make_unique<Ticker>(ws_.get_io_service()));
  tickers_.back()->interval_ms = interval_ms;
  tickers_.back()->tick = std::move(tick);
  if (running_ && !stopping_) ScheduleTick(tickers_.back().get());
}

void SocketClient::Impl::ScheduleTick(Ticker* ticker) {
  ticker->timer.expires_after(std::chrono::milliseconds(ticker->interval_ms));
  ticker->timer.async_wait([this, ticker](const std::error_code& ec) {
    if (ec || stopping_) return;
    ticker->tick();
    if (!stopping_) ScheduleTick(ticker);
  });
}

void SocketClient::Impl::OnFail(connection_hdl hdl) {
  if (!IsCurrent(hdl)) return;
  int http_status = con_->get_response_code();
  if (http_status == 0) return Lost(UnreachableStatus(base_.text));
  Lost(Status::Unavailable("agor at " + base_.text + " refused the Socket.IO connection (HTTP " +
                           std::to_string(http_status) + ")"));
}

void SocketClient::Impl::OnClose(connection_hdl hdl) {
  if (!IsCurrent(hdl)) return;
  std::string reason = con_->get_remote_close_reason();
  Lost(Status::Unavailable("connection closed" + (reason.empty() ? "" : ": " + reason)));
}

void SocketClient::Impl::OnText(connection_hdl hdl, const std::string& text) {
  if (!IsCurrent(hdl)) return;
  ArmWatchdog(ping_budget_ms_);
  EnginePacket packet;
  Status status = DecodeEnginePacket(text, &packet);
  if (!status.ok()) return Drop(status);
  switch (packet.type) {
    case EngineType::kOpen:
      return OnOpenPacket(packet.data);
    case EngineType::kPing:
      return Send(EncodeEnginePacket(EngineType::kPong));
    case EngineType::kMessage:
      return OnSocketPacket(packet.data);
    case EngineType::kClose:
      return Drop(Status::Unavailable("agor closed the session"));
    default:
      return;  // pong, upgrade, noop: nothing to do on a websocket-only client
  }
}

void SocketClient::Impl::OnOpenPacket(std::string_view data) {
  Json open = Json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (open.is_object()) {
    long interval = open.value("pingInterval", kDefaultPingIntervalMs);
    long timeout = open.value("pingTimeout", kDefaultPingTimeoutMs);
    ping_budget_ms_ = interval + timeout;
    ArmWatchdog(ping_budget_ms_);
  }
  Json payload = Json::object();
  if (!pid.empty()) {
    payload["pid"] = pid;
    if (!offset.empty()) payload["offset"] = offset;
  }
  if (options_.auth.is_object()) payload.update(options_.auth);
  sent_pid_ = pid;
  std::string frame = "40";
  if (!payload.empty()) AppendJson(&frame, payload);
  Send(frame);
}

void SocketClient::Impl::OnSocketPacket(std::string_view data) {
  SocketPacket packet;
  Status status = DecodeSocketPacket(data, &packet, kMaxFrameBytes);
  if (!status.ok()) return Drop(status);
  if (packet.nsp != "/") return;
  switch (packet.type) {
    case SocketType::kConnect:
      return OnConnectReply(packet.data);
    case SocketType::kEvent:
      return OnEventPacket(std::move(packet.data));
    case SocketType::kAck:
      return OnAck(*packet.ack_id, packet.data);
    case SocketType::kDisconnect:
      return Drop(Status::Unavailable("agor ended the session"));
    case SocketType::kConnectError: {
      const Json& d = packet.data;
      std::string message = d.is_object() ? d.value("message", std::string()) : "";
      if (d.is_string()) message = d.get<std::string>();
      return Drop(Status::Unavailable("agor refused the connection: " + message));
    }
    default:
      return;
  }
}

void SocketClient::Impl::OnConnectReply(const Json& data) {
  const Json* given = data.contains("pid") ? &data["pid"] : nullptr;
  pid = given && given->is_string() ? given->get<std::string>() : "";
  bool recovered = !sent_pid_.empty() && pid == sent_pid_;
  connected = true;
  ever_connected_ = true;
  attempt_ = 0;
  if (on_connect) on_connect(recovered);
  std::vector<PendingEvent> early = std::move(early_events_);
  early_events_.clear();
  for (auto& event : early) {
    if (!connected) return;  // a handler dropped or stopped the connection
    Deliver(std::move(event));
  }
}

void SocketClient::Impl::OnEventPacket(Json data) {
  PendingEvent event;
  event.name = data[0].get<std::string>();
  if (!pid.empty() && data.size() > 1 && data.back().is_string()) {
    event.offset = data.back().get<std::string>();
  }
  event.arg = FirstArgument(&data);
  if (!connected) return early_events_.push_back(std::move(event));
  Deliver(std::move(event));
}

void SocketClient::Impl::Deliver(PendingEvent event) {
  if (!event.offset.empty()) offset = event.offset;
  if (on_event) on_event(event.name, std::move(event.arg), event.offset);
}

void SocketClient::Impl::OnAck(std::int64_t id, const Json& data) {
  auto it = pending_calls_.find(id);
  if (it == pending_calls_.end()) return;
  CallHandler done = std::move(it->second);
  pending_calls_.erase(it);
  bool failed = !data.empty() && !data[0].is_null();
  Json result = data.size() > 1 ? data[1] : Json(nullptr);
  done(failed ? Status::FromJson(data[0]) : Status::OK(), std::move(result));
}

void SocketClient::Impl::Call(const std::string& method, const std::string& path, Json args,
                              CallHandler done) {
  if (!connected) {
    asio::post(ws_.get_io_service(), [done = std::move(done)] {
      done(Status::Unavailable("not connected to agor"), nullptr);
    });
    return;
  }
  std::int64_t id = next_ack_++;
  Json call = Json::array({method, path});
  if (args.is_array()) {
    for (auto& arg : args) call.push_back(std::move(arg));
  }
  pending_calls_[id] = std::move(done);
  std::string frame = "42" + std::to_string(id);
  AppendJson(&frame, call);
  Send(frame);
}

SocketClient::SocketClient(SocketOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
SocketClient::~SocketClient() = default;

void SocketClient::OnEvent(EventHandler handler) {
  impl_->on_event = std::move(handler);
}
void SocketClient::OnConnect(ConnectHandler handler) {
  impl_->on_connect = std::move(handler);
}
void SocketClient::OnLost(LostHandler handler) {
  impl_->on_lost = std::move(handler);
}
Status SocketClient::Run() {
  return impl_->Run();
}
void SocketClient::Stop() {
  impl_->Stop();
}
void SocketClient::Reconnect() {
  impl_->Drop(Status::Unavailable("reconnect requested"));
}
bool SocketClient::connected() const {
  return impl_->connected;
}
const std::string& SocketClient::pid() const {
  return impl_->pid;
}
const std::string& SocketClient::offset() const {
  return impl_->offset;
}
void SocketClient::SetOffset(std::string offset) {
  impl_->offset = std::move(offset);
}

void SocketClient::Call(const std::string& method, const std::string& path, Json args,
                        CallHandler done) {
  impl_->Call(method, path, std::move(args), std::move(done));
}

void SocketClient::Every(int interval_ms, std::function<void()> tick) {
  impl_->Every(interval_ms, std::move(tick));
}

}  // namespace agor
