// Tests of server/net/redis_connection against a real redis-server (tests/support/
// redis_server.h). The test thread drives an Asio loop until a condition holds or a deadline
// passes; nothing sleeps. A last case runs the connection on a WebServer's own loop.
#include "server/net/redis_connection.h"

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/net/web_server.h"
#include "tests/support/loop_runner.h"
#include "tests/support/redis_server.h"

namespace agor {
namespace {

constexpr int kTimeoutMs = 5000;

// The test thread's loop (tests/support/loop_runner.h), waiting kTimeoutMs unless told.
struct Loop : test::LoopRunner {
  bool RunUntil(const std::function<bool()>& done, int timeout_ms = kTimeoutMs) {
    return LoopRunner::RunUntil(done, timeout_ms);
  }
};

struct Answer {
  bool done = false;
  Status status;
  RedisReply reply;
};

// A started RedisConnection whose state changes are recorded.
struct Client {
  Client(Loop& loop, const std::string& url) : loop(loop), conn(loop.io, Options(url)) {
    conn.OnState([this](bool up) { states.push_back(up); });
    REQUIRE(conn.Start().ok());
  }

  static RedisConnectionOptions Options(const std::string& url) {
    RedisConnectionOptions options;
    options.url = url;
    options.backoff_max_ms = 200;  // reconnect soon after a restart
    return options;
  }

  void WaitUp() {
    REQUIRE(loop.RunUntil([&] { return conn.up(); }));
  }

  Answer Run(std::vector<std::string> argv) {
    auto answer = std::make_shared<Answer>();
    conn.Command(std::move(argv), [answer](Status status, RedisReply reply) {
      answer->done = true;
      answer->status = status;
      answer->reply = std::move(reply);
    });
    REQUIRE(loop.RunUntil([&] { return answer->done; }));
    return *answer;
  }

  Loop& loop;
  RedisConnection conn;
  std::vector<bool> states;
};

// Messages received on one channel, and whether Redis confirmed the subscription.
struct Inbox {
  std::vector<std::string> messages;
  int confirmed = 0;
};

void SubscribeInto(Client& client, const std::string& channel, Inbox* inbox) {
  client.conn.Subscribe(
      channel, [inbox](const std::string& payload) { inbox->messages.push_back(payload); },
      [inbox] { ++inbox->confirmed; });
}

TEST_CASE("redis connection: SET, GET, INCR and EXPIRE round trip", "[server][net][redis]") {
  test::RedisServer server;
  Loop loop;
  Client client(loop, server.url());
  client.WaitUp();
  CHECK(client.states == std::vector<bool>{true});

  Answer set = client.Run({"SET", "greeting", std::string("hi\0there", 8)});
  REQUIRE(set.status.ok());
  CHECK(set.reply.str == "OK");
  CHECK(client.Run({"GET", "greeting"}).reply.str == std::string("hi\0there", 8));
  CHECK(client.Run({"GET", "missing"}).reply.is_nil());
  for (int i = 1; i <= 3; ++i) CHECK(client.Run({"INCR", "counter"}).reply.integer == i);
  CHECK(client.Run({"EXPIRE", "greeting", "100"}).reply.integer == 1);
  int64_t ttl = client.Run({"TTL", "greeting"}).reply.integer;
  CHECK((ttl > 0 && ttl <= 100));

  Answer wrong = client.Run({"INCR", "greeting"});  // not a number: Redis's error reply
  CHECK(wrong.status.code() == Code::kGeneralError);
  CHECK(wrong.reply.is_error());
  CHECK(wrong.status.message().find("ERR") != std::string::npos);
  CHECK(client.conn.stats().commands == 9);
  CHECK(client.conn.stats().failed_commands == 1);
}

TEST_CASE("redis connection: the database in the URL is selected", "[server][net][redis]") {
  test::RedisServer server;
  Loop loop;
  Client db3(loop, server.url() + "/3");
  Client db0(loop, server.url());
  db3.WaitUp();
  db0.WaitUp();
  REQUIRE(db3.Run({"SET", "where", "three"}).status.ok());
  CHECK(db3.Run({"GET", "where"}).reply.str == "three");
  CHECK(db0.Run({"GET", "where"}).reply.is_nil());
}

TEST_CASE(
    "redis connection: 1000 messages published on one connection reach a subscriber "
    "on another, all, in order",
    "[server][net][redis]") {
  test::RedisServer server;
  Loop loop;
  Client publisher(loop, server.url());
  Client subscriber(loop, server.url());
  Inbox inbox;
  SubscribeInto(subscriber, "events", &inbox);
  publisher.WaitUp();
  REQUIRE(loop.RunUntil([&] { return inbox.confirmed == 1 && subscriber.conn.up(); }));

  int answered = 0;
  for (int i = 0; i < 1000; ++i) {
    publisher.conn.Command({"PUBLISH", "events", std::to_string(i)},
                           [&answered](Status status, RedisReply reply) {
                             answered += status.ok() && reply.integer == 1;
                           });
  }
  REQUIRE(loop.RunUntil([&] { return inbox.messages.size() == 1000 && answered == 1000; }));
  for (int i = 0; i < 1000; ++i) REQUIRE(inbox.messages[i] == std::to_string(i));
  CHECK(subscriber.conn.stats().messages == 1000);
}

TEST_CASE("redis connection: unsubscribing stops delivery, and channels can come back",
          "[server][net][redis]") {
  test::RedisServer server;
  Loop loop;
  Client publisher(loop, server.url());
  Client subscriber(loop, server.url());
  Inbox a, b, c;
  SubscribeInto(subscriber, "a", &a);
  SubscribeInto(subscriber, "b", &b);
  publisher.WaitUp();
  REQUIRE(loop.RunUntil([&] { return a.confirmed == 1 && b.confirmed == 1; }));

  subscriber.conn.Unsubscribe("a");
  publisher.Run({"PUBLISH", "a", "after unsubscribe"});
  publisher.Run({"PUBLISH", "b", "marker"});  // the same order reaches the subscriber
  REQUIRE(loop.RunUntil([&] { return b.messages.size() == 1; }));
  CHECK(a.messages.empty());

  // Unsubscribe and subscribe again at once, then drop every channel and take a new one in the
  // same turn (hiredis 0.14 would abort if a SUBSCRIBE overtook an UNSUBSCRIBE to zero).
  SubscribeInto(subscriber, "a", &a);
  subscriber.conn.Unsubscribe("b");
  subscriber.conn.Unsubscribe("a");
  SubscribeInto(subscriber, "a", &a);
  REQUIRE(loop.RunUntil([&] { return a.confirmed == 2; }));
  subscriber.conn.Unsubscribe("a");
  SubscribeInto(subscriber, "c", &c);
  REQUIRE(loop.RunUntil([&] { return c.confirmed == 1; }));
  CHECK(publisher.Run({"PUBLISH", "c", "to c"}).reply.integer == 1);
  CHECK(publisher.Run({"PUBLISH", "a", "to a"}).reply.integer == 0);
  REQUIRE(loop.RunUntil([&] { return c.messages.size() == 1; }));
  CHECK(a.messages.empty());
}

TEST_CASE(
    "redis connection: a server restart is reported, fails commands at once, and is "
    "recovered with the subscriptions",
    "[server][net][redis]") {
  test::RedisServer server;
  Loop loop;
  Client client(loop, server.url());
  Inbox inbox;
  SubscribeInto(client, "events", &inbox);
  client.WaitUp();
  REQUIRE(inbox.confirmed == 1);

  auto blocked = std::make_shared<Answer>();  // in flight when the server dies
  client.conn.Command({"BLPOP", "never", "0"}, [blocked](Status status, RedisReply) {
    blocked->done = true;
    blocked->status = status;
  });
  Client other(loop, server.url());
  other.WaitUp();
  REQUIRE(loop.RunUntil([&] {
    return other.Run({"CLIENT", "LIST"}).reply.str.find("cmd=blpop") != std::string::npos;
  }));

  server.Stop();
  REQUIRE(loop.RunUntil([&] { return !client.conn.up() && blocked->done; }));
  CHECK(blocked->status.code() == Code::kUnavailable);
  CHECK(blocked->status.message().find("lost") != std::string::npos);
  CHECK(client.states == std::vector<bool>{true, false});
  Answer refused = client.Run({"GET", "x"});
  CHECK(refused.status.code() == Code::kUnavailable);
  CHECK(refused.status.message().find(server.url()) != std::string::npos);

  server.Start();
  REQUIRE(loop.RunUntil([&] { return client.conn.up(); }));
  CHECK(client.states == std::vector<bool>{true, false, true});
  CHECK(inbox.confirmed == 2);  // re-subscribed before the state went up
  CHECK(client.conn.stats().reconnects == 1);

  other.WaitUp();
  CHECK(other.Run({"PUBLISH", "events", "after restart"}).reply.integer == 1);
  REQUIRE(loop.RunUntil([&] { return inbox.messages.size() == 1; }));
  CHECK(inbox.messages[0] == "after restart");
  CHECK(client.Run({"SET", "x", "1"}).status.ok());
}

TEST_CASE("redis connection: Close drops the callbacks in flight and leaves the loop idle",
          "[server][net][redis]") {
  test::RedisServer server;
  asio::io_context io;  // no work guard: run() returns once nothing is pending
  RedisConnectionOptions options;
  options.url = server.url();
  auto conn = std::make_unique<RedisConnection>(io, options);
  REQUIRE(conn->Start().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (!conn->up() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  REQUIRE(conn->up());
  int called = 0;
  for (int i = 0; i < 100; ++i)
    conn->Command({"PING"}, [&called](Status, RedisReply) { ++called; });
  conn->Subscribe("events", [&called](const std::string&) { ++called; });
  conn->Close();
  conn->Command({"PING"}, [&called](Status, RedisReply) { ++called; });
  io.run_for(std::chrono::milliseconds(kTimeoutMs));
  CHECK(io.stopped());  // ran out of work well before the deadline
  conn.reset();
  io.restart();
  io.run_for(std::chrono::milliseconds(100));  // the aborted waits of the freed contexts
  CHECK(called == 0);
}

TEST_CASE("redis connection: a bad URL and an unreachable server give clear statuses",
          "[server][net][redis]") {
  Loop loop;
  RedisConnectionOptions options;
  options.url = "http://127.0.0.1:6379";
  RedisConnection bad(loop.io, options);
  Status status = bad.Start();
  CHECK(status.code() == Code::kBadRequest);
  CHECK(status.message().find("redis://") != std::string::npos);

  const int port = test::FreeLoopbackPort();  // nothing listens there
  options.url = "redis://127.0.0.1:" + std::to_string(port);
  RedisConnection nowhere(loop.io, options);
  REQUIRE(nowhere.Start().ok());
  REQUIRE(loop.RunUntil([&] { return !nowhere.last_error().empty(); }));
  CHECK_FALSE(nowhere.up());
  auto answer = std::make_shared<Answer>();
  nowhere.Command({"PING"}, [answer](Status s, RedisReply) {
    answer->done = true;
    answer->status = s;
  });
  REQUIRE(loop.RunUntil([&] { return answer->done; }));
  CHECK(answer->status.code() == Code::kUnavailable);
  CHECK(answer->status.message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(answer->status.message().find("refused") != std::string::npos);
}

TEST_CASE(
    "redis connection: runs on a WebServer's loop and closing it from OnStop lets Run "
    "return",
    "[server][net][redis]") {
  test::RedisServer server;
  WebServer web;
  WebServerOptions web_options;
  web_options.port = 0;
  REQUIRE(web.Listen(web_options).ok());
  RedisConnectionOptions options;
  options.url = server.url();
  RedisConnection conn(web.io_context(), options);
  std::promise<bool> answered;
  conn.OnState([&](bool up) {
    if (!up) return;
    conn.Command({"ECHO", "on the loop"}, [&](Status s, RedisReply r) {
      answered.set_value(s.ok() && r.str == "on the loop");
    });
  });
  web.OnStop([&] { conn.Close(); });
  REQUIRE(conn.Start().ok());
  std::thread loop([&] { web.Run(); });
  std::future<bool> echoed = answered.get_future();
  bool in_time =
      echoed.wait_for(std::chrono::milliseconds(kTimeoutMs)) == std::future_status::ready;
  web.Stop();
  loop.join();  // would hang if the Redis connection kept the loop busy
  REQUIRE(in_time);
  CHECK(echoed.get());
}

}  // namespace
}  // namespace agor
