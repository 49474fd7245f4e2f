#include "server/realtime/socketio_server.h"

#include <catch2/catch.hpp>

#include "tests/server/realtime/realtime_fixture.h"

namespace agor {
namespace {

using test::FakeSocket;
using test::StartsWith;
using test::TestResolver;
using test::World;

// The boards service over the store, and an `authentication` service that answers the token
// it is given (when the resolver knows it) as its accessToken: enough for calls that reach a
// service. Like the dispatcher, it refuses every other call without a caller. Answers of
// `authentication` can be held back (`hold_logins`), as a password hash holds them.
class BoardServices : public Services {
 public:
  BoardServices(Store* store, TestResolver* resolver) : store_(store), resolver_(resolver) {}
  Status Call(const ServiceCall& call, Json* result, std::string*) override {
    if (call.path == "authentication") return Authentication(call, result);
    if (!call.caller.authenticated()) return Status(Code::kNotAuthenticated, "Not authenticated");
    if (call.method == "create") return store_->Create(call.path, call.data, result);
    if (call.method == "find")
      return store_->Find(call.path, call.query, result, call.caller.user_id);
    return Status::MethodNotAllowed("not served by this test");
  }
  void Call(const ServiceCall& call, Done done) override {
    if (call.path == "authentication" && hold_logins) {
      held.push_back([this, call, done] {
        Json result;
        Status s = Call(call, &result, nullptr);
        done(s, std::move(result), "");
      });
      return;
    }
    Services::Call(call, std::move(done));
  }
  bool HasService(const std::string& path) const override {
    return path == "boards" || path == "authentication";
  }
  bool hold_logins = false;
  std::vector<std::function<void()>> held;

 private:
  Status Authentication(const ServiceCall& call, Json* result) {
    if (call.method == "remove") {
      *result = Json::object();
      return Status::OK();
    }
    std::string token = call.data.value("accessToken", "");
    Caller caller;
    Status s = resolver_->Resolve(token, &caller);
    if (!s.ok()) return Status(Code::kNotAuthenticated, "Invalid login");
    *result = Json{{"accessToken", token}, {"user", {{"user_id", caller.user_id}}}};
    return Status::OK();
  }
  Store* store_;
  TestResolver* resolver_;
};

// A posted task of the server (a replay's next turn, a recovery's wait for authentication).
struct Posted {
  int delay_ms;
  std::function<void()> fn;
};

struct Fixture {
  explicit Fixture(ChannelMode mode = ChannelMode::kBoards)
      : hub(mode, &w.store->access(), &w.clock) {
    resolver.tokens["tok-admin"] = w.CallerOf(w.admin);
    resolver.tokens["tok-alice"] = w.CallerOf(w.alice);
    resolver.tokens["tok-bob"] = w.CallerOf(w.bob);
    resolver.tokens["tok-alice-expiring"] = w.CallerOf(w.alice, w.clock.now + 60000);
    services = std::make_unique<BoardServices>(w.store.get(), &resolver);
    server =
        std::make_unique<SocketIoServer>(w.store.get(), services.get(), &resolver, &hub, &w.clock,
                                         Retention(), [this](int delay, std::function<void()> fn) {
                                           posted.push_back({delay, std::move(fn)});
                                         });
    w.store->SetCommitListener([this](const Event& ev) { hub.Publish(ev); });
  }
  // Opens the session and CONNECTs "/" with `auth` (the CONNECT payload); returns the reply.
  std::string Connect(FakeSocket* socket, const std::string& auth = "") {
    server->OnOpen(socket);
    server->OnMessage(socket, "0" + auth);
    REQUIRE(!socket->frames.empty());  // a recovery's replay may follow the reply at once
    return socket->frames[0];
  }
  void ConnectOk(FakeSocket* socket, const std::string& auth = "") {
    REQUIRE(StartsWith(Connect(socket, auth), "40{\"sid\":"));
  }
  // What `payload` got back: the one frame it made the server send.
  std::string Reply(FakeSocket* socket, std::string_view payload) {
    const size_t before = socket->frames.size();
    server->OnMessage(socket, payload);
    REQUIRE(socket->frames.size() == before + 1);
    return socket->frames.back();
  }
  // Runs the posted tasks due within `max_delay_ms` (and those they post), in order.
  void RunPosted(int max_delay_ms = 0) {
    for (size_t i = 0; i < posted.size(); ++i) {
      if (posted[i].delay_ms > max_delay_ms) continue;
      auto fn = std::move(posted[i].fn);
      posted[i].delay_ms = 1 << 30;  // ran
      fn();
    }
  }

  World w;
  TestResolver resolver;
  std::unique_ptr<BoardServices> services;
  Hub hub;
  std::vector<Posted> posted;
  std::unique_ptr<SocketIoServer> server;  // declared last: destroyed before what it borrows
};

TEST_CASE("a numbered call whose data is refused gets a 400 ack and the connection stays",
          "[socketio_server]") {
  Fixture f;
  FakeSocket socket;
  f.ConnectOk(&socket, R"({"token":"tok-alice"})");
  // A lone surrogate: what python-socketio sends for a str that holds one.
  std::string lone = f.Reply(&socket, R"(21["create","boards",{"name":"\ud800"},{}])");
  CHECK(StartsWith(lone, R"(431[{"name":"BadRequest")"));
  CHECK(lone.find("Invalid JSON") != std::string::npos);
  CHECK(StartsWith(f.Reply(&socket, R"(22["disconnect"])"), R"(432[{"name":"BadRequest")"));
  CHECK(StartsWith(f.Reply(&socket, "23"), R"(433[{"name":"BadRequest")"));
  CHECK(socket.closed.empty());
  // Nothing was stored, and the connection still works.
  std::string page = f.Reply(&socket, R"(24["find","boards",{}])");
  CHECK(StartsWith(page, R"(434[null,{"total":2,)"));
  f.server->OnMessage(&socket, R"(25["create","boards",{"name":"ok"},{}])");
  CHECK(StartsWith(socket.frames.back(), R"(435[null,{"board_id":)"));  // after its event
  CHECK(socket.closed.empty());
}

TEST_CASE("refused packets nobody waits on close the connection, as stock socket.io does",
          "[socketio_server]") {
  Fixture f;
  SECTION("an EVENT without an ack id") {
    FakeSocket socket;
    f.ConnectOk(&socket);
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
    f.ConnectOk(&socket);
    f.server->OnMessage(&socket, R"(2/admin,1["find",)");
    CHECK(StartsWith(socket.closed, "parse error"));
  }
  SECTION("binary packets") {
    FakeSocket socket;
    f.ConnectOk(&socket);
    f.server->OnMessage(&socket, R"(51-["create","boards",{"_placeholder":true,"num":0},{}])");
    CHECK(StartsWith(socket.closed, "parse error"));
  }
}

// The frames after the first `n` (what arrived since).
std::vector<std::string> Since(const FakeSocket& socket, size_t n) {
  return std::vector<std::string>(socket.frames.begin() + static_cast<long>(n),
                                  socket.frames.end());
}

// How many of `frames` are `boards created` events (a board may bring other events with it,
// such as its owner's membership).
size_t BoardsCreated(const std::vector<std::string>& frames) {
  size_t n = 0;
  for (const auto& f : frames) n += f.rfind("42[\"boards created\"", 0) == 0;
  return n;
}

bool Has(const std::vector<std::string>& frames, const std::string& text) {
  for (const auto& f : frames) {
    if (f.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string PidOf(const std::string& connect_reply) {
  Json reply = Json::parse(connect_reply.substr(2));
  return reply["pid"].get<std::string>();
}

TEST_CASE("an unauthenticated connection gets no event, and subscriptions answers 401",
          "[socketio_server]") {
  Fixture f(GENERATE(ChannelMode::kEverybody, ChannelMode::kBoards));
  FakeSocket socket;
  f.ConnectOk(&socket);
  std::string refused = f.Reply(&socket, R"(21["create","subscriptions",{"board_id":"x"}])");
  CHECK(StartsWith(refused, R"(431[{"name":"NotAuthenticated")"));
  CHECK(StartsWith(f.Reply(&socket, R"(22["find","subscriptions",{}])"),
                   R"(432[{"name":"NotAuthenticated")"));
  CHECK(StartsWith(f.Reply(&socket, R"(23["find","boards",{}])"),
                   R"(433[{"name":"NotAuthenticated")"));
  const size_t before = socket.frames.size();
  Json record;
  REQUIRE(f.w.store->Create("boards", Json{{"name", "new"}}, &record).ok());
  CHECK(socket.frames.size() == before);
  CHECK(socket.closed.empty());
}

TEST_CASE("a token in the CONNECT auth payload or the handshake header makes the caller",
          "[socketio_server]") {
  Fixture f;
  SECTION("CONNECT auth payload") {
    FakeSocket socket;
    f.ConnectOk(&socket, R"({"token":"tok-alice"})");
    CHECK(StartsWith(f.Reply(&socket, R"(21["find","subscriptions",{}])"), "431[null,[]]"));
  }
  SECTION("Authorization: Bearer header") {
    FakeSocket socket("EIO=4&transport=polling", "Bearer tok-alice");
    f.ConnectOk(&socket);
    CHECK(StartsWith(f.Reply(&socket, R"(21["find","subscriptions",{}])"), "431[null,[]]"));
  }
  SECTION("a bad token is a CONNECT_ERROR with Feathers' error JSON; the client may retry") {
    FakeSocket socket("", "Bearer tok-nobody");
    f.server->OnOpen(&socket);
    f.server->OnMessage(&socket, R"(0{"token":"forged"})");
    REQUIRE(socket.frames.size() == 1);
    CHECK(
        socket.frames[0] ==
        R"(44{"name":"NotAuthenticated","message":"Invalid authentication information","code":401,"className":"not-authenticated"})");
    f.server->OnMessage(&socket, R"(0{"token":7})");
    CHECK(StartsWith(socket.frames.at(1), R"(44{"name":"NotAuthenticated")"));
    f.server->OnMessage(&socket,
                        "0{\"token\":\"" + std::string(kMaxCredentialBytes + 1, 'a') + "\"}");
    CHECK(StartsWith(socket.frames.at(2), R"(44{"name":"NotAuthenticated")"));
    f.server->OnMessage(&socket, "0");  // the header's token is no better
    CHECK(StartsWith(socket.frames.at(3), R"(44{"name":"NotAuthenticated")"));
    f.server->OnMessage(&socket, R"(0{"token":"tok-bob"})");
    CHECK(StartsWith(socket.frames.at(4), "40{\"sid\":"));
    CHECK(socket.closed.empty());
  }
  SECTION("an expired caller's calls answer jwt expired, and it gets no more events") {
    FakeSocket socket;
    f.ConnectOk(&socket, R"({"token":"tok-alice-expiring"})");
    f.w.clock.now += 60000;
    std::string expired = f.Reply(&socket, R"(21["find","boards",{}])");
    CHECK(StartsWith(expired, R"(431[{"name":"NotAuthenticated","message":"jwt expired")"));
    CHECK(expired.find("TokenExpiredError") != std::string::npos);
    const size_t before = socket.frames.size();
    Json record;
    REQUIRE(f.w.store->Create("boards", Json{{"name", "later"}}, &record).ok());
    CHECK(socket.frames.size() == before);
  }
}

TEST_CASE("create authentication makes the caller, remove logs the connection out",
          "[socketio_server]") {
  Fixture f;
  FakeSocket socket;
  f.ConnectOk(&socket);
  CHECK(StartsWith(
      f.Reply(&socket, R"(21["create","authentication",{"strategy":"jwt","accessToken":"bad"}])"),
      R"(431[{"name":"NotAuthenticated","message":"Invalid login")"));
  CHECK(StartsWith(
      f.Reply(&socket,
              R"(22["create","authentication",{"strategy":"jwt","accessToken":"tok-bob"}])"),
      R"(432[null,{"accessToken":"tok-bob")"));
  size_t before = socket.frames.size();
  Json record;
  REQUIRE(f.w.store->Create("boards", Json{{"name", "seen"}}, &record).ok());
  CHECK(BoardsCreated(Since(socket, before)) == 1);
  CHECK(StartsWith(f.Reply(&socket, R"(23["remove","authentication",null])"), "433[null,"));
  before = socket.frames.size();
  REQUIRE(f.w.store->Create("boards", Json{{"name", "unseen"}}, &record).ok());
  CHECK(socket.frames.size() == before);
  CHECK(StartsWith(f.Reply(&socket, R"(24["find","subscriptions",{}])"),
                   R"(434[{"name":"NotAuthenticated")"));
}

TEST_CASE("subscriptions: a board or session the caller may not see answers as a missing one",
          "[socketio_server]") {
  Fixture f;
  FakeSocket bob;
  f.ConnectOk(&bob, R"({"token":"tok-bob"})");
  std::string hidden =
      f.Reply(&bob, R"(21["create","subscriptions",{"board_id":")" + f.w.priv + R"("}])");
  std::string missing = f.Reply(
      &bob, R"(22["create","subscriptions",{"board_id":"00000000-0000-4000-8000-000000000000"}])");
  CHECK(StartsWith(
      hidden, R"(431[{"name":"NotFound","message":"No record found for id ')" + f.w.priv + "'\""));
  CHECK(hidden.substr(3) == "[{\"name\":\"NotFound\",\"message\":\"No record found for id '" +
                                f.w.priv + "'\",\"code\":404,\"className\":\"not-found\"}]");
  CHECK(StartsWith(missing, R"(432[{"name":"NotFound")"));
  Json session;
  REQUIRE(f.w.store
              ->Create("sessions", Json{{"board_id", f.w.priv}, {"agentic_tool", "claude-code"}},
                       &session)
              .ok());
  std::string sid = session["session_id"].get<std::string>();
  CHECK(StartsWith(f.Reply(&bob, R"(23["create","subscriptions",{"session_id":")" + sid + R"("}])"),
                   R"(433[{"name":"NotFound","message":"No record found for id ')" + sid + "'\""));
  FakeSocket alice;
  f.ConnectOk(&alice, R"({"token":"tok-alice"})");
  CHECK(StartsWith(
      f.Reply(&alice, R"(21["create","subscriptions",{"board_id":")" + f.w.priv + R"("}])"),
      "431[null,{\"id\":\"" + f.w.priv));
  // The handshake's boards: an invisible one is a CONNECT_ERROR exactly like a missing one.
  FakeSocket bob_query("EIO=4&board_id=" + f.w.priv);
  CHECK(f.Connect(&bob_query, R"({"token":"tok-bob"})") ==
        "44{\"message\":\"No record found for id '" + f.w.priv + "'\"}");
}

TEST_CASE("handshake boards wait for a caller, then only the visible ones are joined",
          "[socketio_server]") {
  Fixture f;
  FakeSocket socket("EIO=4&board_id=" + f.w.team + "," + f.w.priv + ",nosuchboard");
  f.ConnectOk(&socket);  // nothing judged yet: nothing told
  CHECK(StartsWith(f.Reply(&socket, R"(21["create","authentication",{"accessToken":"tok-bob"}])"),
                   "431[null,"));
  CHECK(f.Reply(&socket, R"(22["find","subscriptions",{}])") ==
        "432[null,[{\"id\":\"" + f.w.team + "\",\"board_id\":\"" + f.w.team + "\"}]]");
}

TEST_CASE("acks leave in the order of the calls, even when an earlier one answers later",
          "[socketio_server]") {
  Fixture f;
  f.services->hold_logins = true;
  FakeSocket socket;
  f.ConnectOk(&socket, R"({"token":"tok-alice"})");
  f.server->OnMessage(&socket, R"(21["create","authentication",{"accessToken":"tok-bob"}])");
  f.server->OnMessage(&socket, R"(22["find","subscriptions",{}])");
  CHECK(socket.frames.size() == 1);  // the find waits for the login before it
  REQUIRE(f.services->held.size() == 1);
  f.services->held[0]();
  REQUIRE(socket.frames.size() == 3);
  CHECK(StartsWith(socket.frames[1], "431[null,{\"accessToken\":\"tok-bob\""));
  CHECK(socket.frames[2] == "432[null,[]]");
}

// A client of alice that saw everything up to `offset` and left; then a team board and a
// private board alice may not see are made.
struct Recovery {
  Recovery() {
    first.sub_reply = f.Connect(&first.socket, R"({"token":"tok-alice"})");
    pid = PidOf(first.sub_reply);
    offset = f.w.store->event_log()->LastSeq();
    f.server->OnClose(&first.socket, "transport close");
    team = f.w.Board("while-away", "team");
    hidden = f.w.Board("hidden", "private");
  }
  std::string Auth() const {
    return "{\"pid\":\"" + pid + "\",\"offset\":\"" + std::to_string(offset) + "\"}";
  }
  struct {
    FakeSocket socket;
    std::string sub_reply;
  } first;
  Fixture f;
  std::string pid, team, hidden;
  int64_t offset = 0;
};

TEST_CASE("a recovery waits for authentication, then replays only what the user may see now",
          "[socketio_server]") {
  Recovery r;
  FakeSocket socket;
  std::string reply = r.f.Connect(&socket, r.Auth());
  CHECK(PidOf(reply) == r.pid);  // recovered, told at once
  r.f.RunPosted();
  CHECK(socket.frames.size() == 1);  // nothing before a caller
  CHECK(
      StartsWith(r.f.Reply(&socket, R"(21["create","authentication",{"accessToken":"tok-alice"}])"),
                 "431[null,"));
  r.f.RunPosted();
  std::vector<std::string> replay = Since(socket, 2);
  CHECK(Has(replay, r.team));
  CHECK_FALSE(Has(replay, r.hidden));
  CHECK(BoardsCreated(replay) == 1);
  // Live from here, no gap and no duplicate.
  const size_t replayed = socket.frames.size();
  std::string next = r.f.w.Board("next", "team");
  CHECK(BoardsCreated(Since(socket, replayed)) == 1);
  CHECK(Has(Since(socket, replayed), next));
}

TEST_CASE("a recovery with a token at CONNECT replays after the CONNECT reply",
          "[socketio_server]") {
  Recovery r;
  FakeSocket socket;
  std::string auth = r.Auth();
  auth.insert(1, "\"token\":\"tok-bob\",");
  std::string reply = r.f.Connect(&socket, auth);
  CHECK(PidOf(reply) == r.pid);
  r.f.RunPosted();
  std::vector<std::string> replay = Since(socket, 1);
  CHECK(BoardsCreated(replay) == 1);
  CHECK(Has(replay, r.team));
  CHECK_FALSE(Has(replay, r.hidden));
}

TEST_CASE("a recovery not authenticated in time is dropped; the connection stays and gets nothing",
          "[socketio_server]") {
  Recovery r;
  FakeSocket socket;
  r.f.Connect(&socket, r.Auth());
  r.f.RunPosted(SocketIoOptions().recovery_auth_ms);  // the wait ends
  CHECK(socket.frames.size() == 1);
  CHECK(socket.closed.empty());
  std::string unseen = r.f.w.Board("unseen", "team");
  CHECK(socket.frames.size() == 1);
  CHECK(
      StartsWith(r.f.Reply(&socket, R"(21["create","authentication",{"accessToken":"tok-alice"}])"),
                 "431[null,"));
  r.f.RunPosted();
  CHECK(socket.frames.size() == 2);  // no replay: only live events from now
  std::string live = r.f.w.Board("live", "team");
  CHECK(BoardsCreated(Since(socket, 2)) == 1);
  CHECK(Has(Since(socket, 2), live));
}

}  // namespace
}  // namespace agor
