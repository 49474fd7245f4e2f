// Producer: creates messages through REST `POST /messages` on keep-alive connections, each
// carrying a Mark (run, seq, send time) in its content, either
//   - as fast as the server answers, with `concurrency` requests in flight, or
//   - open loop at rate_per_s: message seq is due at start + seq/rate; it goes out on a free
//     connection (one of `concurrency`) as soon as one is free, and its mark carries the due
//     time, so a server that falls behind is charged for the queueing it causes.
// Message seq goes to session sessions[seq % sessions.size()], or with session_per_port to the
// session of the port its connection goes to (sessions[port index % sessions.size()]): agor's
// nodes number a session's messages apart, so concurrent creates in one session through two
// nodes can collide on its message index (409).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench/event_loop.h"
#include "bench/http_client.h"
#include "bench/latency.h"

namespace agor::bench {

struct ProducerConfig {
  int messages = 0;
  int concurrency = 16;
  double rate_per_s = 0;  // 0: as fast as the server answers
  int64_t run = 0;
  std::vector<std::string> sessions;
  std::string token;  // presented on every request ("" for the peer)
  bool session_per_port = false;
};

struct ProducerResult {
  int created = 0;  // answered 201
  int failed = 0;
  int connects = 0;  // TCP connections opened (more than concurrency: the server closed some)
  int64_t start_ns = 0;
  int64_t end_ns = 0;     // last answer
  LatencySummary create;  // due/send time -> answer
  std::string first_error;
  double creates_per_s() const;
  Json ToJson() const;
};

class Producer {
 public:
  Producer(EventLoop* loop, uint16_t port, ProducerConfig config)
      : Producer(loop, std::vector<uint16_t>{port}, std::move(config)) {}
  // Connection i goes to ports[i % ports.size()]: the creates are spread over a cluster's nodes.
  Producer(EventLoop* loop, const std::vector<uint16_t>& ports, ProducerConfig config);
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Begins sending; the work happens while the loop runs.
  void Start();
  // Sends nothing more: done() once the requests in flight are answered.
  void Stop();
  bool done() const { return answered_ == config_.messages; }
  ProducerResult Result();

 private:
  void Release();  // paced mode: marks the messages that are due as ready, rearms the timer
  void Dispatch();
  void Send(HttpClient* client, int seq);
  void OnAnswer(HttpClient* client, int64_t sent_ns, int status, std::string_view body);

  EventLoop* loop_;
  ProducerConfig config_;
  std::vector<std::unique_ptr<HttpClient>> clients_;
  std::vector<HttpClient*> idle_;
  std::unordered_map<const HttpClient*, size_t> port_index_;
  int released_ = 0;  // messages that may be sent
  int next_ = 0;      // next message to send
  int answered_ = 0;
  LatencySamples latency_;
  ProducerResult result_;
  std::string body_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // timers check it
};

}  // namespace agor::bench
