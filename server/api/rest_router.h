// RestRouter: Feathers REST conventions over HTTP, onto the Dispatcher.
//
//   GET /x -> find(query)      GET /x/:id -> get      POST /x -> create (201)
//   PUT /x/:id -> update       PATCH /x/:id -> patch  DELETE /x/:id -> remove
//   PUT/PATCH/DELETE /x -> 405 "Can not <m> multiple entries"
//   GET /health -> {status, version, uptime_s}   (open: load balancers)
//   GET /metrics -> Prometheus text, written by the page the node sets (404 without one);
//                   open on a loopback bind, else an admin's credential (401 / 403)
//   GET /, /index.html, /assets/* -> the board page, compiled in (server/api/page_route.h)
//
// Credentials: `Authorization: Bearer <jwt or agor_sk_ key>` or `X-API-Key: <key>`, resolved
// by the CredentialResolver into the call's Caller (with the peer's address, which the login
// limits count). A credential that is refused answers 401 at once, except on
// `POST /authentication`, which logs in with its body alone (as Feathers does). Other
// Authorization schemes are ignored (the call then has no user and the dispatcher answers 401).
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
  using Reply = std::function<void(const HttpResponse& response)>;

  // `dispatcher`, `clock` and `stats` are borrowed and must outlive the router.
  RestRouter(Dispatcher* dispatcher, Clock* clock, ServerStats* stats)
      : dispatcher_(dispatcher), clock_(clock), stats_(stats) {}

  // Answers `req` through `reply`, exactly once, now or on a later turn of the loop (a login
  // waits for its hash).
  void Handle(const HttpRequest& req, Reply reply);
  // Who presents a credential (the Authenticator; borrowed). Without one no request has a
  // user, and every service but `authentication` answers 401.
  void SetCredentials(CredentialResolver* resolver) { resolver_ = resolver; }
  // The text of GET /metrics: the node's, which sees the layers this one does not. `open`:
  // served without credentials (a loopback bind); otherwise only to admins.
  void SetMetricsPage(std::function<std::string()> render, bool open = true) {
    metrics_ = std::move(render);
    metrics_open_ = open;
  }
  // Adds the node's fields to GET /health's {status, version, uptime_s} (the store's and the
  // broker's state); it may set "status". Unauthenticated: nothing secret goes there.
  void SetHealth(std::function<void(Json*)> add) { health_ = std::move(add); }

 private:
  void Route(const HttpRequest& req, const Reply& reply);
  Status BuildCall(const HttpRequest& req, const std::string& service, const std::string& id,
                   bool has_id, ServiceCall* call, int* ok_status);
  Status Authenticate(const HttpRequest& req, Caller* caller);
  void Health(HttpResponse* res);
  Status Metrics(const HttpRequest& req, HttpResponse* res);

  std::function<void(Json*)> health_;
  Dispatcher* dispatcher_;
  Clock* clock_;
  ServerStats* stats_;
  CredentialResolver* resolver_ = nullptr;
  std::function<std::string()> metrics_;
  bool metrics_open_ = true;
};

}  // namespace agor
