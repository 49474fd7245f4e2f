// Dispatcher: the Services of the daemon, mapped onto the store's services.
//
// Paths are service names ("boards"), the read-only "events" (the event log) and "activity"
// (the feed: find and get, Store::FindActivity), and routes on
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
// Actor: every write a call makes (the record routes' too) is the caller's
// (Store::ActorScope), so its events record who made them.
//
// Identity and privacy: `authentication` goes to the Authenticator (asynchronous); every other
// call needs a current user (AccessRules::CheckCaller) and passes AccessRules: finds read as
// the caller sees (Store::Find with a viewer, totals too), gets of unseen records answer as
// missing ones, writes are checked before anything is written, and record routes need write
// access to their session's board. `users` writes carrying `password` (>= 8 characters, never
// echoed) hash it on the PasswordHasher's workers, so they answer only through the
// asynchronous Call (the synchronous one answers Unavailable); a user changing their own
// password proves the current one (`current_password`) and their other tokens are revoked.
// `api-keys` create answers the record plus its `key`, shown this once.
//
// Thread-safety: none; runs on the daemon's event loop with the Store it borrows.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/stats.h"
#include "base/status.h"
#include "server/api/access_rules.h"
#include "server/wire/service_call.h"
#include "store/store.h"

namespace agor {

class Authenticator;
class PasswordHasher;

class Dispatcher : public Services {
 public:
  // A route on one record: `create` on "<service>/<id>/<action>" calls it with the full id
  // (a prefix resolved as the caller sees it) and the caller (already allowed: write access to
  // the session's board).
  using RecordRoute = std::function<Status(const std::string& id, const Json& data,
                                           const Caller& caller, Json* result)>;

  // `store` and `clock` are borrowed and must outlive the dispatcher.
  explicit Dispatcher(Store* store, Clock* clock = SystemClock())
      : store_(store), clock_(clock), rules_(store, clock) {}

  // The `authentication` service and the hasher of `users` passwords (the node's; borrowed,
  // destroyed after the dispatcher's last asynchronous answer). Without them `authentication`
  // is no service and password writes answer Unavailable.
  // Logins are counted in `stats` (ok, failed, limited) when it is given.
  void SetAuthentication(Authenticator* authenticator, PasswordHasher* hasher,
                         ServerStats* stats = nullptr) {
    authenticator_ = authenticator;
    hasher_ = hasher;
    stats_ = stats;
  }
  const AccessRules& rules() const { return rules_; }

  // Registers "<service>/<id>/<action>" (create only); a later registration replaces it.
  void AddRecordRoute(const std::string& service, const std::string& action, RecordRoute route);

  // Runs before each create/update/patch/remove of a service, with the full id (a prefix
  // resolved as the caller sees it; "" for create); a refusal is the call's answer and nothing is
  // written. How other layers add what this one cannot know (the node: a repo's local_path on disk;
  // stopping the agents of a session or board being removed, before it is).
  using WriteCheck = std::function<Status(const ServiceCall& call, const std::string& id)>;
  void AddWriteCheck(WriteCheck check) { write_checks_.push_back(std::move(check)); }

  // A service another layer answers (the node wires `presence`, which lives in the real-time
  // layer this one may not know): calls to `path` that pass CheckCaller go to it as they are.
  using ExternalService = std::function<Status(const ServiceCall& call, Json* result)>;
  void AddService(const std::string& path, ExternalService service) {
    external_[path] = std::move(service);
  }

  Status Call(const ServiceCall& call, Json* result, std::string* result_json) override;
  Status Call(const ServiceCall& call, Json* result) { return Call(call, result, nullptr); }
  void Call(const ServiceCall& call, Done done) override;
  bool HasService(const std::string& path) const override;

 private:
  Status Route(const ServiceCall& call, Json* result, std::string* result_json);
  Status RouteService(const ServiceCall& call, Json* result, std::string* result_json);
  Status CallRoute(const ServiceCall& call, const RecordRoute& route, const std::string& id,
                   Json* result);
  const RecordRoute* FindRoute(const std::string& path, std::string* id) const;
  Status Create(const ServiceCall& call, Json* result, std::string* result_json);
  Status CreateApiKey(const ServiceCall& call, Json* result);
  Status CallWithId(const ServiceCall& call, const std::string& id, Json* result);
  Status CallEvents(const ServiceCall& call, Json* result);
  Status CallActivity(const ServiceCall& call, Json* result);
  Status CheckWrite(const ServiceCall& call, const std::string& id, Json* server_fields) const;
  void RouteAsync(const ServiceCall& call, const Done& done);
  void Login(const ServiceCall& call, const Done& done);
  void PasswordWrite(const ServiceCall& call, const Done& done);
  void ChangePassword(const ServiceCall& call, const std::string& user_id, const Done& done);
  void StorePassword(const ServiceCall& call, const std::string& user_id, std::string hash,
                     const Done& done);

  Store* store_;
  Clock* clock_;
  AccessRules rules_;
  Authenticator* authenticator_ = nullptr;
  PasswordHasher* hasher_ = nullptr;
  ServerStats* stats_ = nullptr;
  std::map<std::pair<std::string, std::string>, RecordRoute> routes_;  // (service, action)
  std::vector<WriteCheck> write_checks_;
  std::map<std::string, ExternalService> external_;
};

}  // namespace agor
