// Tests of WebConnection's catch-all, in process: a WebServer on an ephemeral port with
// handlers that throw. Each exception must be answered (500 Feathers error for HTTP, a 1011
// close for WebSocket) and the server must keep serving; nothing unwinds its loop.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "base/status.h"
#include "server/net/web_server.h"

namespace agor {
namespace {

constexpr int kTimeoutMs = 5000;

// A blocking TCP client, just enough for one HTTP answer or a few server frames.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // The status line, headers and Content-Length body of the next answer; "" on timeout/EOF.
  std::string ReadResponse() {
    size_t end;
    while ((end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    size_t at = buffered_.find("Content-Length: ");
    size_t length = at < end ? std::stoul(buffered_.substr(at + 16)) : 0;
    while (buffered_.size() < end + 4 + length) {
      if (!Fill()) return "";
    }
    std::string out = buffered_.substr(0, end + 4 + length);
    buffered_.erase(0, out.size());
    return out;
  }

  // The next server frame (unmasked, payload under 126 bytes): opcode, payload; -1 if none.
  int ReadFrame(std::string* payload) {
    while (buffered_.size() < 2 || buffered_.size() < 2 + (buffered_[1] & 0x7f)) {
      if (!Fill()) return -1;
    }
    size_t length = buffered_[1] & 0x7f;
    *payload = buffered_.substr(2, length);
    int opcode = buffered_[0] & 0x0f;
    buffered_.erase(0, 2 + length);
    return opcode;
  }

 private:
  bool Fill() {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, kTimeoutMs) <= 0) return false;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffered_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffered_;
};

// A WebServer running on its own thread; stopped and joined on destruction.
class ServerThread {
 public:
  ServerThread(WebServer::HttpHandler http, WsHandlers ws) {
    server_.SetHttpHandler(std::move(http));
    server_.SetWsHandlers(std::move(ws));
    WebServerOptions options;
    options.port = 0;
    REQUIRE(server_.Listen(options).ok());
    thread_ = std::thread([this] { server_.Run(); });
  }
  ~ServerThread() {
    server_.Stop();
    thread_.join();
  }
  int port() const { return server_.port(); }

 private:
  WebServer server_;
  std::thread thread_;
};

HttpResponse Ok() {
  HttpResponse r;
  r.body = "{\"ok\":true}";
  return r;
}

// Answers /ok, throws on /throw and /throw-int, answers then throws on /answer-then-throw.
void ThrowingHandler(const HttpRequest& req, std::shared_ptr<HttpReply> reply) {
  if (req.path == "/throw") throw std::runtime_error("handler failed \xff");
  if (req.path == "/throw-int") throw 42;
  reply->Send(Ok());
  if (req.path == "/answer-then-throw") throw std::logic_error("after the answer");
}

std::string Get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

std::string Upgrade() {
  return "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// A masked text frame (the zero mask key leaves the payload as it is).
std::string TextFrame(const std::string& text) {
  return std::string("\x81") + static_cast<char>(0x80 | text.size()) + std::string(4, '\0') + text;
}

int CloseCode(const std::string& payload) {
  if (payload.size() < 2) return 0;
  return static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1]);
}

WsHandlers Accepting() {
  WsHandlers ws;
  ws.accept = [](const HttpRequest&) { return Status::OK(); };
  return ws;
}

}  // namespace

TEST_CASE("web connection: an HTTP handler's exception is a 500, and the connection goes on",
          "[server][net]") {
  ServerThread server(ThrowingHandler, Accepting());
  Client c(server.port());
  REQUIRE(c.connected());
  for (const char* path : {"/throw", "/throw-int"}) {
    INFO(path);
    REQUIRE(c.Send(Get(path)));
    std::string answer = c.ReadResponse();
    CHECK(answer.rfind("HTTP/1.1 500 ", 0) == 0);
    CHECK(answer.find("\"name\":\"GeneralError\"") != std::string::npos);
    CHECK(answer.find("Connection: close") == std::string::npos);
    REQUIRE(c.Send(Get("/ok")));
    CHECK(c.ReadResponse().rfind("HTTP/1.1 200 ", 0) == 0);
  }
  // An exception after the answer was sent: that answer stands, no second one follows.
  REQUIRE(c.Send(Get("/answer-then-throw") + Get("/ok")));
  CHECK(c.ReadResponse().rfind("HTTP/1.1 200 ", 0) == 0);
  std::string next = c.ReadResponse();
  CHECK(next.rfind("HTTP/1.1 200 ", 0) == 0);
  CHECK(next.find("{\"ok\":true}") != std::string::npos);
}

TEST_CASE("web connection: a WebSocket handler's exception closes with 1011", "[server][net]") {
  WsHandlers ws = Accepting();
  ws.open = [](WsConnection*, const HttpRequest& req) {
    if (req.query == "fail") throw std::runtime_error("open failed");
  };
  ws.message = [](WsConnection* c, std::string_view text) {
    if (text == "throw") throw std::runtime_error("message failed");
    c->Send(text);
  };
  ws.close = [](WsConnection*) { throw std::runtime_error("close failed"); };
  ServerThread server(ThrowingHandler, ws);
  {
    INFO("the message handler throws");
    Client c(server.port());
    REQUIRE(c.Send(Upgrade()));
    REQUIRE(c.ReadResponse().rfind("HTTP/1.1 101 ", 0) == 0);
    REQUIRE(c.Send(TextFrame("echo")));
    std::string payload;
    REQUIRE(c.ReadFrame(&payload) == 0x1);
    CHECK(payload == "echo");
    REQUIRE(c.Send(TextFrame("throw")));
    REQUIRE(c.ReadFrame(&payload) == 0x8);
    CHECK(CloseCode(payload) == 1011);
  }
  {
    INFO("the open handler throws");
    Client c(server.port());
    std::string upgrade = Upgrade();
    upgrade.replace(upgrade.find("/ws"), 3, "/ws?fail");
    REQUIRE(c.Send(upgrade));
    REQUIRE(c.ReadResponse().rfind("HTTP/1.1 101 ", 0) == 0);
    std::string payload;
    REQUIRE(c.ReadFrame(&payload) == 0x8);
    CHECK(CloseCode(payload) == 1011);
  }
  // The close handler threw for both: the server still answers.
  Client after(server.port());
  REQUIRE(after.Send(Get("/ok")));
  CHECK(after.ReadResponse().rfind("HTTP/1.1 200 ", 0) == 0);
}

TEST_CASE("web connection: an upgrade whose accept handler throws is refused with 500",
          "[server][net]") {
  WsHandlers ws;
  ws.accept = [](const HttpRequest&) -> Status { throw std::runtime_error("accept failed"); };
  ServerThread server(ThrowingHandler, ws);
  Client c(server.port());
  REQUIRE(c.Send(Upgrade()));
  std::string answer = c.ReadResponse();
  CHECK(answer.rfind("HTTP/1.1 500 ", 0) == 0);
  CHECK(answer.find("Connection: close") != std::string::npos);
  Client after(server.port());
  REQUIRE(after.Send(Get("/ok")));
  CHECK(after.ReadResponse().rfind("HTTP/1.1 200 ", 0) == 0);
}

}  // namespace agor
