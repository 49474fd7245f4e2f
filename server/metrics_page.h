// MetricsPage: the text of GET /metrics, in the Prometheus text exposition format (version
// 0.0.4). It reads the ServerStats counters and histograms the layers keep on the event loop,
// and, at each scrape only, what is cheaper to count then than to maintain: Engine.IO sessions
// by transport (a walk of the sessions) and tasks by status (one COUNT per status in the
// store), and presence's and the Redis broker's figures when they are set. Every family is listed,
// with `# HELP` and `# TYPE`, in README.md's metrics table.
//
// Thread-safety: none; the event loop renders it, as it writes what it reads.
#pragma once

#include <string>

#include "base/clock.h"
#include "base/stats.h"
#include "server/realtime/engine_server.h"
#include "server/realtime/hub.h"
#include "server/realtime/login_failure_relay.h"
#include "server/realtime/presence.h"
#include "server/realtime/presence_relay.h"
#include "server/realtime/redis_broker.h"
#include "store/store.h"

namespace agor {

class MetricsPage {
 public:
  // Everything is borrowed and must outlive the page.
  MetricsPage(const ServerStats* stats, Store* store, const EngineServer* engine, const Hub* hub,
              Clock* clock)
      : stats_(stats), store_(store), engine_(engine), hub_(hub), clock_(clock) {}

  // Presence's figures (entries, held cursors, moves and updates); none without it.
  void SetPresence(const Presence* presence) { presence_ = presence; }
  // The Redis broker's figures (publishes, deliveries, gap fills); none without --broker.
  void SetBroker(const RedisBroker* broker) { broker_ = broker; }
  // The failed logins shared with the other nodes; none without --broker.
  void SetLoginRelay(const LoginFailureRelay* relay) { login_relay_ = relay; }
  void SetPresenceRelay(const PresenceRelay* relay) { presence_relay_ = relay; }

  std::string Render() const;

 private:
  void Http(MetricsText* out) const;
  void Connections(MetricsText* out) const;
  void Events(MetricsText* out) const;
  void SocketCalls(MetricsText* out) const;
  void Storage(MetricsText* out) const;
  void Tasks(MetricsText* out) const;
  void PresenceFigures(MetricsText* out) const;
  void BrokerFigures(MetricsText* out) const;
  void PresenceRelayFigures(MetricsText* out) const;

  const ServerStats* stats_;
  Store* store_;
  const EngineServer* engine_;
  const Hub* hub_;
  const Presence* presence_ = nullptr;
  const RedisBroker* broker_ = nullptr;
  const LoginFailureRelay* login_relay_ = nullptr;
  const PresenceRelay* presence_relay_ = nullptr;
  Clock* clock_;
};

}  // namespace agor
