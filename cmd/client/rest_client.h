// RestClient: the CLI's HTTP client for agor's Feathers-style REST API, over cpp-httplib.
//
// Contract:
// - One RestClient talks to one base URL (`http://host[:port][/prefix]`; plain http only, https
//   is refused by ParseBaseUrl). Requests carry and expect JSON.
// - Every call answers a Status and, when ok, the parsed JSON body in *result.
//   - a 2xx answer with a JSON body (or an empty one, read as null) is ok;
//   - a non-2xx answer becomes Status::FromJson(body): the server's Feathers error, so the CLI
//     prints the server's own message. A non-JSON error body becomes GeneralError naming the
//     HTTP status;
//   - a 401 answer becomes NotAuthenticated with IsNotAuthenticated() true, the message
//     "not logged in to <url>: run 'agor login' or set AGOR_TOKEN (<server's message>)" and
//     data {not_authenticated: <url>, reason: <server's message>, data: <server's data>};
//   - a transport failure (refused, timed out, reset) becomes Unavailable with
//     IsUnreachable() true and the message "cannot reach agor at <url>: is 'agor serve'
//     running?".
// - Callers pass raw path segments through PathJoin (which percent-encodes them) and raw query
//   values (encoded here); nothing is encoded twice.
// - With base.token set, every request carries `Authorization: Bearer <token>`.
// - TCP_NODELAY is on (without it every request stalls ~40 ms on delayed ACKs); connect times
//   out after 5 s, reads and writes after 10 s.
//
// Thread-safety: one RestClient per thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace httplib {
class Client;
}

namespace agor {

// A parsed base URL. `text` is its normalized form ("http://127.0.0.1:3030"), used in messages.
struct BaseUrl {
  std::string host;  // without IPv6 brackets
  int port = 80;
  std::string prefix;  // "" or "/some/path" without a trailing slash
  std::string text;
  // The credential sent with every request and Socket.IO CONNECT (cmd/credentials.h sets it):
  // a JWT or an agor_sk_ API key; "" sends none. ParseBaseUrl leaves it empty.
  std::string token;
};

// The default daemon address, used when neither --url nor AGOR_URL is set.
inline constexpr const char* kDefaultUrl = "http://127.0.0.1:3030";

// Parses "http://host[:port][/prefix]" (host may be "[v6addr]"). BadRequest names the problem.
Status ParseBaseUrl(const std::string& url, BaseUrl* out);

// The URL to use: `flag` when non-empty, else $AGOR_URL when set and non-empty, else the default.
std::string ChooseUrl(const std::string& flag);

// Percent-encodes every byte outside RFC 3986's unreserved set and `keep`.
std::string UrlEncode(const std::string& text, const std::string& keep = "");

// "/boards" + "a b" -> "/boards/a%20b". Each segment is encoded, so ids cannot add segments.
std::string PathJoin(const std::string& service, const std::string& id);

// Query parameters in order; keys may hold Feathers' "$limit" / "$sort[field]" syntax.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "?k=v&k2=v2" (empty when `params` is): values fully encoded, keys keep `$[]`.
std::string EncodeQuery(const QueryParams& params);

// True for the Status a transport failure produces (the CLI exits 3 on it).
bool IsUnreachable(const Status& status);
// The Status of a 401 from `base` (see the contract above); `reason` is the server's message.
Status NotLoggedIn(const BaseUrl& base, const std::string& reason, Json server_data = nullptr);
// True for the Status a 401 answer produces (the CLI exits 4 on it).
bool IsNotAuthenticated(const Status& status);
// The server's own message of such a Status ("Invalid login", "jwt expired").
std::string NotAuthenticatedReason(const Status& status);

class RestClient {
 public:
  explicit RestClient(BaseUrl base);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  const BaseUrl& base() const { return base_; }

  Status Get(const std::string& path, const QueryParams& query, Json* result);
  Status Post(const std::string& path, const Json& body, Json* result);
  Status Put(const std::string& path, const Json& body, Json* result);
  Status Patch(const std::string& path, const Json& body, Json* result);
  Status Delete(const std::string& path, Json* result);

  // The one request path behind the verbs above; `body` may be null (no body sent).
  Status Send(const std::string& method, const std::string& path, const QueryParams& query,
              const Json* body, Json* result);

 private:
  BaseUrl base_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace agor
