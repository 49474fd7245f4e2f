#include "server/net/web_connection.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <chrono>

namespace agor {
namespace {

using Tcp = asio::ip::tcp;

constexpr int kMaxIov = 256;                // buffers per sendmsg(2)
constexpr int kCloseHandshakeMs = 2000;     // a peer that never answers our close frame
constexpr int kLingerMs = 2000;             // reading what a closing client still sends
constexpr size_t kKeepCapacity = 4 * 1024;  // larger idle buffers are given back

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t NowUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

constexpr int64_t kMaxFanoutDelayUs = 1000;  // the longest a frame waits for more to join it

OutChunkPtr RawChunk(std::string bytes) {
  auto c = std::make_shared<OutChunk>();
  c->payload = std::move(bytes);
  return c;
}

OutChunkPtr FrameChunk(uint8_t opcode, std::string payload) {
  auto c = std::make_shared<OutChunk>();
  AppendFrameHeader(&c->header, opcode, payload.size());
  c->payload = std::move(payload);
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

// Codes a peer may send (RFC 6455 7.4): the defined ones but 1004-1006 and 1015, and the
// ranges for libraries (3000-3999) and applications (4000-4999).
bool IsValidCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

HttpResponse ErrorResponse(const Status& status) {
  HttpResponse r;
  r.status = status.http_status();
  r.body = status.ToJson().dump();
  return r;
}

// A request's answer; holds its connection until sent. A handler that drops it unanswered
// answers 500 rather than leaving the client hanging.
class Reply : public HttpReply {
 public:
  explicit Reply(std::shared_ptr<WebConnection> c) : conn_(std::move(c)) {}
  ~Reply() override {
    if (conn_) Send(ErrorResponse(Status::GeneralError("no answer")));
  }
  void Send(const HttpResponse& response) override {
    if (!conn_) return;
    std::shared_ptr<WebConnection> c = std::move(conn_);
    conn_.reset();
    c->Answer(response);
  }

 private:
  std::shared_ptr<WebConnection> conn_;
};

}  // namespace

void WebContext::ScheduleFlush(std::shared_ptr<WebConnection> c) {
  dirty.push_back(std::move(c));
  PostFlush();
}

void WebContext::PostFlush() {
  if (flush_posted) return;
  flush_posted = true;
  asio::post(*io, [this] { FlushDirty(); });
}

// HTTP answers leave at once: a client waiting on its answer (to send its next request)
// should not wait behind the fan-out of the events its request caused. WebSocket frames wait
// while input keeps arriving (each pass lets the loop read and commit what came meanwhile, so
// one write carries the events of several commits), at most kMaxFanoutDelayUs; on a quiet
// loop they leave on the next pass.
void WebContext::FlushDirty() {
  flush_posted = false;
  std::vector<std::shared_ptr<WebConnection>> batch;
  batch.swap(dirty);
  int64_t now = NowUs();
  if (fanout_since_us == 0) fanout_since_us = now;
  bool wait = reads != reads_seen && now - fanout_since_us < kMaxFanoutDelayUs;
  reads_seen = reads;
  for (auto& c : batch) {
    if (c->is_websocket() && wait) {
      dirty.push_back(std::move(c));  // stays flush_scheduled
      continue;
    }
    c->flush_scheduled = false;
    c->Flush();
  }
  if (dirty.empty()) {
    fanout_since_us = 0;
  } else {
    PostFlush();
  }
}

void WebContext::Forget(WebConnection* c) {
  auto it = connections.find(c);
  if (it == connections.end()) return;
  std::shared_ptr<WebConnection> keep = std::move(it->second);
  connections.erase(it);
  asio::post(*io, [keep] {});  // destroyed after the handler that closed it returns
}

WebConnection::WebConnection(WebContext* context, Tcp::socket socket)
    : context_(context), socket_(std::move(socket)) {}

void WebConnection::Start() {
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  // Writes are already coalesced per loop turn; Nagle would hold a lone event frame until
  // the client's delayed ACK (up to 40 ms).
  socket_.set_option(Tcp::no_delay(true), ec);
  last_active_ms_ = NowMs();
  ArmRead();
}

// ---- reading ----

void WebConnection::ArmRead() {
  if (reading_ || closed_) return;
  reading_ = true;
  socket_.async_wait(Tcp::socket::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       self->reading_ = false;
                       if (!ec && !self->closed_) self->OnReadable();
                     });
}

void WebConnection::OnReadable() {
  asio::error_code ec;
  std::vector<char>& buffer = context_->read_buffer;
  size_t n = socket_.read_some(asio::buffer(buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return ArmRead();
  if (ec) return Closed();  // end of stream or reset
  last_active_ms_ = NowMs();
  ++context_->reads;
  if (mode_ != Mode::kDiscard) Consume(std::string_view(buffer.data(), n));
  if (!answering_) ArmRead();  // a request awaiting its answer holds back the next ones
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
  while (!closed_ && !answering_ && mode_ != Mode::kDiscard && used < input.size()) {
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
}

size_t WebConnection::Step(std::string_view in) {
  return mode_ == Mode::kWebSocket ? StepWebSocket(in) : StepHttp(in);
}

// ---- HTTP ----

size_t WebConnection::StepHttp(std::string_view in) {
  HttpRequest request;
  HttpParse p = ParseHttpRequest(in, context_->http_limits, &request);
  if (p.result == HttpParse::kIncomplete) {
    if (p.expects_continue && !sent_continue_) {
      sent_continue_ = true;
      Queue(RawChunk("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    return 0;
  }
  if (p.result == HttpParse::kError) {
    Refuse(p.error);
    return in.size();
  }
  sent_continue_ = false;
  keep_alive_ = p.keep_alive;
  if (HasToken(request.Header("upgrade"), "websocket")) {
    Upgrade(request);
  } else {
    Dispatch(request, p.keep_alive);
  }
  return p.consumed;
}

void WebConnection::Dispatch(const HttpRequest& request, bool keep_alive) {
  keep_alive_ = keep_alive;
  answering_ = true;
  auto reply = std::make_shared<Reply>(shared_from_this());
  if (context_->http_handler) context_->http_handler(request, std::move(reply));
}

void WebConnection::Answer(const HttpResponse& response) {
  if (closed_ || !answering_) return;
  answering_ = false;
  bool keep = keep_alive_ && !context_->stopping;
  Queue(RawChunk(SerializeHttpResponse(response, keep)));
  if (!keep) return CloseAfterWrite();
  if (!in_step_) asio::post(*context_->io, [self = shared_from_this()] { self->Resume(); });
}

// Goes on with the input held back while a request awaited its (deferred) answer.
void WebConnection::Resume() {
  if (closed_ || answering_ || mode_ == Mode::kDiscard) return;
  if (!in_.empty()) Consume(std::string_view());
  if (!answering_) ArmRead();
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
  Status s = context_->ws.accept(request);
  if (!s.ok()) return Refuse(s);
  Queue(
      RawChunk("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: " +
               WebSocketAccept(key) + "\r\n\r\n"));
  mode_ = Mode::kWebSocket;
  ws_open_ = true;
  if (context_->ws.open) context_->ws.open(this, request);
}

// ---- WebSocket ----

size_t WebConnection::StepWebSocket(std::string_view in) {
  uint64_t length = 0;
  if (PeekFrameLength(in, &length) && length + message_.size() > context_->max_message_bytes) {
    Fail(1009, "message over " + std::to_string(context_->max_message_bytes) + " bytes");
    return in.size();
  }
  WsFrame frame;
  size_t n = ParseFrame(in, &frame, &context_->scratch);
  if (n == 0) return 0;
  if (n == std::string_view::npos || !frame.masked) {
    Fail(1002, n == std::string_view::npos ? "malformed frame" : "client frames must be masked");
    return in.size();
  }
  OnFrame(frame);
  return n;
}

void WebConnection::OnFrame(const WsFrame& frame) {
  if (frame.opcode & 0x8) return OnControlFrame(frame);
  if (close_sent_) return;  // data after our close frame is ignored (RFC 6455 5.5.1)
  bool continuation = frame.opcode == kWsContinuation;
  if (!continuation && frame.opcode != kWsText && frame.opcode != kWsBinary) {
    return Fail(1002, "unknown opcode");
  }
  if (continuation != (message_opcode_ != 0)) {
    return Fail(1002, continuation ? "continuation outside a fragmented message"
                                   : "new message inside a fragmented one");
  }
  if (frame.fin && !continuation) return OnMessage(frame.opcode, frame.payload);
  if (!continuation) message_opcode_ = frame.opcode;
  message_.append(frame.payload);
  if (!frame.fin) return;
  uint8_t opcode = message_opcode_;
  message_opcode_ = 0;
  std::string whole;
  whole.swap(message_);
  OnMessage(opcode, whole);
}

void WebConnection::OnControlFrame(const WsFrame& frame) {
  switch (frame.opcode) {
    case kWsPing:
      if (!close_sent_) Queue(FrameChunk(kWsPong, std::string(frame.payload)));
      return;
    case kWsPong:
      return;
    case kWsClose:
      return OnClose(frame.payload);
    default:
      return Fail(1002, "unknown control opcode");
  }
}

// The client's close: answered with its code (when valid), then the connection ends.
void WebConnection::OnClose(std::string_view payload) {
  if (close_sent_) return CloseAfterWrite();  // the answer to ours
  if (payload.size() == 1) return Fail(1002, "close frame with a 1-byte body");
  if (payload.empty()) {
    Queue(FrameChunk(kWsClose, ""));
    close_sent_ = true;
    return CloseAfterWrite();
  }
  uint16_t code = static_cast<uint16_t>(static_cast<uint8_t>(payload[0]) << 8 |
                                        static_cast<uint8_t>(payload[1]));
  if (!IsValidCloseCode(code)) return Fail(1002, "invalid close code " + std::to_string(code));
  if (!IsValidUtf8(payload.substr(2))) return Fail(1007, "close reason is not valid UTF-8");
  SendClose(code, "");
  CloseAfterWrite();
}

void WebConnection::OnMessage(uint8_t opcode, std::string_view payload) {
  if (opcode == kWsBinary) return Close(1003, "binary frames not supported");
  if (!IsValidUtf8(payload)) return Fail(1007, "text message is not valid UTF-8");
  if (context_->ws.message) context_->ws.message(this, payload);
}

void WebConnection::SendClose(uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, 123));  // control frames carry at most 125 bytes
  Queue(FrameChunk(kWsClose, std::move(payload)));
  close_sent_ = true;
}

// A protocol error: close frame with the reason, then the connection, without waiting.
void WebConnection::Fail(uint16_t code, const std::string& reason) {
  if (!close_sent_) SendClose(code, reason);
  CloseAfterWrite();
}

void WebConnection::Close(uint16_t code, const std::string& reason) {
  if (closed_ || close_sent_ || mode_ != Mode::kWebSocket) return;
  SendClose(code, reason);
  StartCloseTimer(kCloseHandshakeMs);  // then wait for the client's close frame
}

void WebConnection::Send(std::string_view text) {
  if (close_sent_ || mode_ != Mode::kWebSocket) return;
  Queue(FrameChunk(kWsText, std::string(text)));
}

void WebConnection::Send(const SharedFrame& frame) {
  if (close_sent_ || mode_ != Mode::kWebSocket) return;
  Queue(std::static_pointer_cast<const OutChunk>(frame.handle()));
}

// ---- writing ----

void WebConnection::Queue(OutChunkPtr chunk) {
  if (closed_) return;
  out_bytes_ += chunk->size();
  out_.push_back(std::move(chunk));
  if (flush_scheduled || writing_) return;
  flush_scheduled = true;
  context_->ScheduleFlush(shared_from_this());
}

void WebConnection::Flush() {
  if (closed_ || writing_) return;
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

void WebConnection::OnDrained() {
  out_.clear();
  out_head_ = 0;
  if (out_.capacity() > 64) std::vector<OutChunkPtr>().swap(out_);
  if (close_after_write_) Linger();
}

// ---- closing ----

// Stops taking input; once the queue is written, half-closes and waits for the client's end.
void WebConnection::CloseAfterWrite() {
  mode_ = Mode::kDiscard;
  close_after_write_ = true;
  if (flush_scheduled || writing_) return;
  flush_scheduled = true;
  context_->ScheduleFlush(shared_from_this());
}

// Half-closes and reads until the client closes too (or a timeout): closing with unread
// input would reset the connection and could destroy the answer still in flight.
void WebConnection::Linger() {
  close_after_write_ = false;
  asio::error_code ec;
  socket_.shutdown(Tcp::socket::shutdown_send, ec);
  StartCloseTimer(kLingerMs);
  ArmRead();
}

void WebConnection::StartCloseTimer(int ms) {
  if (!close_timer_) close_timer_ = std::make_unique<asio::steady_timer>(*context_->io);
  close_timer_->expires_after(std::chrono::milliseconds(ms));
  close_timer_->async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (!ec) self->Closed();
  });
}

// The caller may be iterating over connections (a publish): the close handler runs later.
void WebConnection::Abort() {
  if (closed_) return;
  mode_ = Mode::kDiscard;
  asio::error_code ec;
  socket_.shutdown(Tcp::socket::shutdown_both, ec);
  asio::post(*context_->io, [self = shared_from_this()] { self->Closed(); });
}

void WebConnection::Shutdown(const std::string& reason) {
  if (closed_) return;
  if (mode_ == Mode::kWebSocket) return Close(1001, reason);
  keep_alive_ = false;
  if (answering_ || mode_ == Mode::kDiscard) return;  // closes after its answer / linger
  if (in_.empty() && out_head_ == out_.size()) return Closed();
  CloseAfterWrite();
}

bool WebConnection::CloseIfIdleSince(int64_t cutoff_ms) {
  if (closed_ || mode_ != Mode::kHttp || answering_ || last_active_ms_ >= cutoff_ms) return false;
  Closed();
  return true;
}

// The one end of every connection: the socket closes, the close handler runs if owed.
void WebConnection::Closed() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(Tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (close_timer_) close_timer_->cancel();
  out_.clear();
  out_head_ = out_offset_ = out_bytes_ = 0;
  if (ws_open_) {
    ws_open_ = false;
    if (context_->ws.close) context_->ws.close(this);
  }
  context_->Forget(this);
}

}  // namespace agor
