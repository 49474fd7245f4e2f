// AccessRules: the api layer's per-call decisions — who may call at all, what a read returns
// and which writes go through — every one answered by the store's AccessPolicy
// (store/access_policy.h), the one privacy rule; nothing here restates it.
//
//   caller:  every call but `authentication` needs a user whose credential is current
//            (NotAuthenticated 401 otherwise; an expired token "jwt expired", data.name
//            "TokenExpiredError") and who still exists.
//   reads:   a record the caller may not see answers NotFound with the very text a missing id
//            gets; `users` records lose `email` unless they are the caller's own or the caller
//            is an admin.
//   writes:  sessions/tasks/messages need write access to their board (both boards when a
//            session moves); boards: create by any member or admin (owner_id and created_by
//            set by the server), patch/update/remove by its owners; repos: members and admins;
//            users: admins, or oneself for name/emoji/password; api-keys: one's own only;
//            board-members: the board's owners; a `command` session (or a new agent_command):
//            admins only. Something seen but not writable is Forbidden (403); a target the
//            caller may not see is answered exactly as a missing one (404 for an id, the
//            store's 400 for a reference in the data).
//
// Thread-safety: none; the event loop's, with the Store it borrows.
#pragma once

#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "server/wire/service_call.h"
#include "store/store.h"

namespace agor {

class AccessRules {
 public:
  // Borrowed; both must outlive the rules.
  AccessRules(Store* store, Clock* clock) : store_(store), clock_(clock) {}

  // May `caller` make any call but `authentication`?
  Status CheckCaller(const Caller& caller) const;
  bool IsAdmin(const Caller& caller) const;

  // After a get of `service` `id` (as sent) found `record`: NotFound when it is not the
  // caller's to see, exactly as a missing id.
  Status CheckRead(const Caller& caller, const std::string& service, const std::string& id,
                   const Json& record) const;
  // Strips what the caller may not read from a record or a page of `service`.
  void Redact(const Caller& caller, const std::string& service, Json* record_or_page) const;

  // Before create (id "") / update / patch / remove of `call.path`. On create,
  // `server_fields` gets what the server sets (owner_id, created_by).
  Status CheckWrite(const ServiceCall& call, const std::string& id, Json* server_fields) const;
  // Before a route on one session (prompt, stop): write access to its board.
  Status CheckSessionRoute(const Caller& caller, const std::string& session_id) const;

 private:
  const AccessPolicy& policy() const { return store_->access(); }
  Status Target(const Caller& caller, const std::string& service, const std::string& id,
                Json* record) const;
  Status BoardWrite(const ServiceCall& call, const std::string& id, Json* server_fields) const;
  Status ContentWrite(const ServiceCall& call, const std::string& id, Json* server_fields) const;
  Status SessionChange(const ServiceCall& call, const Json& current) const;
  Status UserWrite(const ServiceCall& call, const std::string& id) const;
  Status MemberWrite(const ServiceCall& call, const std::string& id) const;
  Status KeyWrite(const ServiceCall& call, const std::string& id) const;
  Status NeedBoard(const Caller& caller, const std::string& board_id, BoardAccess need,
                   const Status& unseen) const;
  Status NeedSession(const Caller& caller, const std::string& session_id) const;

  Store* store_;
  Clock* clock_;
};

// What a missing record answers (the store's words), so an unseen one answers the same.
Status NoRecordStatus(const std::string& id);
// What a reference to a missing record in written data answers (the store's words).
Status NoReferenceStatus(const std::string& field, const std::string& service,
                         const std::string& id);

}  // namespace agor
