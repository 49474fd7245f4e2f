#include "bench/http_client.h"

#include <strings.h>

#include <cstdlib>

namespace agor::bench {
namespace {

struct ReplyHead {
  int status = 0;
  long long content_length = -1;
  bool close = false;
  bool chunked = false;
};

// The value of header `name` (case-insensitive) in head, or "" when absent.
std::string_view HeaderValue(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    if (line.size() > name.size() && line[name.size()] == ':' &&
        strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view value = line.substr(name.size() + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      return value;
    }
    pos = end;
  }
  return {};
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

ReplyHead ParseHead(std::string_view head) {
  ReplyHead r;
  if (head.size() >= 12) r.status = std::atoi(std::string(head.substr(9, 3)).c_str());
  std::string_view length = HeaderValue(head, "content-length");
  if (!length.empty()) r.content_length = std::atoll(std::string(length).c_str());
  r.close = EqualsNoCase(HeaderValue(head, "connection"), "close");
  r.chunked = !HeaderValue(head, "transfer-encoding").empty();
  return r;
}

}  // namespace

bool HttpClient::OpenIfClosed() {
  if (is_open()) return true;
  reused_ = false;
  if (!Connect(port_)) return false;
  ++connects_;
  return true;
}

bool HttpClient::Request(std::string_view method, std::string_view target,
                         std::string_view json_body, Callback callback) {
  if (busy_) return false;
  request_.assign(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!token_.empty()) request_.append("Authorization: Bearer ").append(token_).append("\r\n");
  if (!json_body.empty()) {
    request_.append("Content-Type: application/json\r\nContent-Length: ");
    request_.append(std::to_string(json_body.size())).append("\r\n");
  }
  request_.append("\r\n").append(json_body);
  if (!OpenIfClosed()) return false;
  busy_ = true;
  answer_started_ = false;
  callback_ = std::move(callback);
  Send(request_);
  return true;
}

size_t HttpClient::OnData(std::string_view data) {
  if (!busy_) return data.size();  // nothing asked: ignore stray bytes
  answer_started_ = true;
  size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return 0;
  ReplyHead head = ParseHead(data.substr(0, head_end));
  bool no_body = head.status == 204 || head.status == 304;
  if (head.chunked || (head.content_length < 0 && !no_body) || head.status == 0) {
    Finish(0, "unsupported HTTP reply framing", true);
    return 0;
  }
  size_t body_len = no_body ? 0 : static_cast<size_t>(head.content_length);
  if (data.size() < head_end + 4 + body_len) return 0;
  Finish(head.status, data.substr(head_end + 4, body_len), head.close);
  return head_end + 4 + body_len;
}

void HttpClient::Finish(int status, std::string_view body, bool close_after) {
  Callback callback = std::move(callback_);
  busy_ = false;
  reused_ = true;
  if (close_after) {
    body_.assign(body);
    body = body_;
    Close();
  }
  if (callback) callback(status, body);
}

void HttpClient::OnClosed(const std::string& why) {
  if (!busy_) return;
  if (reused_ && !answer_started_ && OpenIfClosed()) {
    answer_started_ = false;
    Send(request_);
    return;
  }
  body_.assign(why);
  Finish(0, body_, false);
}

}  // namespace agor::bench
