#include "server/realtime/broker.h"

#include "server/realtime/hub.h"

namespace agor {

// One rule with the Hub's routing: what it sends to everybody must reach every node.
std::string Broker::ChannelOf(const Event& ev) {
  const bool global = Hub::IsGlobal(ev) || ev.service == "tasks" || ev.service == "sessions";
  return global ? std::string(kGlobalChannel) : ev.board_id;
}

}  // namespace agor
