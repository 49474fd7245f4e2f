// LoginStorm: `logins` clients that each log in to agor over and over, all at once, for as long
// as the storm runs: `POST /authentication {strategy: "local", email, password}` on its own
// keep-alive connection, the next one sent as soon as the answer arrives. Every login costs the
// server one Argon2id verification (on its worker thread, never on the event loop): this is the
// load the `login-storm` scenario puts next to a paced fan-out (see scenarios.h). Client i logs
// in at ports[i % ports.size()]: on a cluster the logins spread over the nodes, which share the
// login limiter's counts.
//
// Threading: runs on the benchmark's EventLoop, like every client here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/event_loop.h"
#include "bench/http_client.h"
#include "bench/latency.h"

namespace agor::bench {

struct LoginStormResult {
  int ok = 0;       // answered 201 (or 200) with an accessToken
  int limited = 0;  // 429 TooManyRequests: the login limiter stepped in
  int failed = 0;   // anything else (first_error tells)
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  LatencySummary login;  // request -> answer of the successful logins
  std::string first_error;
  double logins_per_s() const;
  Json ToJson() const;
};

class LoginStorm {
 public:
  LoginStorm(EventLoop* loop, const std::vector<uint16_t>& ports, int logins,
             const std::string& email, const std::string& password);
  LoginStorm(const LoginStorm&) = delete;
  LoginStorm& operator=(const LoginStorm&) = delete;

  // Sends the first login of every client; each sends its next one on its answer.
  void Start();
  // Sends nothing more; done() once the logins in flight are answered.
  void Stop() { stopping_ = true; }
  bool done() const { return stopping_ && in_flight_ == 0; }
  LoginStormResult Result();

 private:
  void Send(HttpClient* client);
  void OnAnswer(HttpClient* client, int64_t sent_ns, int status, std::string_view body);

  std::vector<std::unique_ptr<HttpClient>> clients_;
  std::string body_;
  bool stopping_ = false;
  int in_flight_ = 0;
  LatencySamples latency_;
  LoginStormResult result_;
};

}  // namespace agor::bench
