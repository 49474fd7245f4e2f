// WebConnection: one accepted TCP connection of the WebServer, first speaking HTTP/1.1
// (keep-alive, pipelined requests answered in order, a deferred answer holds the connection)
// and, after an accepted upgrade, WebSocket (RFC 6455, no extensions). Private to
// web_server.cpp and web_connection.cpp: only they include Asio's socket headers.
//
// Reads: an idle connection holds no read buffer. It waits for readiness, then reads into the
// loop's one shared buffer; only the bytes of an incomplete request or frame are kept.
// Writes: Send() queues (a shared frame costs no copy) and asks WebContext for a flush, which
// runs once the loop has handled everything already ready. Events published together, or
// requests read in the same turn, leave in one sendmsg(2) per connection; while input keeps
// arriving, WebSocket frames wait up to 1 ms for the next commits' (see FlushDirty).
//
// Threading: everything runs on the loop thread. Ownership: WebContext's connection table owns
// each connection (shared_ptr, also held by pending handlers and by deferred HTTP replies).
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/net/web_server.h"
#include "server/wire/http_request_parser.h"
#include "server/wire/ws_frame.h"

namespace agor {

class WebConnection;

// The bytes of one queued item: a WebSocket frame header and payload, or raw HTTP bytes with
// an empty header. Immutable once queued; shared by every connection it is queued on.
struct OutChunk {
  std::string header;
  std::string payload;
  size_t size() const { return header.size() + payload.size(); }
};
using OutChunkPtr = std::shared_ptr<const OutChunk>;

// What the connections of one server share. Owned by the server; outlives its connections.
struct WebContext {
  explicit WebContext(asio::io_context* io) : io(io), read_buffer(64 * 1024) {}

  // Queues `c` for the next flush pass and posts the pass if none is pending.
  void ScheduleFlush(std::shared_ptr<WebConnection> c);
  void PostFlush();
  void FlushDirty();
  // Drops the table's reference (later, on the loop: the caller may be the connection).
  void Forget(WebConnection* c);

  asio::io_context* io;
  HttpLimits http_limits;
  size_t max_message_bytes = 1000000;
  WebServer::HttpHandler http_handler;
  WsHandlers ws;
  bool stopping = false;
  std::vector<char> read_buffer;  // one per loop: connections read here, keep only leftovers
  std::string scratch;            // unmasked payload of the frame being handled
  std::unordered_map<WebConnection*, std::shared_ptr<WebConnection>> connections;
  std::vector<std::shared_ptr<WebConnection>> dirty;  // to flush
  bool flush_posted = false;
  uint64_t reads = 0;           // reads that brought input, ever
  uint64_t reads_seen = 0;      // `reads` at the last flush pass
  int64_t fanout_since_us = 0;  // when WebSocket frames began to wait; 0: none waiting
};

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

  // The answer to the request in progress (HttpReply calls it).
  void Answer(const HttpResponse& response);
  void Queue(OutChunkPtr chunk);
  bool is_websocket() const { return mode_ == Mode::kWebSocket; }
  bool flush_scheduled = false;

 private:
  enum class Mode { kHttp, kWebSocket, kDiscard };

  void ArmRead();
  void OnReadable();
  void Consume(std::string_view data);
  size_t Step(std::string_view in);
  size_t StepHttp(std::string_view in);
  size_t StepWebSocket(std::string_view in);
  void Dispatch(const HttpRequest& request, bool keep_alive);
  void Upgrade(const HttpRequest& request);
  void Refuse(const Status& status);
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
  void StartCloseTimer(int ms);
  void Closed();

  WebContext* context_;
  asio::ip::tcp::socket socket_;
  std::string in_;  // unconsumed input: part of a request or frame
  std::vector<OutChunkPtr> out_;
  size_t out_head_ = 0;    // first chunk of out_ not fully written
  size_t out_offset_ = 0;  // bytes of out_[out_head_] written
  size_t out_bytes_ = 0;
  std::string message_;                              // fragments of a WebSocket message
  std::unique_ptr<asio::steady_timer> close_timer_;  // made only when closing
  int64_t last_active_ms_ = 0;
  Mode mode_ = Mode::kHttp;
  uint8_t message_opcode_ = 0;  // opcode of the fragmented message in progress, 0 when none
  bool reading_ = false;
  bool writing_ = false;    // waiting for the socket to take more
  bool in_step_ = false;    // inside Consume: a synchronous Answer needs no Resume
  bool answering_ = false;  // an HTTP request awaits its answer
  bool keep_alive_ = true;
  bool sent_continue_ = false;
  bool close_after_write_ = false;
  bool close_sent_ = false;
  bool ws_open_ = false;  // the open handler ran; the close handler is owed
  bool closed_ = false;
};

}  // namespace agor
