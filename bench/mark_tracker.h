// MarkTracker: the receiving side of a run. Listens to every client of a pool, and for each
// `messages created` event carrying a mark of the current run records which client got which
// message (duplicates counted apart) and the create->receive latency (receive time minus the
// mark's send time: one process, one monotonic clock).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "bench/latency.h"
#include "bench/mark.h"
#include "bench/sio_client.h"

namespace agor::bench {

// Delivery of one run compared with what each client should have received.
struct DeliveryCheck {
  int64_t missing = 0;     // expected but not received
  int64_t unexpected = 0;  // received but not expected (e.g. another board's event)
  int64_t max_missing_per_client = 0;
  int clients_missing = 0;  // clients that missed at least one
  Json ToJson() const;
};

class MarkTracker : public SioClient::Listener {
 public:
  // Starts a run: clients 0..clients-1 may receive messages 0..messages-1 of run.
  void Reset(int clients, int messages, int64_t run);

  int64_t received() const { return received_; }  // distinct (client, message) pairs
  int64_t duplicates() const { return duplicates_; }
  int64_t first_receive_ns() const { return first_receive_ns_; }
  int64_t last_receive_ns() const { return last_receive_ns_; }
  // Marked events received by one client (distinct messages).
  int received_by(int client) const { return per_client_[client]; }
  LatencySummary Latency() { return latency_.Summarize(); }
  // Every create->receive latency of the run (ns), e.g. to merge several generators' figures.
  const LatencySamples& latency_samples() const { return latency_; }

  // expected(client, seq): whether the client should get message seq.
  DeliveryCheck Check(const std::function<bool(int client, int seq)>& expected) const;

 private:
  void OnSioEvent(SioClient* client, std::string_view args) override;

  int clients_ = 0;
  int messages_ = 0;
  int64_t run_ = -1;
  std::vector<uint8_t> seen_;  // clients_ x messages_
  std::vector<int> per_client_;
  int64_t received_ = 0;
  int64_t duplicates_ = 0;
  int64_t first_receive_ns_ = 0;
  int64_t last_receive_ns_ = 0;
  LatencySamples latency_;
};

}  // namespace agor::bench
