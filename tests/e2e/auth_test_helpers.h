// Helpers of the identity e2e tests: the first start's admin-credentials file, and a REST
// client that presents one credential (a JWT or an API key) the way the issue allows
// (Authorization: Bearer, or X-API-Key) and checks each answer's status.
#pragma once

#include <httplib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "base/json.h"
#include "base/status.h"

namespace agor::test {

// The admin-credentials JSON written beside `db_path` ({email, password, api_key, url}).
inline Json ReadAdminCredentials(const std::string& db_path) {
  std::string path = db_path.substr(0, db_path.rfind('/')) + "/admin-credentials";
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  Json creds;
  REQUIRE(ParseJson(text.str(), &creds).ok());
  return creds;
}

class AuthClient {
 public:
  // `credential` "" sends none; `api_key_header` sends it as X-API-Key instead of Bearer.
  AuthClient(int port, std::string credential, bool api_key_header = false)
      : http_("127.0.0.1", port), credential_(std::move(credential)), key_(api_key_header) {
    http_.set_tcp_nodelay(true);
  }

  // One request; REQUIREs status `want` and returns the parsed body (null when empty).
  Json Call(const std::string& method, const std::string& path, const Json& body, int want) {
    httplib::Headers headers;
    if (!credential_.empty()) {
      if (key_)
        headers.emplace("X-API-Key", credential_);
      else
        headers.emplace("Authorization", "Bearer " + credential_);
    }
    std::string text = body.is_null() ? "" : body.dump();
    httplib::Result r;
    if (method == "GET") r = http_.Get(path.c_str(), headers);
    if (method == "POST") r = http_.Post(path.c_str(), headers, text, "application/json");
    if (method == "PATCH") r = http_.Patch(path.c_str(), headers, text, "application/json");
    if (method == "DELETE") r = http_.Delete(path.c_str(), headers);
    REQUIRE(r);
    INFO(method << " " << path << " -> " << r->status << " " << r->body);
    REQUIRE(r->status == want);
    Json out;
    if (!r->body.empty()) REQUIRE(ParseJson(r->body, &out).ok());
    return out;
  }
  Json Get(const std::string& path, int want = 200) { return Call("GET", path, nullptr, want); }
  Json Post(const std::string& path, const Json& body, int want = 201) {
    return Call("POST", path, body, want);
  }
  Json Patch(const std::string& path, const Json& body, int want = 200) {
    return Call("PATCH", path, body, want);
  }
  Json Delete(const std::string& path, int want = 200) {
    return Call("DELETE", path, nullptr, want);
  }

 private:
  httplib::Client http_;
  std::string credential_;
  bool key_;
};

// A local login's access token (REQUIREs success).
inline std::string Login(int port, const std::string& email, const std::string& password) {
  AuthClient anonymous(port, "");
  Json answer = anonymous.Post("/authentication",
                               {{"strategy", "local"}, {"email", email}, {"password", password}});
  return answer["accessToken"].get<std::string>();
}

}  // namespace agor::test
