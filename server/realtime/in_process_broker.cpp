#include "server/realtime/in_process_broker.h"

namespace agor {

void InProcessBroker::Publish(const Event& ev) {
  ++stats_.published;
  if (delivering_) return queued_.push_back(ev);
  delivering_ = true;
  Deliver(ev);
  while (!queued_.empty()) {
    Event next = std::move(queued_.front());
    queued_.pop_front();
    Deliver(next);
  }
  delivering_ = false;
}

void InProcessBroker::Deliver(const Event& ev) {
  if (!delivery_ || ev.seq <= last_) {
    ++stats_.dropped;
    return;
  }
  last_ = ev.seq;
  delivery_(ev);
  ++stats_.delivered;
}

}  // namespace agor
