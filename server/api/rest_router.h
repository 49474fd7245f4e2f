// RestRouter: Feathers REST conventions over HTTP, onto the Dispatcher.
//
//   GET /x -> find(query)      GET /x/:id -> get      POST /x -> create (201)
//   PUT /x/:id -> update       PATCH /x/:id -> patch  DELETE /x/:id -> remove
//   PUT/PATCH/DELETE /x -> 405 "Can not <m> multiple entries"
//   GET /health -> {status, version, uptime_s}
//   GET /metrics -> Prometheus text, written by the page the node sets (404 without one)
//
// Bodies must be JSON (400 naming the parse error otherwise); query strings use the nested
// `qs` syntax (`$sort[created_at]=-1`). Every error is Feathers error JSON with its status.
//
// Thread-safety: none; called on the daemon's event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/stats.h"
#include "server/api/dispatcher.h"
#include "server/wire/http_types.h"

namespace agor {

class RestRouter {
 public:
  // `dispatcher`, `clock` and `stats` are borrowed and must outlive the router.
  RestRouter(Dispatcher* dispatcher, Clock* clock, ServerStats* stats)
      : dispatcher_(dispatcher), clock_(clock), stats_(stats) {}

  void Handle(const HttpRequest& req, HttpResponse* res);
  // The text of GET /metrics: the node's, which sees the layers this one does not.
  void SetMetricsPage(std::function<std::string()> render) { metrics_ = std::move(render); }

 private:
  Status Route(const HttpRequest& req, HttpResponse* res);
  Status BuildCall(const HttpRequest& req, const std::string& service, const std::string& id,
                   bool has_id, ServiceCall* call, int* ok_status);
  void Health(HttpResponse* res);
  Status Metrics(HttpResponse* res);

  Dispatcher* dispatcher_;
  Clock* clock_;
  ServerStats* stats_;
  std::function<std::string()> metrics_;
};

}  // namespace agor
