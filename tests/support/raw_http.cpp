#include "tests/support/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>

namespace agor::test {
namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

}  // namespace

RawHttp::~RawHttp() {
  if (fd_ >= 0) close(fd_);
}

bool RawHttp::Connect(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

bool RawHttp::SendRaw(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool RawHttp::Fill(int64_t deadline_ms) {
  if (eof_) return false;
  struct pollfd p = {fd_, POLLIN, 0};
  int left = static_cast<int>(deadline_ms - NowMs());
  if (left <= 0 || poll(&p, 1, left) <= 0) return false;
  char buf[65536];
  ssize_t got = recv(fd_, buf, sizeof buf, 0);
  if (got <= 0) {
    eof_ = true;
    return false;
  }
  buffered_.append(buf, static_cast<size_t>(got));
  return true;
}

bool RawHttp::ReadResponse(int* status, std::map<std::string, std::string>* headers,
                           std::string* body, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  size_t end;
  while ((end = buffered_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline)) return false;
  }
  std::string head = buffered_.substr(0, end);
  size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return false;
  *status = std::atoi(status_line.c_str() + 9);
  headers->clear();
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    std::string line = head.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon == std::string::npos) return false;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    (*headers)[name] = Trim(line.substr(colon + 1));
    pos = eol + 2;
  }
  size_t body_start = end + 4;
  auto length = headers->find("content-length");
  if (length != headers->end()) {
    size_t n = std::strtoull(length->second.c_str(), nullptr, 10);
    while (buffered_.size() < body_start + n) {
      if (!Fill(deadline)) return false;
    }
    *body = buffered_.substr(body_start, n);
    buffered_.erase(0, body_start + n);
    return true;
  }
  if (*status / 100 == 1 || *status == 204 || *status == 304) {
    body->clear();
    buffered_.erase(0, body_start);
    return true;
  }
  while (Fill(deadline)) {
  }
  if (!eof_) return false;
  *body = buffered_.substr(body_start);
  buffered_.clear();
  return true;
}

bool RawHttp::WaitClosed(int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (!eof_) {
    if (!Fill(deadline) && !eof_) return false;
  }
  return true;
}

}  // namespace agor::test
