// TcpConn: one non-blocking TCP client connection to 127.0.0.1 on an EventLoop, with an input
// buffer handed to the subclass and an output buffer flushed as the socket accepts it.
//
// Contract for subclasses:
//   - OnData gets every unconsumed input byte and returns how many it consumed; the rest is
//     kept and offered again, with more, on the next read.
//   - OnClosed runs once when the peer closes or an error happens (the fd is already closed);
//     it is not called for Close(). A subclass may Connect() again from any callback.
//   - Send() before the connection is established is buffered and flushed on connect.
// Reads stop at a short read (stream sockets: the kernel buffer is drained; a later arrival
// raises a new edge), which saves one EAGAIN read per small frame.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/event_loop.h"

namespace agor::bench {

class TcpConn : public EventLoop::Handler {
 public:
  explicit TcpConn(EventLoop* loop) : loop_(loop) {}
  ~TcpConn() override;
  TcpConn(const TcpConn&) = delete;
  TcpConn& operator=(const TcpConn&) = delete;

  // Starts connecting to 127.0.0.1:port. False (reason in last_error()) when no socket could be
  // made, e.g. out of file descriptors; a refused connection is reported through OnClosed.
  bool Connect(uint16_t port);
  // The source address of later Connect()s (host order, e.g. 127.0.0.2; 0: the kernel's
  // choice). Each source address has its own ephemeral ports: the kernel picks the port at
  // connect time (IP_BIND_ADDRESS_NO_PORT), so one address serves every destination port.
  void set_source(uint32_t address) { source_ = address; }
  void Send(std::string_view bytes);
  // Closes without calling OnClosed; pending output is dropped.
  void Close();

  bool is_open() const { return fd_ >= 0; }
  bool is_connected() const { return fd_ >= 0 && !connecting_; }
  const std::string& last_error() const { return last_error_; }
  // Bytes given to Send() that the kernel has not taken yet.
  size_t pending_output() const { return out_.size() - out_sent_; }
  // Bytes read from the socket since construction or the last reset.
  uint64_t bytes_received() const { return bytes_received_; }
  void reset_bytes_received() { bytes_received_ = 0; }

 protected:
  virtual void OnConnected() {}
  virtual size_t OnData(std::string_view data) = 0;
  virtual void OnClosed(const std::string& why) = 0;

 private:
  void OnIo(uint32_t events) override;
  void FinishConnect();
  // Reads what is available; false when the connection ended (or was replaced) meanwhile.
  bool ReadAvailable(bool until_eof);
  bool Deliver(std::string_view chunk);
  void Flush();
  void Fail(const std::string& why);
  bool BindSource(int fd);

  EventLoop* loop_;
  int fd_ = -1;
  uint32_t source_ = 0;
  uint64_t generation_ = 0;  // bumped by every Connect/Close: detects a callback's reconnect
  bool connecting_ = false;
  std::string in_;
  std::string out_;
  size_t out_sent_ = 0;
  uint64_t bytes_received_ = 0;
  std::string last_error_;
};

}  // namespace agor::bench
