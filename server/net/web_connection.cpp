#include "server/net/web_connection.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>

#include "base/log.h"
#include "base/utf8.h"

namespace agor {
namespace {

using Tcp = asio::ip::tcp;

constexpr int kMaxIov = 256;                // buffers per sendmsg(2)
constexpr int kLingerMs = 2000;             // reading what a closing client still sends
constexpr size_t kKeepCapacity = 4 * 1024;  // larger idle buffers are given back

OutChunkPtr RawChunk(std::string bytes) {
  auto c = std::make_shared<OutChunk>();
  c->payload = std::move(bytes);
  return c;
}

// True when the comma-separated header value lists `token` (lowercase), in any case.
bool HasToken(std::string value, const std::string& token) {
  for (auto& c : value) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  size_t start = 0;
  while (start <= value.size()) {
    size_t end = value.find(',', start);
    std::string part = value.substr(start, end == std::string::npos ? end : end - start);
    size_t a = part.find_first_not_of(" \t"), b = part.find_last_not_of(" \t");
    if (a != std::string::npos && part.substr(a, b - a + 1) == token) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse r;
  r.status = status.http_status();
  r.body = status.ToJsonText();
  return r;
}

// A request's answer; holds its connection until sent. A handler that drops it unanswered
// answers 500 rather than leaving the client hanging.
class Reply : public HttpReply {
 public:
  Reply(std::shared_ptr<WebConnection> c, bool keep_alive, bool head)
      : conn_(std::move(c)), keep_alive_(keep_alive), head_(head) {}
  ~Reply() override {
    if (conn_) Send(ErrorResponse(Status::GeneralError("no answer")));
  }
  void Send(const HttpResponse& response) override {
    if (!conn_) return;
    std::shared_ptr<WebConnection> c = std::move(conn_);
    conn_.reset();
    c->Answer(response, keep_alive_, head_);
  }

 private:
  std::shared_ptr<WebConnection> conn_;
  bool keep_alive_;
  bool head_;  // a HEAD request: the answer goes without its body
};

}  // namespace

WebConnection::WebConnection(WebContext* context, Tcp::socket socket)
    : context_(context), socket_(std::move(socket)), parser_(&context->http_limits) {}

void WebConnection::Start() {
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  // Writes are already coalesced per loop turn; Nagle would hold a lone event frame until
  // the client's delayed ACK (up to 40 ms).
  socket_.set_option(Tcp::no_delay(true), ec);
  // Kept once: login rate limits count failures per address, and a reset socket has none.
  Tcp::endpoint peer = socket_.remote_endpoint(ec);
  if (!ec) remote_address_ = peer.address().to_string();
  last_active_ms_ = Now();
  ArmRead();
}

// ---- reading ----

// Input is handled while reading requests or frames and the unsent bytes are within bounds.
bool WebConnection::TakesInput() const {
  bool reading =
      state_ == State::kHttp || state_ == State::kWebSocket || state_ == State::kWsClosing;
  return reading && out_bytes_ <= context_->max_unsent_bytes;
}

// Closing connections keep reading (and dropping) to see the client's end.
bool WebConnection::WantsInput() const {
  return TakesInput() || state_ == State::kDraining || state_ == State::kLingering;
}

void WebConnection::ArmRead() {
  if (reading_ || state_ == State::kClosed) return;
  reading_ = true;
  socket_.async_wait(Tcp::socket::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       self->reading_ = false;
                       if (!ec && self->state_ != State::kClosed) self->OnReadable();
                     });
}

void WebConnection::OnReadable() {
  asio::error_code ec;
  std::vector<char>& buffer = context_->read_buffer;
  size_t n = socket_.read_some(asio::buffer(buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return ArmRead();
  if (ec) return Closed();  // end of stream or reset
  last_active_ms_ = Now();
  ++context_->reads;
  if (state_ != State::kDraining && state_ != State::kLingering) {
    Consume(std::string_view(buffer.data(), n));
  }
  if (WantsInput()) ArmRead();  // otherwise Resume() reads again
}

// Steps through data (after what in_ kept); keeps only the unconsumed rest.
void WebConnection::Consume(std::string_view data) {
  in_step_ = true;
  std::string_view input = data;
  if (!in_.empty()) {
    in_.append(data);
    input = in_;
  }
  size_t used = 0;
  while (TakesInput() && used < input.size()) {
    size_t n = Step(input.substr(used));
    if (n == 0) break;
    used += n;
  }
  if (input.data() == in_.data()) {
    in_.erase(0, used);
  } else {
    in_.assign(input.substr(std::min(used, input.size())));
  }
  if (in_.empty() && in_.capacity() > kKeepCapacity) std::string().swap(in_);
  in_step_ = false;
  WatchDeadline();
}

size_t WebConnection::Step(std::string_view in) {
  return state_ == State::kHttp ? StepHttp(in) : StepWebSocket(in);
}

// ---- HTTP ----

size_t WebConnection::StepHttp(std::string_view in) {
  HttpParse p = parser_.Feed(in, Now());
  if (p.result == HttpParse::kError) {
    Refuse(p.error);
    return in.size();
  }
  if (p.expects_continue) Queue(RawChunk("HTTP/1.1 100 Continue\r\n\r\n"));
  if (p.result == HttpParse::kIncomplete) return in.size();  // all taken by the parser
  HttpRequest request = std::move(parser_.request());
  request.remote_address = remote_address_;
  if (HasToken(request.Header("upgrade"), "websocket")) {
    Upgrade(request);
  } else {
    Dispatch(std::move(request), p.keep_alive);
  }
  return p.consumed;
}

void WebConnection::Dispatch(HttpRequest request, bool keep_alive) {
  state_ = State::kHttpAnswering;
  bool head = request.method == "HEAD";
  if (head) request.method = "GET";  // RFC 9110 9.3.2: GET's answer, without the body
  request.head = head;
  auto reply = std::make_shared<Reply>(shared_from_this(), keep_alive, head);
  if (!context_->http_handler) return;  // the dropped reply answers 500
  if (!Guarded("HTTP handler", [&] { context_->http_handler(request, reply); })) {
    reply->Send(ErrorResponse(Status::GeneralError("internal error")));
  }
}

void WebConnection::Answer(const HttpResponse& response, bool keep_alive, bool head) {
  if (state_ != State::kHttpAnswering) return;
  state_ = State::kHttp;
  bool keep = keep_alive && !context_->stopping;
  Queue(RawChunk(SerializeHttpResponse(response, keep, !head)));
  if (!keep) return CloseAfterWrite();
  if (!in_step_) asio::post(*context_->io, [self = shared_from_this()] { self->Resume(); });
}

// Goes on with the input held back while a request awaited its answer or while the unsent
// bytes were over their bound.
void WebConnection::Resume() {
  if (state_ != State::kHttp && state_ != State::kWebSocket && state_ != State::kWsClosing) {
    return;
  }
  if (!in_.empty() && TakesInput()) Consume(std::string_view());
  if (WantsInput()) ArmRead();
}

// Answers a refused request with its error and closes: the rest of the input cannot be trusted.
void WebConnection::Refuse(const Status& status) {
  Queue(RawChunk(SerializeHttpResponse(ErrorResponse(status), false)));
  CloseAfterWrite();
}

void WebConnection::Upgrade(const HttpRequest& request) {
  const std::string& key = request.Header("sec-websocket-key");
  if (request.method != "GET" || !HasToken(request.Header("connection"), "upgrade") ||
      key.empty()) {
    return Refuse(Status::BadRequest("invalid WebSocket upgrade request"));
  }
  if (request.Header("sec-websocket-version") != "13") {
    return Refuse(Status::BadRequest("unsupported WebSocket version (13 is supported)"));
  }
  if (context_->stopping || !context_->ws.accept) {
    return Refuse(Status::Unavailable("server shutting down"));
  }
  Status s;
  if (!Guarded("WebSocket accept handler", [&] { s = context_->ws.accept(request); })) {
    s = Status::GeneralError("internal error");
  }
  if (!s.ok()) return Refuse(s);
  Queue(
      RawChunk("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: " +
               WebSocketAccept(key) + "\r\n\r\n"));
  state_ = State::kWebSocket;
  ws_open_ = true;
  if (!context_->ws.open) return;
  if (!Guarded("WebSocket open handler", [&] { context_->ws.open(this, request); })) {
    Fail(1011, "internal error");
  }
}

// ---- deadlines ----

// Arms the timer for the parser's deadline of the request in progress, if it has a new one.
void WebConnection::WatchDeadline() {
  int64_t deadline = state_ == State::kHttp ? parser_.deadline_ms() : 0;
  if (deadline == 0 || deadline == timer_deadline_ms_) return;
  timer_deadline_ms_ = deadline;
  StartTimer(deadline - Now());
}

// A request still arriving past its deadline is answered 408 and the connection closed.
void WebConnection::CheckDeadline() {
  int64_t deadline = parser_.deadline_ms();
  if (deadline == 0) return;
  if (Now() < deadline) return WatchDeadline();
  Refuse(HttpRequestParser::Expired());
}

// ---- writing ----

void WebConnection::Queue(OutChunkPtr chunk) {
  if (state_ == State::kClosed) return;
  out_bytes_ += chunk->size();
  out_.push_back(std::move(chunk));
  if (flush_scheduled || writing_) return;
  flush_scheduled = true;
  context_->ScheduleFlush(shared_from_this());
}

void WebConnection::Flush() {
  if (state_ == State::kClosed || writing_) return;
  while (out_head_ < out_.size()) {
    iovec iov[kMaxIov];
    int count = 0;
    size_t skip = out_offset_;
    for (size_t i = out_head_; i < out_.size() && count < kMaxIov - 1; ++i) {
      for (const std::string* part : {&out_[i]->header, &out_[i]->payload}) {
        if (skip >= part->size()) {
          skip -= part->size();
          continue;
        }
        iov[count++] = {const_cast<char*>(part->data()) + skip, part->size() - skip};
        skip = 0;
      }
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = count == 0 ? 0 : ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ArmWrite();
    if (n < 0) return Closed();  // reset by the peer: nothing more can be sent
    Advance(static_cast<size_t>(n));
  }
  OnDrained();
}

// Drops what `written` bytes covered from the front of the queue.
void WebConnection::Advance(size_t written) {
  out_bytes_ -= written;
  while (out_head_ < out_.size()) {
    size_t left = out_[out_head_]->size() - out_offset_;
    if (written < left) {
      out_offset_ += written;
      return;
    }
    written -= left;
    out_[out_head_++].reset();
    out_offset_ = 0;
  }
}

void WebConnection::ArmWrite() {
  writing_ = true;
  socket_.async_wait(Tcp::socket::wait_write,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       self->writing_ = false;
                       if (!ec) self->Flush();
                     });
}

// Everything is written: a connection held back by its unsent bytes is read again.
void WebConnection::OnDrained() {
  out_.clear();
  out_head_ = 0;
  if (out_.capacity() > 64) std::vector<OutChunkPtr>().swap(out_);
  if (state_ == State::kDraining) return Linger();
  if (!reading_ && TakesInput()) {
    asio::post(*context_->io, [self = shared_from_this()] { self->Resume(); });
  }
}

// ---- closing ----

// Stops taking input; once the queue is written, half-closes and waits for the client's end.
void WebConnection::CloseAfterWrite() {
  state_ = State::kDraining;
  if (flush_scheduled || writing_) return;
  flush_scheduled = true;
  context_->ScheduleFlush(shared_from_this());
}

// Half-closes and reads until the client closes too (or a timeout): closing with unread
// input would reset the connection and could destroy the answer still in flight.
void WebConnection::Linger() {
  state_ = State::kLingering;
  asio::error_code ec;
  socket_.shutdown(Tcp::socket::shutdown_send, ec);
  StartTimer(kLingerMs);
  ArmRead();
}

// One timer serves the request deadlines and the closing states (OnTimer tells which).
void WebConnection::StartTimer(int64_t ms) {
  if (!timer_) timer_ = std::make_unique<asio::steady_timer>(*context_->io);
  timer_->expires_after(std::chrono::milliseconds(ms < 0 ? 0 : ms));
  timer_->async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->OnTimer();
  });
}

void WebConnection::OnTimer() {
  timer_deadline_ms_ = 0;
  switch (state_) {
    case State::kWsClosing:
    case State::kLingering:
      return Closed();
    case State::kHttp:
      return CheckDeadline();
    default:
      return;  // a deadline that no longer applies
  }
}

// The caller may be iterating over connections (a publish): the close handler runs later.
void WebConnection::Abort() {
  if (state_ == State::kClosed) return;
  state_ = State::kDraining;
  asio::error_code ec;
  socket_.shutdown(Tcp::socket::shutdown_both, ec);
  asio::post(*context_->io, [self = shared_from_this()] { self->Closed(); });
}

void WebConnection::Shutdown(const std::string& reason) {
  switch (state_) {
    case State::kWebSocket:
      return Close(1001, reason);
    case State::kHttp:
      if (parser_.idle() && in_.empty() && out_head_ == out_.size()) return Closed();
      return CloseAfterWrite();
    default:
      return;  // closes after its answer (the context is stopping) or is closing already
  }
}

bool WebConnection::CloseIfIdleSince(int64_t cutoff_ms) {
  if (state_ != State::kHttp || last_active_ms_ >= cutoff_ms) return false;
  Closed();
  return true;
}

// The one end of every connection: the socket closes, the close handler runs if owed.
void WebConnection::Closed() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  asio::error_code ec;
  socket_.shutdown(Tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (timer_) timer_->cancel();
  out_.clear();
  out_head_ = out_offset_ = out_bytes_ = 0;
  if (ws_open_ && context_->ws.close) {
    Guarded("WebSocket close handler", [&] { context_->ws.close(this); });
  }
  ws_open_ = false;
  context_->Forget(this);
}

}  // namespace agor
