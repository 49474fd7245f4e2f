// RestApi: a blocking REST client of one daemon for end-to-end tests. Every call REQUIREs the
// status it expects and returns the parsed JSON body. Built from a Daemon (or with a token) it
// presents `Authorization: Bearer <token>` on every request; from a bare port or URL it sends
// no credentials (for tests of what an unauthenticated client gets).
#pragma once

#include <httplib.h>

#include <string>

#include "base/status.h"

namespace agor::test {

class Daemon;

class RestApi {
 public:
  explicit RestApi(const Daemon& daemon);  // as the daemon's admin (its API key)
  explicit RestApi(int port, const std::string& token = "");
  // url: "http://127.0.0.1:<port>"; token: a JWT or API key, "" for none.
  explicit RestApi(const std::string& url, const std::string& token = "");

  Json Post(const std::string& path, const Json& body, int want = 201);
  Json Patch(const std::string& path, const Json& body, int want = 200);
  Json Get(const std::string& path, int want = 200);
  Json Delete(const std::string& path, int want = 200);

  // A new board's id.
  std::string Board();
  // A session of `tool` on a new board (`command` is the command tool's argv).
  std::string Session(const std::string& tool, const Json& command = nullptr);

  httplib::Client& http() { return http_; }  // for answers that are not JSON

 private:
  static Json Check(const httplib::Result& r, const std::string& path, int want);
  httplib::Client http_;
};

}  // namespace agor::test
