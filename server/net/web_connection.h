// WebConnection: one accepted TCP connection of the WebServer, first speaking HTTP/1.1
// (keep-alive, pipelined requests answered in order, a deferred answer holds the connection)
// and, after an accepted upgrade, WebSocket (RFC 6455, no extensions). Private to server/net:
// only the server and the context include Asio's socket headers.
//
// Reads: an idle connection holds no read buffer. It waits for readiness, then reads into the
// context's shared buffer; the HTTP parser keeps its own state across reads, and only the
// bytes of an incomplete frame or of requests held back are kept. A connection is not read
// while a request awaits its answer, nor while its unsent bytes pass max_unsent_bytes.
// Bounds in time: a request's headers and body have deadlines (408, then close); an idle
// keep-alive connection is closed by the server's sweep.
// Writes: Send() queues (a shared frame costs no copy); WebContext flushes (web_context.h).
// The layers above (HTTP handler, WebSocket handlers) are called inside a catch-all: their
// exception is logged and answered with 500 (HTTP) or a 1011 close, never unwinds the loop.
//
// Threading: everything runs on the loop thread. Ownership: WebContext's connection table owns
// each connection (shared_ptr, also held by pending handlers and by deferred HTTP replies).
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/net/web_context.h"
#include "server/net/web_server.h"
#include "server/wire/http_request_parser.h"
#include "server/wire/ws_frame.h"

namespace agor {

class WebConnection : public WsConnection, public std::enable_shared_from_this<WebConnection> {
 public:
  WebConnection(WebContext* context, asio::ip::tcp::socket socket);

  void Start();                              // begins reading requests
  void Flush();                              // writes what is queued, as far as the socket takes it
  void Shutdown(const std::string& reason);  // server stop: close when idle / after the reply
  // Closes an HTTP connection idle since before `cutoff_ms` (steady clock); true if it did.
  bool CloseIfIdleSince(int64_t cutoff_ms);

  // WsConnection
  void Send(std::string_view text) override;
  void Send(const SharedFrame& frame) override;
  size_t buffered_bytes() const override { return out_bytes_; }
  void Close(uint16_t code, const std::string& reason) override;
  void Abort() override;

  // The answer to the request in progress (its HttpReply calls it); `head`: without the body.
  void Answer(const HttpResponse& response, bool keep_alive, bool head);
  void Queue(OutChunkPtr chunk);
  bool is_websocket() const { return state_ == State::kWebSocket || state_ == State::kWsClosing; }
  bool flush_scheduled = false;

 private:
  enum class State {
    kHttp,           // reading requests (the parser may hold part of one)
    kHttpAnswering,  // a request awaits its answer; later input is held back
    kWebSocket,      // upgraded: frames both ways
    kWsClosing,      // our close frame is queued; the client's is awaited (timer running)
    kDraining,       // no more input handled; once the queue is written, kLingering
    kLingering,      // half-closed: reading and dropping until the client's end (timer running)
    kClosed,
  };

  int64_t Now() const { return context_->clock->NowMillis(); }
  bool TakesInput() const;
  bool WantsInput() const;
  void ArmRead();
  void OnReadable();
  void Consume(std::string_view data);
  size_t Step(std::string_view in);
  size_t StepHttp(std::string_view in);
  size_t StepWebSocket(std::string_view in);
  void Dispatch(HttpRequest request, bool keep_alive);
  void Upgrade(const HttpRequest& request);
  void Refuse(const Status& status);
  void WatchDeadline();
  void CheckDeadline();
  void OnFrame(const WsFrame& frame);
  void OnControlFrame(const WsFrame& frame);
  void OnClose(std::string_view payload);
  void OnMessage(uint8_t opcode, std::string_view payload);
  void Fail(uint16_t code, const std::string& reason);
  void SendClose(uint16_t code, std::string_view reason);
  void Resume();
  void ArmWrite();
  void Advance(size_t written);
  void OnDrained();
  void CloseAfterWrite();
  void Linger();
  void StartTimer(int64_t ms);
  void OnTimer();
  void Closed();

  WebContext* context_;
  asio::ip::tcp::socket socket_;
  std::string remote_address_;  // the peer's IP as text, "" when unknown
  HttpRequestParser parser_;
  std::string in_;  // unconsumed input: part of a frame, or requests held back
  std::vector<OutChunkPtr> out_;
  size_t out_head_ = 0;    // first chunk of out_ not fully written
  size_t out_offset_ = 0;  // bytes of out_[out_head_] written
  size_t out_bytes_ = 0;
  std::string message_;                        // fragments of a WebSocket message
  std::unique_ptr<asio::steady_timer> timer_;  // made when a deadline or a close needs it
  int64_t timer_deadline_ms_ = 0;              // the request deadline the timer waits for
  int64_t last_active_ms_ = 0;
  State state_ = State::kHttp;
  uint8_t message_opcode_ = 0;  // opcode of the fragmented message in progress, 0 when none
  bool reading_ = false;        // a wait for input is pending
  bool writing_ = false;        // a wait for the socket to take more is pending
  bool in_step_ = false;        // inside Consume: a synchronous Answer needs no Resume
  bool ws_open_ = false;        // the open handler ran; the close handler is owed
};

}  // namespace agor
