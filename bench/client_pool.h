// ClientPool: many Socket.IO clients of one server (or of several: SpreadOver) on the
// benchmark's loop, opened with a bound on concurrent handshakes, all of their events forwarded
// to one sink. Every client presents the pool's token in its CONNECT ("" for none: the peer).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/latency.h"
#include "bench/sio_client.h"

namespace agor::bench {

struct ConnectStats {
  int requested = 0;
  int connected = 0;  // Socket.IO CONNECT answered
  int failed = 0;     // refused, dropped or timed out before that
  int64_t elapsed_ns = 0;
  LatencySummary handshake;  // TCP connect -> CONNECT answer, per client
  std::string first_error;
  double per_second() const;
  Json ToJson() const;
};

class ClientPool : public SioClient::Listener {
 public:
  // The extra handshake query of client `index` (e.g. "board_id=..."), or "".
  using QueryFn = std::function<std::string(int index)>;

  // sink gets every event and ack of every client; it is borrowed and may be null.
  ClientPool(EventLoop* loop, uint16_t port, SioClient::Listener* sink, std::string token = "")
      : loop_(loop), ports_{port}, sink_(sink), token_(std::move(token)) {}
  ~ClientPool() override { CloseAll(); }

  // Client i of later Grow()s connects to ports[i % ports.size()] (a cluster's nodes), from
  // source address `source` (host order; 0: the kernel's choice, see TcpConn::set_source).
  void SpreadOver(std::vector<uint16_t> ports, uint32_t source = 0) {
    ports_ = std::move(ports);
    source_ = source;
  }

  // Opens count more clients, at most in_flight handshakes at a time, and waits until each is
  // connected or failed, or timeout_ns passes (the rest count as failed).
  ConnectStats Grow(int count, int in_flight, int64_t timeout_ns, const QueryFn& query = nullptr);
  void CloseAll();

  int size() const { return static_cast<int>(clients_.size()); }
  int connected() const { return connected_; }
  // Clients that were connected and then lost their connection.
  int dropped() const { return dropped_; }
  SioClient* client(int index) { return clients_[index].get(); }

 private:
  void OnSioConnected(SioClient* client) override;
  void OnSioEvent(SioClient* client, std::string_view args) override;
  void OnSioAck(SioClient* client, int64_t id, std::string_view args) override;
  void OnSioClosed(SioClient* client, const std::string& why) override;
  void StartNext();
  ConnectStats Summarize(int first, int64_t elapsed_ns);
  void HandshakeFailed(const std::string& why);

  EventLoop* loop_;
  std::vector<uint16_t> ports_;
  uint32_t source_ = 0;
  SioClient::Listener* sink_;
  std::string token_;
  std::vector<std::unique_ptr<SioClient>> clients_;
  QueryFn query_;
  int next_ = 0;     // next client of the current Grow to start
  int target_ = 0;   // size after the current Grow
  int pending_ = 0;  // handshakes in flight
  int connected_ = 0;
  int dropped_ = 0;
  std::string first_error_;
};

}  // namespace agor::bench
