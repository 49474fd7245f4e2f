// Dispatcher: one Feathers service call (method, path, id, data, query), whichever transport
// carried it (REST today, Socket.IO next), mapped onto the store's services.
//
// Paths are service names ("boards"), the read-only "events" (the event log), and the custom
// routes `sessions/<id>/prompt` and `sessions/<id>/stop` (create only); the methods are
// find/get/create/update/patch/remove.
// Unknown services are NotFound ("Service 'x' not found"), unknown methods MethodNotAllowed,
// and update/patch/remove without an id MethodNotAllowed ("Can not patch multiple entries"),
// as Feathers answers them.
//
// Thread-safety: none; runs on the daemon's event loop with the Store it borrows.
#pragma once

#include <string>

#include "store/status.h"
#include "store/store.h"

namespace agor {

struct ServiceCall {
  std::string method;  // find | get | create | update | patch | remove
  std::string path;    // "boards"
  Json id;             // string, number or null
  Json data;           // body for create/update/patch
  Json query;          // Feathers query object ({} when none)
};

class TaskManager;

class Dispatcher {
 public:
  // `store` and `tasks` are borrowed; without `tasks` the prompt/stop routes are NotFound.
  explicit Dispatcher(Store* store, TaskManager* tasks = nullptr) : store_(store), tasks_(tasks) {}

  // Runs `call`; on success `result` holds the record or page. When the answer is a record a
  // write stored as is, `result_json` (optional) gets its JSON text, already made by the store.
  Status Call(const ServiceCall& call, Json* result, std::string* result_json = nullptr);
  // True when `path` names a service (REST answers 404 "Path ... not found" otherwise).
  bool HasService(const std::string& path) const;

 private:
  Status CallWithId(const ServiceCall& call, const std::string& id, Json* result);
  Status CallEvents(const ServiceCall& call, Json* result);
  Status CallTaskRoute(const ServiceCall& call, Json* result);

  Store* store_;
  TaskManager* tasks_;
};

}  // namespace agor
