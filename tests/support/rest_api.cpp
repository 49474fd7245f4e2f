#include "tests/support/rest_api.h"

#include <catch2/catch.hpp>

#include "tests/support/daemon.h"

namespace agor::test {

RestApi::RestApi(int port, const std::string& token) : http_("127.0.0.1", port) {
  http_.set_tcp_nodelay(true);
  http_.set_read_timeout(10, 0);
  if (!token.empty()) http_.set_default_headers({{"Authorization", "Bearer " + token}});
}

RestApi::RestApi(const std::string& url, const std::string& token)
    : RestApi(std::stoi(url.substr(url.rfind(':') + 1)), token) {}

RestApi::RestApi(const Daemon& daemon) : RestApi(daemon.port(), daemon.token()) {}

Json RestApi::Check(const httplib::Result& r, const std::string& path, int want) {
  REQUIRE(r);
  INFO(path << " " << r->body);
  REQUIRE(r->status == want);
  return Json::parse(r->body);
}

Json RestApi::Post(const std::string& path, const Json& body, int want) {
  return Check(http_.Post(path.c_str(), body.dump(), "application/json"), path, want);
}

Json RestApi::Patch(const std::string& path, const Json& body, int want) {
  return Check(http_.Patch(path.c_str(), body.dump(), "application/json"), path, want);
}

Json RestApi::Get(const std::string& path, int want) {
  return Check(http_.Get(path.c_str()), path, want);
}

Json RestApi::Delete(const std::string& path, int want) {
  return Check(http_.Delete(path.c_str()), path, want);
}

std::string RestApi::Board() {
  return Post("/boards", {{"name", "b"}})["board_id"];
}

std::string RestApi::Session(const std::string& tool, const Json& command) {
  Json body{{"board_id", Board()}, {"agentic_tool", tool}};
  if (!command.is_null()) body["agent_command"] = command;
  return Post("/sessions", body)["session_id"];
}

}  // namespace agor::test
