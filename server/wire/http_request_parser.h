// HTTP/1.1 request parsing for the daemon's own server: a pure codec, no I/O and no clock of
// its own (the caller passes the time). HttpRequestParser keeps its state across reads: each
// byte is looked at a bounded number of times however the request is split, and only the
// line being read and the decoded body are kept (never the chunk framing).
//
// Strict framing (RFC 9112), every deviation refused with 400: lines end with CRLF (no bare
// LF), no control byte but HTAB in a header value, which must be UTF-8; the method is a token;
// the target is printable ASCII (percent-encoded bytes are left to the router); HTTP/1.1 needs
// one Host; one Transfer-Encoding, "chunked", never with Content-Length; equal Content-Lengths.
// Bounds: max_header_bytes, max_body_bytes (413), the raw request with its chunk framing
// (max_raw_bytes(), 413), and deadlines for the headers and the body that trickled bytes do
// not extend.
//
// Thread-safety: none (one parser per connection, used on its thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/wire/http_types.h"

namespace agor {

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // blank lines, request line and headers; more is 400
  size_t max_body_bytes = 1024 * 1024;  // the decoded body; more is 413
  int64_t header_timeout_ms = 10000;    // from a request's first byte to its headers' end
  int64_t body_timeout_ms = 10000;      // the body's time from the headers' end, at least...
  int64_t body_min_rate = 16 * 1024;    // ... plus its announced size at this many bytes/s

  // The whole request as sent: headers, body and chunk framing (sizes, extensions, trailers);
  // framing may cost as much as the body itself, not more.
  size_t max_raw_bytes() const { return max_header_bytes + 2 * max_body_bytes; }
};

struct HttpParse {
  enum Result { kIncomplete, kComplete, kError };
  Result result = kIncomplete;
  size_t consumed = 0;            // bytes of the input taken: all when kIncomplete
  bool keep_alive = true;         // kComplete: the client allows another request on the connection
  bool expects_continue = false;  // the headers just ended asking for 100 Continue (once)
  Status error;                   // kError: 400, 413 or 408 with a message; answer it and close
};

class HttpRequestParser {
 public:
  // `limits` must outlive the parser.
  explicit HttpRequestParser(const HttpLimits* limits) : limits_(limits) {}

  // Reads `in`, the bytes following those of the earlier calls, at time `now_ms`. kComplete:
  // the request ends at in[consumed], request() holds it, and the next call begins the next
  // request. kError: the parser stays failed.
  HttpParse Feed(std::string_view in, int64_t now_ms = 0);
  HttpRequest& request() { return request_; }

  // No byte of a request has arrived since the last one completed.
  bool idle() const { return phase_ == Phase::kDone || (phase_ == Phase::kStart && !raw_bytes_); }
  // When the request in progress must have arrived (its headers, then its body); 0: none.
  int64_t deadline_ms() const { return deadline_ms_; }
  // The refusal for a request whose deadline passed (408).
  static Status Expired();

 private:
  enum class Phase {
    kStart,         // blank lines or the request line
    kHeaders,       // header lines up to the empty one
    kBody,          // Content-Length bytes
    kChunkSize,     // a chunk-size line (with extensions)
    kChunkData,     // a chunk's bytes
    kChunkDataEnd,  // the CRLF after them
    kTrailers,      // trailer lines up to the empty one
    kDone,
    kFailed,
  };

  void Reset();
  HttpParse Step(std::string_view in, size_t* pos, int64_t now_ms);
  HttpParse ReadLine(std::string_view in, size_t* pos, size_t max_line, int64_t now_ms);
  HttpParse OnLine(std::string_view line, int64_t now_ms);
  HttpParse OnRequestLine(std::string_view line);
  HttpParse OnHeaderLine(std::string_view line);
  HttpParse OnHeadersEnd(int64_t now_ms);
  HttpParse OnChunkSize(std::string_view line);
  HttpParse ReadBody(std::string_view in, size_t* pos);
  HttpParse ReadChunkEnd(std::string_view in, size_t* pos);
  HttpParse Fail(Status status);
  HttpParse Complete();

  const HttpLimits* limits_;
  Phase phase_ = Phase::kStart;
  HttpRequest request_;
  std::string line_;       // the line being read, CRLF included
  size_t raw_bytes_ = 0;   // of the request so far, framing included
  size_t head_bytes_ = 0;  // of the blank lines, request line and headers (then trailers)
  size_t remaining_ = 0;   // kBody / kChunkData: bytes still to come
  bool http10_ = false;
  bool chunked_ = false;
  bool continue_owed_ = false;  // Expect: 100-continue seen, not yet reported
  Status error_;
  int64_t deadline_ms_ = 0;
};

// One-shot parse of the request at the start of `in` into *request (overwritten when
// complete); consumed counts from the start of `in`. For callers holding a whole buffer.
HttpParse ParseHttpRequest(std::string_view in, const HttpLimits& limits, HttpRequest* request);

}  // namespace agor
