#include "bench/tcp_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace agor::bench {
namespace {

constexpr size_t kReadChunk = 256 * 1024;

char* ReadBuffer() {
  static char buffer[kReadChunk];
  return buffer;
}

std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + strerror(errno);
}

}  // namespace

TcpConn::~TcpConn() {
  Close();
}

bool TcpConn::Connect(uint16_t port) {
  Close();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    last_error_ = ErrnoText("socket");
    return false;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!BindSource(fd)) {
    close(fd);
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if ((rc != 0 && errno != EINPROGRESS) || !loop_->Watch(fd, this)) {
    last_error_ = ErrnoText("connect");
    close(fd);
    return false;
  }
  fd_ = fd;
  connecting_ = true;
  ++generation_;
  return true;
}

bool TcpConn::BindSource(int fd) {
  if (source_ == 0) return true;
  int one = 1;
  setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(source_);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
  last_error_ = ErrnoText("bind");
  return false;
}

void TcpConn::Close() {
  if (fd_ < 0) return;
  loop_->Unwatch(fd_);
  close(fd_);
  fd_ = -1;
  ++generation_;
  connecting_ = false;
  in_.clear();
  out_.clear();
  out_sent_ = 0;
}

void TcpConn::Send(std::string_view bytes) {
  out_.append(bytes);
  if (is_connected()) Flush();
}

void TcpConn::Fail(const std::string& why) {
  last_error_ = why;
  Close();
  OnClosed(why);
}

void TcpConn::OnIo(uint32_t events) {
  if (fd_ < 0) return;
  uint64_t gen = generation_;
  if (connecting_) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    FinishConnect();
    if (gen != generation_ || fd_ < 0) return;
  }
  bool hangup = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  if ((events & EPOLLIN) || hangup) {
    if (!ReadAvailable(hangup)) return;
  }
  if (events & EPOLLOUT) Flush();
}

void TcpConn::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    errno = err;
    Fail(ErrnoText("connect"));
    return;
  }
  connecting_ = false;
  uint64_t gen = generation_;
  OnConnected();
  if (gen == generation_) Flush();
}

bool TcpConn::ReadAvailable(bool until_eof) {
  uint64_t gen = generation_;
  char* buffer = ReadBuffer();
  while (true) {
    ssize_t n = read(fd_, buffer, kReadChunk);
    if (n > 0) {
      bytes_received_ += static_cast<uint64_t>(n);
      if (!Deliver(std::string_view(buffer, static_cast<size_t>(n)))) return false;
      if (gen != generation_) return false;
      if (static_cast<size_t>(n) < kReadChunk && !until_eof) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    Fail(n == 0 ? "closed by server" : ErrnoText("read"));
    return false;
  }
}

// Hands chunk (after any kept input) to OnData and keeps what it did not consume.
bool TcpConn::Deliver(std::string_view chunk) {
  uint64_t gen = generation_;
  if (in_.empty()) {
    size_t used = OnData(chunk);
    if (gen != generation_) return false;
    if (used < chunk.size()) in_.assign(chunk.substr(used));
    return true;
  }
  in_.append(chunk);
  size_t used = OnData(in_);
  if (gen != generation_) return false;
  in_.erase(0, used);
  return true;
}

void TcpConn::Flush() {
  while (out_sent_ < out_.size()) {
    ssize_t n = send(fd_, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    Fail(ErrnoText("send"));
    return;
  }
  out_.clear();
  out_sent_ = 0;
}

}  // namespace agor::bench
