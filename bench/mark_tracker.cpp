#include "bench/mark_tracker.h"

#include <algorithm>

namespace agor::bench {

Json DeliveryCheck::ToJson() const {
  return Json{{"missing", missing},
              {"unexpected", unexpected},
              {"max_missing_per_client", max_missing_per_client},
              {"clients_missing", clients_missing}};
}

void MarkTracker::Reset(int clients, int messages, int64_t run) {
  clients_ = clients;
  messages_ = messages;
  run_ = run;
  seen_.assign(static_cast<size_t>(clients) * static_cast<size_t>(messages), 0);
  per_client_.assign(clients, 0);
  received_ = duplicates_ = 0;
  first_receive_ns_ = last_receive_ns_ = 0;
  latency_.Clear();
}

void MarkTracker::OnSioEvent(SioClient* client, std::string_view args) {
  Mark mark;
  if (!ParseMarkedEvent(args, &mark) || mark.run != run_) return;
  int c = client->index();
  if (c < 0 || c >= clients_ || mark.seq < 0 || mark.seq >= messages_) return;
  uint8_t& seen = seen_[static_cast<size_t>(c) * messages_ + mark.seq];
  if (seen) {
    ++duplicates_;
    return;
  }
  seen = 1;
  int64_t now = NowNs();
  ++per_client_[c];
  ++received_;
  if (first_receive_ns_ == 0) first_receive_ns_ = now;
  last_receive_ns_ = now;
  latency_.Add(now - mark.sent_ns);
}

DeliveryCheck MarkTracker::Check(const std::function<bool(int client, int seq)>& expected) const {
  DeliveryCheck d;
  for (int c = 0; c < clients_; ++c) {
    int64_t missing = 0;
    for (int s = 0; s < messages_; ++s) {
      bool got = seen_[static_cast<size_t>(c) * messages_ + s];
      bool want = expected(c, s);
      missing += want && !got;
      d.unexpected += got && !want;
    }
    d.missing += missing;
    d.max_missing_per_client = std::max(d.max_missing_per_client, missing);
    d.clients_missing += missing > 0;
  }
  return d;
}

}  // namespace agor::bench
