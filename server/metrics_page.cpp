#include "server/metrics_page.h"

#include "base/log.h"
#include "base/schema.h"

namespace agor {

std::string MetricsPage::Render() const {
  MetricsText out;
  out.Family("agor_start_time_seconds", "gauge", "When the daemon started, in Unix seconds.");
  out.Sample("agor_start_time_seconds", stats_->started_ms / 1000);
  out.Family("agor_uptime_seconds", "gauge", "Seconds since the daemon started.");
  out.Sample("agor_uptime_seconds", (clock_->NowMillis() - stats_->started_ms) / 1000);
  Http(&out);
  Connections(&out);
  Events(&out);
  SocketCalls(&out);
  Storage(&out);
  Tasks(&out);
  PresenceFigures(&out);
  BrokerFigures(&out);
  PresenceRelayFigures(&out);
  return out.Take();
}

// Between nodes: what went to Redis, what came back, and what the log had to fill.
void MetricsPage::BrokerFigures(MetricsText* out) const {
  if (!broker_) return;
  const RedisBroker::Stats s = broker_->stats();
  out->Family("agor_broker_up", "gauge", "1 while the Redis broker's connection is up.");
  out->Sample("agor_broker_up", broker_->up() ? 1 : 0);
  out->Family("agor_broker_publishes_total", "counter",
              "Committed events published to Redis: sent, or dropped (Redis down).");
  out->Sample("agor_broker_publishes_total", {{"result", "sent"}}, s.published);
  out->Sample("agor_broker_publishes_total", {{"result", "dropped"}}, s.publish_dropped);
  out->Family("agor_broker_received_total", "counter",
              "Messages received from Redis: decoded, or dropped as malformed.");
  out->Sample("agor_broker_received_total", {{"result", "ok"}}, s.received - s.decode_errors);
  out->Sample("agor_broker_received_total", {{"result", "invalid"}}, s.decode_errors);
  out->Family("agor_broker_delivered_total", "counter",
              "Events the broker handed to this node's hub, in seq order, each once.");
  out->Sample("agor_broker_delivered_total", s.delivered);
  out->Family("agor_broker_duplicates_total", "counter",
              "Events offered again (own events' echoes from Redis included) and dropped.");
  out->Sample("agor_broker_duplicates_total", s.duplicates);
  out->Family("agor_broker_gap_fills_total", "counter",
              "Reads of the event log that filled a gap Redis left: reads, events, errors.");
  out->Sample("agor_broker_gap_fills_total", {{"kind", "reads"}}, s.gap_fills);
  out->Sample("agor_broker_gap_fills_total", {{"kind", "events"}}, s.filled);
  out->Sample("agor_broker_gap_fills_total", {{"kind", "errors"}}, s.fill_errors);
  out->Family("agor_broker_live_total", "counter",
              "Seq-less events (streamed text, live feed) sent to the other nodes, and theirs "
              "delivered here.");
  out->Sample("agor_broker_live_total", {{"direction", "published"}}, s.live_published);
  out->Sample("agor_broker_live_total", {{"direction", "received"}}, s.live_received);
  if (!login_relay_) return;
  const LoginFailureRelay::Stats& l = login_relay_->stats();
  out->Family("agor_login_failures_shared_total", "counter",
              "Failed logins shared with the other nodes: published, received (counted here), "
              "invalid (dropped).");
  out->Sample("agor_login_failures_shared_total", {{"direction", "published"}}, l.published);
  out->Sample("agor_login_failures_shared_total", {{"direction", "received"}}, l.received);
  out->Sample("agor_login_failures_shared_total", {{"direction", "invalid"}}, l.invalid);
}

// Rosters across nodes: the relay's messages each way, and the nodes it hears.
void MetricsPage::PresenceRelayFigures(MetricsText* out) const {
  if (!presence_relay_) return;
  const PresenceRelay::Stats& s = presence_relay_->stats();
  out->Family("agor_broker_presence_messages_total", "counter",
              "Presence relay messages: published (beats included), received from other nodes "
              "(snapshots included), invalid (dropped).");
  out->Sample("agor_broker_presence_messages_total", {{"direction", "published"}}, s.published);
  out->Sample("agor_broker_presence_messages_total", {{"direction", "received"}}, s.received);
  out->Sample("agor_broker_presence_messages_total", {{"direction", "invalid"}}, s.invalid);
  out->Family("agor_broker_presence_nodes", "gauge", "Other nodes whose presence is heard.");
  out->Sample("agor_broker_presence_nodes", static_cast<int64_t>(presence_relay_->nodes()));
  out->Family("agor_broker_presence_nodes_expired_total", "counter",
              "Other nodes dropped, with their entries, after a silence past the timeout.");
  out->Sample("agor_broker_presence_nodes_expired_total", s.expired);
}

void MetricsPage::PresenceFigures(MetricsText* out) const {
  if (!presence_) return;
  const PresenceStats& s = presence_->stats();
  out->Family("agor_presence_entries", "gauge",
              "Presence entries, one per connection on a board (those in their grace included).");
  out->Sample("agor_presence_entries", static_cast<int64_t>(presence_->registry().size()));
  out->Family("agor_presence_held_cursors", "gauge",
              "Cursor updates held for backed-up recipients (at most one per sender each).");
  out->Sample("agor_presence_held_cursors", static_cast<int64_t>(presence_->held()));
  out->Family("agor_cursor_moves_total", "counter",
              "cursor-move events received: taken, or dropped (rate limit, invalid).");
  out->Sample("agor_cursor_moves_total", {{"result", "taken"}}, s.moves);
  out->Sample("agor_cursor_moves_total", {{"result", "dropped"}}, s.moves_dropped);
  out->Family("agor_cursor_updates_total", "counter",
              "cursor-moved frames queued to recipients, after coalescing.");
  out->Sample("agor_cursor_updates_total", s.updates);
}

// Histogram series appear once a request of their kind came (the family is always there).
void MetricsPage::Http(MetricsText* out) const {
  out->Family("agor_http_requests_total", "counter",
              "REST requests answered (Engine.IO long-polling not included).");
  out->Sample("agor_http_requests_total", stats_->http_requests);
  out->Family("agor_http_errors_total", "counter", "REST answers with a status of 400 or more.");
  out->Sample("agor_http_errors_total", stats_->http_errors);
  const char* name = "agor_http_request_duration_seconds";
  out->Family(name, "histogram",
              "HTTP requests from arrival to answer (after their commit), by route class "
              "(rest, polling: held long-polling GETs included) and method.");
  for (size_t r = 0; r < 2; ++r) {
    for (size_t m = 0; m < kHttpMethods; ++m) {
      const LatencyHistogram& h = stats_->http_latency[r][m];
      if (h.count() == 0) continue;
      out->Histogram(name, {{"route", kHttpRouteNames[r]}, {"method", kHttpMethodNames[m]}}, h);
    }
  }
}

void MetricsPage::Connections(MetricsText* out) const {
  size_t polling = 0, websocket = 0;
  engine_->CountTransports(&polling, &websocket);
  out->Family("agor_connections", "gauge", "Open Engine.IO sessions by transport.");
  out->Sample("agor_connections", {{"transport", "polling"}}, static_cast<int64_t>(polling));
  out->Sample("agor_connections", {{"transport", "websocket"}}, static_cast<int64_t>(websocket));
  out->Family("agor_sockets", "gauge", "Open Engine.IO sessions, both transports.");
  out->Sample("agor_sockets", stats_->sockets);
  out->Family("agor_socketio_clients", "gauge", "Socket.IO clients connected to the hub.");
  out->Sample("agor_socketio_clients", static_cast<int64_t>(hub_->size()));
  out->Family("agor_slow_clients_dropped_total", "counter",
              "Sessions dropped because their send queue passed --max-send-queue.");
  out->Sample("agor_slow_clients_dropped_total", stats_->slow_drops);
}

void MetricsPage::Events(MetricsText* out) const {
  out->Family("agor_events_total", "counter",
              "Events of committed writes, published to the hub after their commit.");
  out->Sample("agor_events_total", stats_->events);
  out->Family("agor_events_streamed_total", "counter",
              "Volatile events published to the hub (partial agent text), never stored.");
  out->Sample("agor_events_streamed_total", stats_->streamed);
  out->Family("agor_event_deliveries_total", "counter",
              "Event frames queued to clients: one per recipient of each published event.");
  out->Sample("agor_event_deliveries_total", stats_->deliveries);
}

void MetricsPage::SocketCalls(MetricsText* out) const {
  out->Family("agor_socketio_call_errors_total", "counter",
              "Socket.IO Feathers calls answered with an error.");
  out->Sample("agor_socketio_call_errors_total", stats_->call_errors);
  out->Family("agor_logins_total", "counter",
              "Logins (`authentication` create, both transports) by result: ok, failed (bad "
              "credentials), limited (refused by the brute-force bounds).");
  out->Sample("agor_logins_total", {{"result", "ok"}}, stats_->logins_ok);
  out->Sample("agor_logins_total", {{"result", "failed"}}, stats_->logins_failed);
  out->Sample("agor_logins_total", {{"result", "limited"}}, stats_->logins_limited);
  const char* name = "agor_socketio_call_duration_seconds";
  out->Family(name, "histogram",
              "Socket.IO Feathers calls from arrival to acknowledgement (after their commit), "
              "by method.");
  for (size_t m = 0; m < kCallMethods; ++m) {
    const LatencyHistogram& h = stats_->call_latency[m];
    if (h.count() > 0) out->Histogram(name, {{"method", kCallMethodNames[m]}}, h);
  }
}

void MetricsPage::Storage(MetricsText* out) const {
  out->Family("agor_commits_total", "counter",
              "Group commits run by the event loop (one commit holds the writes of a loop turn).");
  out->Sample("agor_commits_total", stats_->commits);
  const char* name = "agor_sqlite_commit_duration_seconds";
  out->Family(name, "histogram", "Time of each SQLite COMMIT of the store.");
  out->Histogram(name, {}, stats_->commit_latency);
}

// Counted at the scrape: a task's status changes on many paths, a COUNT cannot miss one.
void MetricsPage::Tasks(MetricsText* out) const {
  const Field* status = FindService("tasks")->FindField("status");
  out->Family("agor_tasks", "gauge", "Tasks in the store by status.");
  for (const char* value : status->choices) {
    Json page;
    Status s = store_->Find("tasks", Json{{"status", value}, {"$limit", 0}}, &page);
    if (!s.ok()) {
      Log(LogLevel::kWarn, "metrics: counting tasks failed: " + s.message());
      continue;
    }
    out->Sample("agor_tasks", {{"status", value}}, page.value("total", int64_t{0}));
  }
  out->Family("agor_tasks_reclaimed_total", "counter",
              "Tasks of dead nodes (their lease expired) this node marked stopped.");
  out->Sample("agor_tasks_reclaimed_total", stats_->reclaimed);
}

}  // namespace agor
