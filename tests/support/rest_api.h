// RestApi: a blocking REST client of one daemon for end-to-end tests. Every call REQUIREs the
// status it expects and returns the parsed JSON body.
#pragma once

#include <httplib.h>

#include <string>

#include "base/status.h"

namespace agor::test {

class RestApi {
 public:
  explicit RestApi(int port);
  explicit RestApi(const std::string& url);  // "http://127.0.0.1:<port>"

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
