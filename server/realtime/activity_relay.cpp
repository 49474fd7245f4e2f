#include "server/realtime/activity_relay.h"

namespace agor {

void ActivityRelay::Offer(const Event& ev) {
  const Json& id = ev.record.is_object() ? ev.record.value("activity_id", Json()) : Json();
  if (!id.is_string()) return send_(ev);
  const std::string& key = id.get_ref<const std::string&>();
  auto it = slots_.find(key);
  if (it == slots_.end() || ev.event == "created") return SendNow(key, ev);
  it->second.waiting = true;  // sent within the interval: this one waits, replacing any older
  it->second.pending = ev;
}

// Sends `ev` and opens the entry's interval: its timer sends what waits then, or drops it.
void ActivityRelay::SendNow(const std::string& id, const Event& ev) {
  slots_[id] = Slot();
  send_(ev);
  after_(interval_ms_, [this, id] { Flush(id); });
}

void ActivityRelay::Flush(const std::string& id) {
  auto it = slots_.find(id);
  if (it == slots_.end()) return;
  if (!it->second.waiting) {
    slots_.erase(it);
    return;
  }
  Event ev = std::move(it->second.pending);
  SendNow(id, ev);
}

}  // namespace agor
