#include "server/wire/http_request_parser.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "base/utf8.h"

namespace agor {
namespace {

constexpr size_t kMaxChunkLine = 1024;  // a chunk size with its extensions

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 5.6.2 tchar: the bytes of a method or a header name.
bool IsToken(std::string_view s) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  for (unsigned char c : s) {
    if (!isalnum(c) && kSymbols.find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return !s.empty();
}

// Bytes a header value, a chunk extension or a trailer may hold: no control byte but HTAB.
bool HasOnlyFieldBytes(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// A request target is printable ASCII: percent-encoding carries anything else.
bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

// Content-Length as a number; false when it is not one (or too long to be one).
bool ParseLength(const std::string& text, size_t* length) {
  if (text.empty() || text.size() > 15) return false;
  *length = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    *length = *length * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

// The hex size at the start of a chunk-size line ("1a;ext"); false when malformed.
bool ParseChunkSize(std::string_view line, size_t* size) {
  if (!HasOnlyFieldBytes(line)) return false;
  line = Trim(line.substr(0, line.find(';')));  // chunk extensions are ignored
  if (line.empty() || line.size() > 15) return false;
  *size = 0;
  for (char c : line) {
    if (!isxdigit(static_cast<unsigned char>(c))) return false;
    int v = isdigit(static_cast<unsigned char>(c)) ? c - '0' : tolower(c) - 'a' + 10;
    *size = *size * 16 + static_cast<size_t>(v);
  }
  return true;
}

size_t CountHeaders(const HttpRequest& req, const std::string& name) {
  size_t n = 0;
  for (const auto& h : req.headers) n += h.first == name;
  return n;
}

bool KeepAlive(const HttpRequest& req, bool http10) {
  std::string connection = Lower(req.Header("connection"));
  if (connection.find("close") != std::string::npos) return false;
  return !http10 || connection.find("keep-alive") != std::string::npos;
}

Status Malformed(const char* what) {
  return Status::BadRequest(what);
}

Status HeadersTooLarge(size_t max) {
  return Status::BadRequest("request headers over " + std::to_string(max) + " bytes");
}

Status BodyTooLarge(size_t max) {
  return Status::PayloadTooLarge("request body over " + std::to_string(max) + " bytes");
}

HttpParse Incomplete() {
  return HttpParse{};
}

}  // namespace

Status HttpRequestParser::Expired() {
  return Status(Code::kTimeout, "request not received in time");
}

void HttpRequestParser::Reset() {
  request_ = HttpRequest();
  line_.clear();
  if (line_.capacity() > kMaxChunkLine) std::string().swap(line_);
  phase_ = Phase::kStart;
  raw_bytes_ = head_bytes_ = remaining_ = 0;
  http10_ = chunked_ = continue_owed_ = false;
  deadline_ms_ = 0;
}

HttpParse HttpRequestParser::Feed(std::string_view in, int64_t now_ms) {
  if (phase_ == Phase::kFailed) return Fail(error_);
  if (in.empty()) return Incomplete();
  if (idle()) {
    Reset();
    deadline_ms_ = now_ms + limits_->header_timeout_ms;  // trickled bytes will not move it
  }
  size_t pos = 0;
  HttpParse p;
  while (pos < in.size() && p.result == HttpParse::kIncomplete) {
    p = Step(in, &pos, now_ms);
    if (raw_bytes_ > limits_->max_raw_bytes() && p.result != HttpParse::kError) {
      p = Fail(Status::PayloadTooLarge("request over " + std::to_string(limits_->max_raw_bytes()) +
                                       " bytes, framing included"));
    }
  }
  p.consumed = pos;
  if (p.result == HttpParse::kIncomplete && continue_owed_) {
    p.expects_continue = true;
    continue_owed_ = false;
  }
  return p;
}

HttpParse HttpRequestParser::Step(std::string_view in, size_t* pos, int64_t now_ms) {
  switch (phase_) {
    case Phase::kStart:
    case Phase::kHeaders:
    case Phase::kTrailers:
      return ReadLine(in, pos, limits_->max_header_bytes - head_bytes_, now_ms);
    case Phase::kChunkSize:
      return ReadLine(in, pos, kMaxChunkLine, now_ms);
    case Phase::kBody:
    case Phase::kChunkData:
      return ReadBody(in, pos);
    case Phase::kChunkDataEnd:
      return ReadChunkEnd(in, pos);
    default:
      return Fail(Malformed("request parser misuse"));
  }
}

// Takes bytes up to the next LF into line_ (at most max_line in all), then handles the line.
HttpParse HttpRequestParser::ReadLine(std::string_view in, size_t* pos, size_t max_line,
                                      int64_t now_ms) {
  size_t start = *pos;
  const void* lf = memchr(in.data() + start, '\n', in.size() - start);
  size_t end = lf ? static_cast<size_t>(static_cast<const char*>(lf) - in.data()) + 1 : in.size();
  if (line_.size() + (end - start) > max_line) {
    return Fail(phase_ == Phase::kChunkSize ? Malformed("malformed chunk size")
                                            : HeadersTooLarge(limits_->max_header_bytes));
  }
  line_.append(in.data() + start, end - start);
  *pos = end;
  raw_bytes_ += end - start;
  if (!lf) return Incomplete();
  if (line_.size() < 2 || line_[line_.size() - 2] != '\r') return Fail(Malformed("bare LF"));
  if (phase_ != Phase::kChunkSize) head_bytes_ += line_.size();
  HttpParse p = OnLine(std::string_view(line_).substr(0, line_.size() - 2), now_ms);
  line_.clear();
  return p;
}

HttpParse HttpRequestParser::OnLine(std::string_view line, int64_t now_ms) {
  switch (phase_) {
    case Phase::kStart:
      return line.empty() ? Incomplete() : OnRequestLine(line);  // RFC 9112 2.2: blank lines
    case Phase::kHeaders:
      return line.empty() ? OnHeadersEnd(now_ms) : OnHeaderLine(line);
    case Phase::kChunkSize:
      return OnChunkSize(line);
    default:  // kTrailers: checked, then ignored
      if (line.empty()) return Complete();
      return HasOnlyFieldBytes(line) ? Incomplete() : Fail(Malformed("malformed trailer line"));
  }
}

// "GET /path?q HTTP/1.1" into method, path and query.
HttpParse HttpRequestParser::OnRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1 || sp1 == 0) {
    return Fail(Malformed("malformed request line"));
  }
  std::string_view version = line.substr(sp2 + 1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if ((version != "HTTP/1.1" && version != "HTTP/1.0") || target.empty() ||
      target.find(' ') != std::string_view::npos) {
    return Fail(Malformed("malformed request line"));
  }
  if (!IsToken(line.substr(0, sp1))) return Fail(Malformed("invalid method"));
  if (!IsPrintableAscii(target)) return Fail(Malformed("invalid request target"));
  http10_ = version == "HTTP/1.0";
  request_.method.assign(line.substr(0, sp1));
  size_t scheme = target.find("://");  // absolute-form: keep the path only
  if (target[0] != '/' && scheme != std::string_view::npos) {
    size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? "/" : target.substr(slash);
  }
  size_t q = target.find('?');
  request_.path.assign(target.substr(0, q));
  request_.query.assign(q == std::string_view::npos ? "" : target.substr(q + 1));
  if (request_.path[0] != '/' && request_.path != "*") {
    return Fail(Malformed("malformed request line"));
  }
  phase_ = Phase::kHeaders;
  return Incomplete();
}

HttpParse HttpRequestParser::OnHeaderLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    return Fail(Malformed("malformed header line"));
  }
  std::string_view value = Trim(line.substr(colon + 1));
  if (!HasOnlyFieldBytes(value)) return Fail(Malformed("control character in a header value"));
  if (!IsValidUtf8(value)) return Fail(Malformed("header value is not valid UTF-8"));
  request_.headers.emplace_back(Lower(line.substr(0, colon)), std::string(value));
  return Incomplete();
}

// The framing headers decide what follows: nothing, Content-Length bytes, or chunks.
HttpParse HttpRequestParser::OnHeadersEnd(int64_t now_ms) {
  size_t hosts = CountHeaders(request_, "host");
  if (hosts > 1 || (hosts == 0 && !http10_)) {
    return Fail(Malformed(hosts ? "more than one Host header" : "HTTP/1.1 request without Host"));
  }
  size_t te = CountHeaders(request_, "transfer-encoding");
  const std::string& cl = request_.Header("content-length");
  bool has_cl = CountHeaders(request_, "content-length") > 0;
  if (te > 1) return Fail(Malformed("more than one Transfer-Encoding header"));
  if (te == 1 && has_cl) return Fail(Malformed("both Content-Length and Transfer-Encoding"));
  if (te == 1 && Lower(request_.Header("transfer-encoding")) != "chunked") {
    return Fail(Malformed("unsupported Transfer-Encoding"));
  }
  size_t length = 0;
  if (te == 0 && has_cl && !ParseLength(cl, &length))
    return Fail(Malformed("invalid Content-Length"));
  for (const auto& h : request_.headers) {  // RFC 9112 6.3: differing lengths are a smuggling try
    if (h.first == "content-length" && h.second != cl) {
      return Fail(Malformed("conflicting Content-Length headers"));
    }
  }
  if (length > limits_->max_body_bytes) return Fail(BodyTooLarge(limits_->max_body_bytes));
  chunked_ = te == 1;
  if (!chunked_ && length == 0) return Complete();
  phase_ = chunked_ ? Phase::kChunkSize : Phase::kBody;
  remaining_ = length;
  continue_owed_ = Lower(request_.Header("expect")) == "100-continue";
  // The body's deadline is fixed now, from the most it may be: a slow drip cannot extend it.
  size_t budget = chunked_ ? limits_->max_body_bytes : length;
  int64_t rate = limits_->body_min_rate > 0 ? limits_->body_min_rate : 1;
  deadline_ms_ = now_ms + limits_->body_timeout_ms + static_cast<int64_t>(budget) * 1000 / rate;
  return Incomplete();
}

HttpParse HttpRequestParser::OnChunkSize(std::string_view line) {
  size_t size = 0;
  if (!ParseChunkSize(line, &size)) return Fail(Malformed("malformed chunk size"));
  if (request_.body.size() + size > limits_->max_body_bytes) {
    return Fail(BodyTooLarge(limits_->max_body_bytes));
  }
  if (size == 0) {
    phase_ = Phase::kTrailers;
    head_bytes_ = 0;  // trailers get a header block's allowance of their own
    return Incomplete();
  }
  phase_ = Phase::kChunkData;
  remaining_ = size;
  return Incomplete();
}

// Content-Length bytes or a chunk's data, as far as they arrived.
HttpParse HttpRequestParser::ReadBody(std::string_view in, size_t* pos) {
  size_t n = std::min(remaining_, in.size() - *pos);
  request_.body.append(in.data() + *pos, n);
  *pos += n;
  raw_bytes_ += n;
  remaining_ -= n;
  if (remaining_ > 0) return Incomplete();
  if (phase_ == Phase::kBody) return Complete();
  phase_ = Phase::kChunkDataEnd;
  return Incomplete();
}

// The CRLF closing a chunk's data, possibly split between reads (line_ holds what came).
HttpParse HttpRequestParser::ReadChunkEnd(std::string_view in, size_t* pos) {
  while (*pos < in.size() && line_.size() < 2) {
    char expected = line_.empty() ? '\r' : '\n';
    if (in[*pos] != expected) return Fail(Malformed("malformed chunk"));
    line_.push_back(in[(*pos)++]);
    ++raw_bytes_;
  }
  if (line_.size() < 2) return Incomplete();
  line_.clear();
  phase_ = Phase::kChunkSize;
  return Incomplete();
}

HttpParse HttpRequestParser::Fail(Status status) {
  phase_ = Phase::kFailed;
  deadline_ms_ = 0;
  error_ = status;
  HttpParse p;
  p.result = HttpParse::kError;
  p.error = std::move(status);
  return p;
}

HttpParse HttpRequestParser::Complete() {
  phase_ = Phase::kDone;
  deadline_ms_ = 0;
  continue_owed_ = false;
  if (line_.capacity() > kMaxChunkLine) std::string().swap(line_);  // idle connections stay small
  HttpParse p;
  p.result = HttpParse::kComplete;
  p.keep_alive = KeepAlive(request_, http10_);
  return p;
}

HttpParse ParseHttpRequest(std::string_view in, const HttpLimits& limits, HttpRequest* request) {
  HttpRequestParser parser(&limits);
  HttpParse p = parser.Feed(in);
  if (p.result == HttpParse::kComplete) *request = std::move(parser.request());
  return p;
}

}  // namespace agor
