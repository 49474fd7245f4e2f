// End-to-end tests of who may connect to the real daemon: the connection limit
// (--max-connections, and running out of file descriptors below it), the Host check against
// DNS rebinding (--allowed-host), Origin headers with invalid bytes, the daemon's own origins,
// and the CORS preflight a browser sends before a JSON POST.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "base/utf8.h"
#include "tests/e2e/web_test_helpers.h"

namespace agor {
namespace {

using namespace web_test;

// `agor serve` started under a file limit of `nofile` (soft and hard: it cannot raise it),
// its log captured. Daemon cannot set a limit for its child, hence this launcher.
class LimitedDaemon {
 public:
  LimitedDaemon(std::vector<std::string> extra_args, rlim_t nofile) {
    std::vector<std::string> argv = {AGOR_BINARY, "serve", "--port",
                                     "0",         "--db",  dir_.path() + "/agor.db"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    int out[2], err[2];
    REQUIRE(pipe(out) == 0);
    REQUIRE(pipe(err) == 0);
    pid_ = fork();
    if (pid_ == 0) Exec(argv, nofile, out, err);
    close(out[1]);
    close(err[1]);
    err_reader_ = std::thread([this, fd = err[0]] { Drain(fd); });
    port_ = ReadPort(out[0]);
    close(out[0]);
  }

  ~LimitedDaemon() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    err_reader_.join();
  }

  int port() const { return port_; }
  std::string log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

  // Waits until the log (written after the answer, read by a thread) shows `word`.
  bool WaitForLog(const std::string& word, int timeout_ms) {
    for (int waited = 0; LogLines(word) == 0; waited += 10) {
      if (waited >= timeout_ms) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  // The lines of the log so far that contain `word`.
  int LogLines(const std::string& word) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (size_t at = 0; (at = log_.find(word, at)) != std::string::npos; at += word.size()) ++n;
    return n;
  }

 private:
  [[noreturn]] static void Exec(const std::vector<std::string>& argv, rlim_t nofile, int out[2],
                                int err[2]) {
    struct rlimit lim = {nofile, nofile};
    setrlimit(RLIMIT_NOFILE, &lim);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {out[0], out[1], err[0], err[1]}) close(fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }

  // Waits for "agor listening on http://127.0.0.1:PORT (db ...)".
  static int ReadPort(int fd) {
    std::string line;
    struct pollfd p = {fd, POLLIN, 0};
    while (line.find('\n') == std::string::npos) {
      REQUIRE(poll(&p, 1, 30000) > 0);
      char c[256];
      ssize_t n = read(fd, c, sizeof c);
      REQUIRE(n > 0);
      line.append(c, n);
    }
    size_t colon = line.find(':', line.find("http://") + 7);
    REQUIRE(colon != std::string::npos);
    return std::atoi(line.c_str() + colon + 1);
  }

  void Drain(int fd) {
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      log_.append(buf, n);
    }
    close(fd);
  }

  test::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::thread err_reader_;
  std::mutex mu_;
  std::string log_;
};

// A new connection's answer to GET /health: 200, or the refusal's status.
int Health(RawHttp* c, int port) {
  REQUIRE(c->Connect(port));
  REQUIRE(c->SendRaw(Get("/health")));
  Response r = Read(c);
  return r.status;
}

// A connection over the limit gets a Feathers 503 at once and is closed.
void CheckBusy(int port) {
  RawHttp extra;
  REQUIRE(extra.Connect(port));
  CheckRefused(&extra, 503, "Unavailable");
}

// After one held connection closes, a new one is served (once the daemon saw the close).
void CheckServedAgain(int port) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    RawHttp c;
    if (Health(&c, port) == 200) return;
    REQUIRE(c.WaitClosed(kTimeoutMs));
  }
  FAIL("no connection was served after one closed");
}

std::string Request(const std::string& method, const std::string& path,
                    const std::vector<std::string>& headers) {
  std::string out = method + " " + path + " HTTP/1.1\r\n";
  for (const auto& h : headers) out += h + "\r\n";
  return out + "\r\n";
}

Response Exchange(const Daemon& d, const std::string& request) {
  RawHttp c;
  Open(&c, d);
  REQUIRE(c.SendRaw(request));
  return Read(&c);
}

std::string WsUpgrade(const std::vector<std::string>& headers) {
  std::vector<std::string> all = {
      "Upgrade: websocket", "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"};
  all.insert(all.end(), headers.begin(), headers.end());
  return Request("GET", kWsTarget, all);
}

}  // namespace

TEST_CASE("connections past --max-connections are refused at once with 503", "[e2e][limits]") {
  Daemon d({"--max-connections", "3"});
  std::vector<std::unique_ptr<RawHttp>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawHttp>());
    REQUIRE(Health(held.back().get(), d.port()) == 200);
  }
  CheckBusy(d.port());
  CheckBusy(d.port());
  {
    INFO("a WebSocket upgrade over the limit is refused alike");
    RawWebSocket ws;
    CHECK(ws.Connect(d.port(), kWsTarget) == 503);
  }
  for (auto& c : held) {
    INFO("the connections within the limit are still served");
    REQUIRE(c->SendRaw(Get("/health")));
    CHECK(Read(c.get()).status == 200);
  }
  held.pop_back();
  CheckServedAgain(d.port());
}

TEST_CASE("out of file descriptors, a new connection is refused at once and the log stays quiet",
          "[e2e][limits]") {
  // A limit far above the 40 descriptors the process may open: accept(2) fails first.
  LimitedDaemon d({"--max-connections", "1000"}, 40);
  std::vector<std::unique_ptr<RawHttp>> held;
  for (;;) {
    REQUIRE(held.size() < 40);
    auto c = std::make_unique<RawHttp>();
    int status = Health(c.get(), d.port());
    if (status == 503) break;
    REQUIRE(status == 200);
    held.push_back(std::move(c));
  }
  REQUIRE(held.size() >= 3);
  for (int i = 0; i < 20; ++i) CheckBusy(d.port());
  INFO(d.log());
  CHECK(d.WaitForLog("out of file descriptors", kTimeoutMs));
  CHECK(d.LogLines("refused") <= 3);  // summed up, not a line per connection or per retry
  CHECK(d.LogLines("accept failed") == 0);
  held.front()->SendRaw(Get("/health"));
  CHECK(Read(held.front().get()).status == 200);
  held.pop_back();
  CheckServedAgain(d.port());
}

TEST_CASE("a Host other than the daemon's is refused with 403 on HTTP and WebSocket",
          "[e2e][limits]") {
  Daemon d({"--allowed-host", "agor.test"});
  const std::string port = std::to_string(d.port());
  for (std::string host : {std::string("localhost"), "localhost:" + port, "127.0.0.1:" + port,
                           "[::1]:" + port, "agor.test:" + port}) {
    INFO(host);
    CHECK(Exchange(d, Request("GET", "/boards", {d.AuthHeader(), "Host: " + host})).status == 200);
  }
  for (std::string host : {std::string("evil.example"), "evil.example:" + port,
                           "localhost:" + std::to_string(d.port() + 1), std::string("\xff\xfe")}) {
    INFO(host);
    RawHttp c;
    Open(&c, d);
    REQUIRE(c.SendRaw(Request("GET", "/boards", {d.AuthHeader(), "Host: " + host})));
    Response r = Read(&c);
    CHECK((r.status == 403 || r.status == 400));  // 400: a parser refusing the bytes first
    CHECK(IsValidUtf8(r.body));
    CHECK(r.json["code"] == r.status);
  }
  Response refused = Exchange(d, WsUpgrade({"Host: rebound.example:" + port}));
  CHECK(refused.status == 403);
  CHECK(refused.json["name"] == "Forbidden");
  CHECK(Exchange(d, WsUpgrade({"Host: localhost:" + port})).status == 101);
}

TEST_CASE("a daemon bound to a non-loopback address does not check the Host", "[e2e][limits]") {
  Daemon d({"--host", "0.0.0.0"});
  CHECK(
      Exchange(d, Request("GET", "/boards", {d.AuthHeader(), "Host: some.name.example"})).status ==
      200);
}

TEST_CASE("an Origin with invalid bytes is refused with a valid UTF-8 message", "[e2e][limits]") {
  Daemon d;
  for (std::string origin : {std::string("\xff"), std::string("http://localhost:5173\xff"),
                             std::string("http://a\x01\x7f.example")}) {
    INFO(Catch::Detail::stringify(origin));
    for (std::string request :
         {Request("GET", "/boards", {d.AuthHeader(), "Host: localhost", "Origin: " + origin}),
          WsUpgrade({"Host: localhost", "Origin: " + origin})}) {
      RawHttp c;
      Open(&c, d);
      REQUIRE(c.SendRaw(request));
      Response r = Read(&c);
      CHECK((r.status == 403 || r.status == 400));
      CHECK(IsValidUtf8(r.body));
      CHECK(r.json.is_object());
      CHECK(r.headers.count("access-control-allow-origin") == 0);
    }
  }
  CHECK(Exchange(d, Get("/health")).status == 200);  // and the daemon lives on
}

TEST_CASE("the daemon's own origins are always allowed", "[e2e][limits]") {
  Daemon d({"--cors-origin", "http://app.example"});
  const std::string port = std::to_string(d.port());
  for (std::string origin :
       {"http://127.0.0.1:" + port, "http://localhost:" + port, "http://[::1]:" + port}) {
    INFO(origin);
    Response r = Exchange(
        d, Request("GET", "/boards", {d.AuthHeader(), "Host: 127.0.0.1", "Origin: " + origin}));
    CHECK(r.status == 200);
    CHECK(r.headers["access-control-allow-origin"] == origin);
    RawWebSocket ws;  // what Python's websocket-client sends
    CHECK(ws.Connect(d.port(), kWsTarget, {"Origin: " + origin}) == 101);
  }
  Response other = Exchange(
      d,
      Request("GET", "/boards", {d.AuthHeader(), "Host: 127.0.0.1", "Origin: http://127.0.0.1:1"}));
  CHECK(other.status == 403);
}

// Whether this machine has IPv6 loopback (a container may not).
bool HasIpv6Loopback() {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

TEST_CASE("a daemon bound to ::1 prints a URL with the address bracketed", "[e2e][limits]") {
  if (!HasIpv6Loopback()) {
    WARN("no IPv6 loopback here: not checked");
    return;
  }
  Daemon d({"--host", "::1"});
  CHECK(d.url() == "http://[::1]:" + std::to_string(d.port()));
}

TEST_CASE("the CORS preflight of a JSON POST is answered, then the POST", "[e2e][limits]") {
  Daemon d;
  const std::string app = "Origin: http://localhost:5173";
  Response pre = Exchange(d, Request("OPTIONS", "/boards",
                                     {"Host: 127.0.0.1", app, "Access-Control-Request-Method: POST",
                                      "Access-Control-Request-Headers: content-type"}));
  CHECK(pre.status == 204);
  CHECK(pre.headers["access-control-allow-origin"] == "http://localhost:5173");
  CHECK(pre.headers["access-control-allow-methods"].find("POST") != std::string::npos);
  CHECK(pre.headers["access-control-allow-headers"] == "content-type");
  CHECK(pre.headers["access-control-max-age"] == "600");
  CHECK(pre.headers["access-control-allow-credentials"] == "true");

  const std::string body = R"({"name":"from the browser"})";
  Response post =
      Exchange(d, "POST /boards HTTP/1.1\r\nHost: 127.0.0.1\r\n" + app + "\r\n" + d.AuthHeader() +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
  CHECK(post.status == 201);
  CHECK(post.headers["access-control-allow-origin"] == "http://localhost:5173");

  Response asks_more = Exchange(
      d, Request("OPTIONS", "/boards",
                 {"Host: 127.0.0.1", app, "Access-Control-Request-Method: PATCH",
                  "Access-Control-Request-Headers: content-type, authorization, x-other"}));
  CHECK(asks_more.headers["access-control-allow-headers"] == "content-type, authorization");

  Response foreign = Exchange(d, Request("OPTIONS", "/boards",
                                         {"Host: 127.0.0.1", "Origin: https://evil.example",
                                          "Access-Control-Request-Method: POST"}));
  CHECK(foreign.status == 403);
  CHECK(foreign.headers.count("access-control-allow-origin") == 0);
}

}  // namespace agor
