#include "cmd/client/rest_client.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

namespace agor {
namespace {

BaseUrl MustParse(const std::string& url) {
  BaseUrl base;
  Status status = ParseBaseUrl(url, &base);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return base;
}

// An in-process HTTP server on an ephemeral loopback port, stopped on destruction.
class FakeServer {
 public:
  FakeServer() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Server& http() { return server_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// A loopback port nothing listens on: bound (never listened on), then released.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("ParseBaseUrl accepts http URLs and normalizes them", "[cmd][rest_client]") {
  CHECK(MustParse("http://127.0.0.1:3030").text == "http://127.0.0.1:3030");
  CHECK(MustParse("http://localhost").port == 80);
  CHECK(MustParse("http://localhost/").text == "http://localhost:80");
  BaseUrl v6 = MustParse("http://[::1]:8080/api/");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 8080);
  CHECK(v6.prefix == "/api");
  CHECK(v6.text == "http://[::1]:8080/api");
}

TEST_CASE("ParseBaseUrl refuses what it cannot use", "[cmd][rest_client]") {
  BaseUrl base;
  for (const char* bad : {"https://host:1", "ftp://x", "127.0.0.1:3030", "http://", "http://:80",
                          "http://h:", "http://h:0", "http://h:70000", "http://h:12a",
                          "http://[::1", "http://[::1]x", "http://a:1:2"}) {
    INFO(bad);
    Status status = ParseBaseUrl(bad, &base);
    CHECK(status.code() == Code::kBadRequest);
  }
  CHECK(ParseBaseUrl("https://h", &base).message().find("https is not supported") == 0);
}

TEST_CASE("ChooseUrl prefers the flag, then AGOR_URL, then the default", "[cmd][rest_client]") {
  setenv("AGOR_URL", "http://env:1", 1);
  CHECK(ChooseUrl("http://flag:2") == "http://flag:2");
  CHECK(ChooseUrl("") == "http://env:1");
  setenv("AGOR_URL", "", 1);
  CHECK(ChooseUrl("") == kDefaultUrl);
  unsetenv("AGOR_URL");
  CHECK(ChooseUrl("") == "http://127.0.0.1:3030");
}

TEST_CASE("UrlEncode, PathJoin and EncodeQuery percent-encode", "[cmd][rest_client]") {
  CHECK(UrlEncode("aZ09-._~") == "aZ09-._~");
  CHECK(UrlEncode("a b/c?d&e=f%") == "a%20b%2Fc%3Fd%26e%3Df%25");
  CHECK(UrlEncode("\xc3\xa9") == "%C3%A9");
  CHECK(UrlEncode("$x[y]", "$[]") == "$x[y]");
  CHECK(PathJoin("boards", "../x y") == "/boards/..%2Fx%20y");
  CHECK(EncodeQuery({}).empty());
  CHECK(EncodeQuery({{"$limit", "5"}, {"$sort[name]", "-1"}, {"name", "a&b=c"}}) ==
        "?$limit=5&$sort[name]=-1&name=a%26b%3Dc");
}

TEST_CASE("RestClient sends JSON and reads JSON answers", "[cmd][rest_client]") {
  FakeServer server;
  std::string seen_path, seen_query, seen_body, seen_type;
  server.http().Patch(R"(/api/boards/(.*))",
                      [&](const httplib::Request& req, httplib::Response& res) {
                        seen_path = req.matches[1];
                        seen_query = req.get_param_value("q");
                        seen_body = req.body;
                        seen_type = req.get_header_value("Content-Type");
                        res.set_content(R"({"board_id":"b1","name":"x"})", "application/json");
                      });
  RestClient client(MustParse(server.url() + "/api"));
  Json result;
  Json body = {{"name", "x"}};
  Status status = client.Send("PATCH", PathJoin("boards", "a b"), {{"q", "1&2"}}, &body, &result);
  REQUIRE(status.ok());
  CHECK(result["board_id"] == "b1");
  CHECK(seen_path == "a b");
  CHECK(seen_query == "1&2");
  CHECK(seen_body == R"({"name":"x"})");
  CHECK(seen_type == "application/json");
}

TEST_CASE("RestClient turns error answers into Statuses", "[cmd][rest_client]") {
  FakeServer server;
  server.http().Get("/boards/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"name":"NotFound","message":"No record found for id 'missing'",)"
                    R"("code":404,"className":"not-found"})",
                    "application/json");
  });
  server.http().Get("/html", [](const httplib::Request&, httplib::Response& res) {
    res.status = 502;
    res.set_content("<html>bad gateway</html>", "text/html");
  });
  server.http().Get("/garbage", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("not json", "text/plain");
  });
  server.http().Delete("/empty",
                       [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  RestClient client(MustParse(server.url()));
  Json result;
  Status status = client.Get("/boards/missing", {}, &result);
  CHECK(status.code() == Code::kNotFound);
  CHECK(status.message() == "No record found for id 'missing'");
  CHECK_FALSE(IsUnreachable(status));
  CHECK(client.Get("/html", {}, &result).message() == "the server answered HTTP 502");
  CHECK(client.Get("/garbage", {}, &result).code() == Code::kGeneralError);
  REQUIRE(client.Delete("/empty", &result).ok());
  CHECK(result.is_null());
}

TEST_CASE("RestClient reports a closed port as unreachable", "[cmd][rest_client]") {
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  RestClient client(MustParse(url));
  Json result;
  Status status = client.Get("/boards", {}, &result);
  CHECK(IsUnreachable(status));
  CHECK(status.message() == "cannot reach agor at " + url + ": is 'agor serve' running?");
  CHECK_FALSE(IsUnreachable(Status::Unavailable("draining")));
}

}  // namespace agor

namespace agor {

TEST_CASE("RestClient sends its token as a Bearer header and words a 401 as how to log in",
          "[cmd][rest_client][credentials]") {
  FakeServer server;
  std::string seen_auth = "unset";
  server.http().Get("/boards", [&](const httplib::Request& req, httplib::Response& res) {
    seen_auth = req.get_header_value("Authorization");
    res.status = 401;
    res.set_content(R"({"name":"NotAuthenticated","message":"jwt expired","code":401,)"
                    R"("className":"not-authenticated","data":{"name":"TokenExpiredError"}})",
                    "application/json");
  });
  BaseUrl base = MustParse(server.url());
  Json result;
  Status anonymous = RestClient(base).Get("/boards", {}, &result);
  CHECK(seen_auth.empty());
  base.token = "agor_sk_abc";
  Status status = RestClient(base).Get("/boards", {}, &result);
  CHECK(seen_auth == "Bearer agor_sk_abc");
  CHECK(status.code() == Code::kNotAuthenticated);
  CHECK(IsNotAuthenticated(status));
  CHECK(IsNotAuthenticated(anonymous));
  CHECK(status.message() ==
        "not logged in to " + server.url() + ": run 'agor login' or set AGOR_TOKEN (jwt expired)");
  CHECK(NotAuthenticatedReason(status) == "jwt expired");
  CHECK(status.data()["data"]["name"] == "TokenExpiredError");
  CHECK_FALSE(IsNotAuthenticated(Status(Code::kNotAuthenticated, "over a socket")));
}

}  // namespace agor
