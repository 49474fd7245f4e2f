// ServiceCall and Services: one Feathers service call (method, path, id, data, query, and who
// makes it), whichever transport carried it, and the interface that answers it. The transports
// (REST in server/api, Socket.IO in server/realtime) see only this interface; server/api's
// Dispatcher implements it over the store, and the node hands it to both.
//
// Identity: every call carries its Caller, set by the transport from the credentials the
// connection or request presented (server/api/authenticator.h decides them). A call without a
// user may only reach `authentication`; everything else answers NotAuthenticated (401).
//
// Answers may be asynchronous: hashing or verifying a password runs on a worker thread, so
// `Call` with a Done answers later, on the event loop, exactly once. The synchronous `Call`
// stays for callers that know their call never waits (tests, the agents' own writes).
//
// Thread-safety: implementations run on the daemon's event loop; Done runs there too.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"

namespace agor {

// Who makes a call. Plain data: the user's role and board rights are looked up at each
// check (store/access_policy.h), so a change of role takes effect at once for every caller.
struct Caller {
  std::string user_id;        // "" = not authenticated
  std::string credential_id;  // the JWT's jti, or the API key's id ("" when none)
  bool api_key = false;       // authenticated with an API key (no expiry, no jti)
  int64_t expires_ms = 0;     // when the credential stops being valid (0: never, API keys)
  int64_t issued_ms = 0;      // the JWT's iat (0: API keys); with jti and expiry it re-makes
                              // the token, which logout answers with
  std::string address;        // the peer's IP address as text (login rate limits), "" unknown

  bool authenticated() const { return !user_id.empty(); }
};

struct ServiceCall {
  std::string method;  // find | get | create | update | patch | remove
  std::string path;    // "boards"
  Json id;             // string, number or null
  Json data;           // body for create/update/patch
  Json query;          // Feathers query object ({} when none)
  Caller caller;       // who makes the call
};

class Services {
 public:
  // The answer of an asynchronous call: its status, the result (record or page) and, when the
  // result is a record a write stored as is, its JSON text ("" otherwise).
  using Done = std::function<void(const Status& status, Json result, std::string result_json)>;

  virtual ~Services() = default;
  // Runs `call`; on success `result` holds the record or page. When the answer is a record a
  // write stored as is, `result_json` (optional) gets its JSON text, already made by the store.
  // A call that would have to wait (a password hash) answers Unavailable here: use the
  // asynchronous form for calls from the outside.
  virtual Status Call(const ServiceCall& call, Json* result, std::string* result_json) = 0;
  Status Call(const ServiceCall& call, Json* result) { return Call(call, result, nullptr); }
  // Runs `call` and answers through `done`, now or on a later turn of the loop. The default
  // answers at once through the synchronous form.
  virtual void Call(const ServiceCall& call, Done done) {
    Json result;
    std::string json;
    Status s = Call(call, &result, &json);
    done(s, std::move(result), std::move(json));
  }
  // True when `path` names a service (REST answers 404 "Path ... not found" otherwise).
  virtual bool HasService(const std::string& path) const = 0;
};

// Turns a credential a client presents (a JWT access token or an `agor_sk_` API key) into
// its Caller: NotAuthenticated (401, Feathers' messages: "jwt expired" with data.name
// "TokenExpiredError", "Invalid authentication information" ...) when it is refused, revoked,
// or its user no longer exists. The api layer's Authenticator implements it; the Socket.IO
// layer uses it for the CONNECT auth payload, the handshake's Authorization header and the
// accessToken a `create authentication` answered with.
class CredentialResolver {
 public:
  virtual ~CredentialResolver() = default;
  virtual Status Resolve(const std::string& credential, Caller* caller) = 0;
};

}  // namespace agor
