// ServiceCall and Services: one Feathers service call (method, path, id, data, query),
// whichever transport carried it, and the interface that answers it. The transports (REST in
// server/api, Socket.IO in server/realtime) see only this interface; server/api's Dispatcher
// implements it over the store, and the node hands it to both.
//
// Thread-safety: implementations run on the daemon's event loop.
#pragma once

#include <string>

#include "base/status.h"

namespace agor {

struct ServiceCall {
  std::string method;  // find | get | create | update | patch | remove
  std::string path;    // "boards"
  Json id;             // string, number or null
  Json data;           // body for create/update/patch
  Json query;          // Feathers query object ({} when none)
};

class Services {
 public:
  virtual ~Services() = default;
  // Runs `call`; on success `result` holds the record or page. When the answer is a record a
  // write stored as is, `result_json` (optional) gets its JSON text, already made by the store.
  virtual Status Call(const ServiceCall& call, Json* result, std::string* result_json) = 0;
  Status Call(const ServiceCall& call, Json* result) { return Call(call, result, nullptr); }
  // True when `path` names a service (REST answers 404 "Path ... not found" otherwise).
  virtual bool HasService(const std::string& path) const = 0;
};

}  // namespace agor
