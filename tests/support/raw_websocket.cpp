#include "tests/support/raw_websocket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace agor::test {
namespace {

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += n;
  }
  return true;
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

RawWebSocket::~RawWebSocket() {
  if (fd_ >= 0) close(fd_);
}

int RawWebSocket::Connect(int port, const std::string& target,
                          const std::vector<std::string>& headers) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf_ > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf_, sizeof rcvbuf_);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!WriteAll(fd_, req + "\r\n")) return -1;
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    std::string chunk;
    if (!ReadExact(1, &chunk, 5000)) return -1;
    head += chunk;
  }
  return std::atoi(head.c_str() + head.find(' ') + 1);
}

bool RawWebSocket::SendText(const std::string& text) {
  return SendFrame(0x81, text);
}

bool RawWebSocket::SendFrame(uint8_t first_byte, const std::string& payload, bool masked) {
  std::string frame;
  frame.push_back(static_cast<char>(first_byte));
  const char mask_bit = masked ? static_cast<char>(0x80) : 0;
  size_t n = payload.size();
  if (n < 126) {
    frame.push_back(static_cast<char>(mask_bit | n));
  } else if (n < 65536) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>(n >> 8));
    frame.push_back(static_cast<char>(n & 0xff));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  if (!masked) return WriteAll(fd_, frame + payload);
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  frame.append(mask, 4);
  for (size_t i = 0; i < n; ++i) frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return WriteAll(fd_, frame);
}

bool RawWebSocket::SendRaw(const std::string& bytes) {
  return WriteAll(fd_, bytes);
}

bool RawWebSocket::ReadExact(size_t n, std::string* out, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (buffered_.size() < n) {
    struct pollfd p = {fd_, POLLIN, 0};
    int left = static_cast<int>(deadline - NowMs());
    if (left <= 0 || poll(&p, 1, left) <= 0) return false;
    char buf[65536];
    ssize_t got = recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) return false;
    buffered_.append(buf, got);
  }
  *out = buffered_.substr(0, n);
  buffered_.erase(0, n);
  return true;
}

bool RawWebSocket::ReadFrame(int* opcode, std::string* payload, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  auto left = [deadline] { return static_cast<int>(std::max<int64_t>(0, deadline - NowMs())); };
  std::string h;
  if (!ReadExact(2, &h, left())) return false;
  last_fin_ = h[0] & 0x80;
  last_masked_ = h[1] & 0x80;
  *opcode = h[0] & 0x0f;
  uint64_t len = h[1] & 0x7f;
  std::string ext;
  if (len == 126 || len == 127) {
    if (!ReadExact(len == 126 ? 2 : 8, &ext, left())) return false;
    len = 0;
    for (unsigned char c : ext) len = (len << 8) | c;
  }
  std::string mask;
  if (last_masked_ && !ReadExact(4, &mask, left())) return false;
  if (!ReadExact(len, payload, left())) return false;
  if (last_masked_) {
    for (size_t i = 0; i < payload->size(); ++i) (*payload)[i] ^= mask[i % 4];
  }
  return true;
}

bool RawWebSocket::ReadText(std::string* text, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    int opcode = 0;
    int left = static_cast<int>(deadline - NowMs());
    if (left <= 0 || !ReadFrame(&opcode, text, left)) return false;
    if (opcode == 0x8) return false;  // close
    if (opcode == 0x1) return true;   // pings and others are skipped
  }
}

bool RawWebSocket::WaitClosed(int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  std::string text;
  while (NowMs() < deadline) {
    if (!ReadText(&text, static_cast<int>(deadline - NowMs()))) return NowMs() < deadline;
  }
  return false;
}

bool RawWebSocket::WaitTcpClosed(int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  buffered_.clear();
  for (;;) {
    struct pollfd p = {fd_, POLLIN, 0};
    int left = static_cast<int>(deadline - NowMs());
    if (left <= 0 || poll(&p, 1, left) <= 0) return false;
    char buf[65536];
    ssize_t got = recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) return true;  // end of stream or reset
  }
}

}  // namespace agor::test
