// Dispatcher: the Services of the daemon, mapped onto the store's services.
//
// Paths are service names ("boards"), the read-only "events" (the event log), and routes on
// one record registered by other layers (`sessions/<id>/prompt`, `sessions/<id>/stop`: create
// only; the agents register them through the node, so this layer does not know them); the
// methods are find/get/create/update/patch/remove.
// `create` on tasks is MethodNotAllowed: tasks are created by prompts (the agents write them
// through the store, not through here), so a task always has a run behind it.
// Unknown services are NotFound ("Service 'x' not found"), unknown methods MethodNotAllowed,
// and update/patch/remove without an id MethodNotAllowed ("Can not patch multiple entries"),
// as Feathers answers them. Call never throws: an exception from below is logged and answered
// as a GeneralError (500).
//
// Thread-safety: none; runs on the daemon's event loop with the Store it borrows.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/wire/service_call.h"
#include "store/store.h"

namespace agor {

class Dispatcher : public Services {
 public:
  // A route on one record: `create` on "<service>/<id>/<action>" calls it with the id as sent.
  using RecordRoute = std::function<Status(const std::string& id, const Json& data, Json* result)>;

  // `store` is borrowed and must outlive the dispatcher.
  explicit Dispatcher(Store* store) : store_(store) {}

  // Registers "<service>/<id>/<action>" (create only); a later registration replaces it.
  void AddRecordRoute(const std::string& service, const std::string& action, RecordRoute route);

  // Runs before each create/update/patch/remove of a service, with the id as sent ("" for
  // create); a refusal is the call's answer and nothing is written. How other layers add
  // what this one cannot know (the node: a repo's local_path on disk; stopping the agents of
  // a session or board being removed, before it is).
  using WriteCheck = std::function<Status(const ServiceCall& call, const std::string& id)>;
  void AddWriteCheck(WriteCheck check) { write_checks_.push_back(std::move(check)); }

  using Services::Call;
  Status Call(const ServiceCall& call, Json* result, std::string* result_json) override;
  bool HasService(const std::string& path) const override;

 private:
  Status Route(const ServiceCall& call, Json* result, std::string* result_json);
  const RecordRoute* FindRoute(const std::string& path, std::string* id) const;
  Status CallWithId(const ServiceCall& call, const std::string& id, Json* result);
  Status CallEvents(const ServiceCall& call, Json* result);
  Status CheckWrite(const ServiceCall& call, const std::string& id) const;

  Store* store_;
  std::map<std::pair<std::string, std::string>, RecordRoute> routes_;  // (service, action)
  std::vector<WriteCheck> write_checks_;
};

}  // namespace agor
