#include "server/realtime/socketio_server.h"

#include <catch2/catch.hpp>

namespace agor {
namespace {

class FakeClock : public Clock {
 public:
  int64_t NowMillis() override { return 1764150000000; }
};

// One Engine.IO session as the Socket.IO layer sees it: what was sent, whether it was closed.
class FakeSocket : public EngineSocket {
 public:
  const std::string& query() const override { return query_; }
  void Send(std::string_view frame) override { frames.emplace_back(frame); }
  void Send(const SharedFrame& frame) override { frames.push_back(frame.text()); }
  size_t queued_bytes() const override { return 0; }
  void Close(const std::string& reason) override { closed = reason; }
  std::vector<std::string> frames;
  std::string closed;  // the reason, "" while open

 private:
  std::string query_;
};

// The boards service over the store: enough for calls that reach a service.
class BoardServices : public Services {
 public:
  explicit BoardServices(Store* store) : store_(store) {}
  Status Call(const ServiceCall& call, Json* result, std::string*) override {
    if (call.method == "create") return store_->Create(call.path, call.data, result);
    if (call.method == "find") return store_->Find(call.path, call.query, result);
    return Status::MethodNotAllowed("not served by this test");
  }
  bool HasService(const std::string& path) const override { return path == "boards"; }

 private:
  Store* store_;
};

struct Fixture {
  Fixture() {
    StoreOptions options;
    options.path = ":memory:";
    REQUIRE(Store::Open(options, &clock, &store).ok());
    services = std::make_unique<BoardServices>(store.get());
    server = std::make_unique<SocketIoServer>(store.get(), services.get(), &hub, &clock,
                                              Retention(), [](int, std::function<void()>) {});
  }
  // Opens the session and CONNECTs "/".
  void Connect(FakeSocket* socket) {
    server->OnOpen(socket);
    server->OnMessage(socket, "0");
    REQUIRE(socket->frames.size() == 1);
    REQUIRE(socket->frames[0].rfind("40{\"sid\":", 0) == 0);
  }
  // What `payload` got back: the one frame it made the server send.
  std::string Reply(FakeSocket* socket, std::string_view payload) {
    const size_t before = socket->frames.size();
    server->OnMessage(socket, payload);
    REQUIRE(socket->frames.size() == before + 1);
    return socket->frames.back();
  }

  FakeClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<BoardServices> services;
  Hub hub{ChannelMode::kBoards};
  std::unique_ptr<SocketIoServer> server;  // declared last: destroyed before what it borrows
};

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST_CASE("a numbered call whose data is refused gets a 400 ack and the connection stays",
          "[socketio_server]") {
  Fixture f;
  FakeSocket socket;
  f.Connect(&socket);
  // A lone surrogate: what python-socketio sends for a str that holds one.
  std::string lone = f.Reply(&socket, R"(21["create","boards",{"name":"\ud800"},{}])");
  CHECK(StartsWith(lone, R"(431[{"name":"BadRequest")"));
  CHECK(lone.find("Invalid JSON") != std::string::npos);
  CHECK(StartsWith(f.Reply(&socket, R"(22["disconnect"])"), R"(432[{"name":"BadRequest")"));
  CHECK(StartsWith(f.Reply(&socket, "23"), R"(433[{"name":"BadRequest")"));
  CHECK(socket.closed.empty());
  // Nothing was stored, and the connection still works.
  std::string page = f.Reply(&socket, R"(24["find","boards",{}])");
  CHECK(StartsWith(page, R"(434[null,{"total":0,)"));
  CHECK(StartsWith(f.Reply(&socket, R"(25["create","boards",{"name":"ok"},{}])"),
                   R"(435[null,{"board_id":)"));
  CHECK(socket.closed.empty());
}

TEST_CASE("refused packets nobody waits on close the connection, as stock socket.io does",
          "[socketio_server]") {
  Fixture f;
  SECTION("an EVENT without an ack id") {
    FakeSocket socket;
    f.Connect(&socket);
    f.server->OnMessage(&socket, R"(2["create","boards",{"name":"\ud800"},{}])");
    CHECK(StartsWith(socket.closed, "parse error: Invalid JSON"));
    CHECK(socket.frames.size() == 1);
  }
  SECTION("a numbered EVENT before CONNECT") {
    FakeSocket socket;
    f.server->OnOpen(&socket);
    f.server->OnMessage(&socket, R"(21["create","boards",{"name":"\ud800"},{}])");
    CHECK(StartsWith(socket.closed, "parse error"));
    CHECK(socket.frames.empty());
  }
  SECTION("a numbered EVENT for another namespace") {
    FakeSocket socket;
    f.Connect(&socket);
    f.server->OnMessage(&socket, R"(2/admin,1["find",)");
    CHECK(StartsWith(socket.closed, "parse error"));
  }
  SECTION("binary packets") {
    FakeSocket socket;
    f.Connect(&socket);
    f.server->OnMessage(&socket, R"(51-["create","boards",{"_placeholder":true,"num":0},{}])");
    CHECK(StartsWith(socket.closed, "parse error"));
  }
}

}  // namespace
}  // namespace agor
