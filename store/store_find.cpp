// Store's reads of many records (see store.h): Feathers finds over a service's table or the
// event log, one COUNT and one page, and the same as one user sees them: the privacy rule's
// SQL form (store/access_policy.h) ANDed onto the query, so the total counts only what that
// user may see.
#include "store/find_page.h"
#include "store/store.h"

namespace agor {
namespace {

Status UnknownService(const std::string& service) {
  return Status::NotFound("Service '" + service + "' not found");
}

// The log's actor columns go out as one object after the record: `"actor": {"user_id",
// "agent"}` (null when empty), so the entries' other fields stay as they were.
Status NestActors(Status s, Json* page) {
  if (!s.ok()) return s;
  for (Json& entry : (*page)["data"]) {
    if (!entry.contains("actor_id") && !entry.contains("actor_agent")) continue;
    Json actor{{"user_id", entry.value("actor_id", Json())},
               {"agent", entry.value("actor_agent", Json())}};
    entry.erase("actor_id");
    entry.erase("actor_agent");
    entry["actor"] = std::move(actor);
  }
  return s;
}

}  // namespace

Status Store::Find(const std::string& service, const Json& query, Json* page) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  return FindIn(*schema, query, page);
}

Status Store::FindEvents(const Json& query, Json* page) {
  return NestActors(FindIn(EventsSchema(), query, page), page);
}

Status Store::Find(const std::string& service, const Json& query, Json* page,
                   const std::string& viewer_id) {
  const ServiceSchema* schema = FindService(service);
  if (!schema) return UnknownService(service);
  return FindIn(*schema, query, page, &viewer_id);
}

Status Store::FindEvents(const Json& query, Json* page, const std::string& viewer_id) {
  return NestActors(FindIn(EventsSchema(), query, page, &viewer_id), page);
}

namespace {

// ANDs the privacy rule's condition onto the query's: its parameters follow the query's.
void AddViewerFilter(const AccessPolicy& access, const std::string& viewer_id,
                     const std::string& service, SqlQuery* q) {
  std::vector<std::string> params;
  std::string filter = access.SqlFilter(viewer_id, service, &params);
  if (filter.empty()) return;
  q->where = (q->where.empty() ? " WHERE (" : q->where + " AND (") + filter + ")";
  for (auto& p : params) q->params.push_back(Json(std::move(p)));
}

}  // namespace

Status Store::FindIn(const ServiceSchema& schema_ref, const Json& query, Json* page,
                     const std::string* viewer_id) {
  const ServiceSchema* schema = &schema_ref;
  SqlQuery q;
  Status s = TranslateQuery(*schema, query, options_.limits, &q, session_->dialect());
  if (!s.ok()) return s;
  if (viewer_id) AddViewerFilter(access_, *viewer_id, schema->name, &q);
  return FindPage(session_.get(), *schema, q, page);
}

}  // namespace agor
