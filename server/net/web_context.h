// WebContext: what the connections of one WebServer share (the loop, limits, handlers, the
// one read buffer, the flush pass), and OutChunk, the unit of their send queues. Private to
// server/net: only web_server.cpp and the connection include it (it pulls in Asio).
//
// Flushing: Send() queues and asks for a flush, which runs once the loop has handled
// everything already ready. Events published together, or requests read in the same turn,
// leave in one sendmsg(2) per connection; while input keeps arriving, WebSocket frames wait up
// to 1 ms for the next commits' (see FlushDirty). Guarded() is the catch-all around every
// call into the layers above.
//
// Threading: loop thread only. Ownership: the server owns the context; the context's table
// owns each connection (shared_ptr, also held by pending handlers and by deferred replies).
#pragma once

#include <asio.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/utf8.h"
#include "server/net/web_server.h"
#include "server/wire/http_request_parser.h"

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

struct WebContext {
  explicit WebContext(asio::io_context* io) : io(io), read_buffer(64 * 1024) {}

  // Queues `c` for the next flush pass and posts the pass if none is pending.
  void ScheduleFlush(std::shared_ptr<WebConnection> c);
  void PostFlush();
  void FlushDirty();
  // Drops the table's reference (later, on the loop: the caller may be the connection).
  void Forget(WebConnection* c);

  asio::io_context* io;
  Clock* clock = SteadyClock();  // deadlines, idleness and the fan-out delay
  HttpLimits http_limits;
  size_t max_message_bytes = 1000000;
  // A connection whose unsent bytes pass this is not read (no more requests answered, no
  // more pings ponged) until they are written: a client that sends without reading cannot
  // make the daemon buffer answers without end.
  size_t max_unsent_bytes = 1024 * 1024;
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

// Runs a handler of the layers above. Their exception must not unwind the event loop (it
// would end the daemon): it is logged in one line and reported as false.
template <typename Fn>
inline bool Guarded(const char* what, Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    Log(LogLevel::kError, std::string(what) + " threw: " + ToValidUtf8(e.what(), 300));
  } catch (...) {
    Log(LogLevel::kError, std::string(what) + " threw a non-standard exception");
  }
  return false;
}

}  // namespace agor
