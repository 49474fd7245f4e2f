// RedisBroker (server/realtime/redis_broker.h): several nodes on one Asio loop, a real
// redis-server (tests/support/redis_server.h) between them, and one event log in memory they all
// read (the test double of the shared store; Redis is real). A commit appends to that log and
// publishes on the committing node, as the Node does. The test thread runs the loop until a
// condition holds or a deadline passes; nothing sleeps.
#include "server/realtime/redis_broker.h"

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "server/realtime/broker_message.h"
#include "tests/support/loop_runner.h"
#include "tests/support/redis_server.h"

namespace agor {
namespace {

constexpr int kTimeoutMs = 10000;

// The test thread's loop (tests/support/loop_runner.h), waiting kTimeoutMs unless told.
struct Loop : test::LoopRunner {
  bool RunUntil(const std::function<bool()>& done, int timeout_ms = kTimeoutMs) {
    return LoopRunner::RunUntil(done, timeout_ms);
  }
};

// The shared event log: seq i is events[i - 1].
class MemoryLog : public LogReader {
 public:
  Status ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out) override {
    for (const Event& ev : events) {
      if (ev.seq <= after_seq) continue;
      if (max-- == 0) break;
      out->push_back(ev);
    }
    return Status::OK();
  }
  Status LastSeq(int64_t* out) override {
    *out = events.empty() ? 0 : events.back().seq;
    return Status::OK();
  }
  // Commits an event on `board` ("" for the global channel) and returns it.
  const Event& Append(const std::string& board) {
    Event ev;
    ev.seq = static_cast<int64_t>(events.size()) + 1;
    ev.ts = FormatIso8601(1764150000000 + ev.seq);
    ev.service = board.empty() ? "users" : "messages";
    ev.event = "created";
    ev.board_id = board;
    ev.record = {{"n", ev.seq}};
    events.push_back(ev);
    return events.back();
  }
  // The seqs on `channels`, in order: what a node subscribed to them must deliver.
  std::vector<int64_t> On(const std::set<std::string>& channels) const {
    std::vector<int64_t> out;
    for (const Event& ev : events) {
      if (channels.count(Broker::ChannelOf(ev))) out.push_back(ev.seq);
    }
    return out;
  }

  std::vector<Event> events;
};

RedisConnectionOptions ConnectionOptions(const std::string& url) {
  RedisConnectionOptions options;
  options.url = url;
  options.backoff_max_ms = 100;  // back soon after a restart
  return options;
}

// One node: its broker, subscribed to `channels` before it starts, and what it delivered.
struct Node {
  Node(Loop& loop, MemoryLog& log, const std::string& url, std::set<std::string> channels,
       std::string prefix = "agor:")
      : broker(loop.io, std::make_unique<RedisConnection>(loop.io, ConnectionOptions(url)),
               *SteadyClock(), log, Options(std::move(prefix))) {
    broker.SetDelivery([this](const Event& ev) { delivered.push_back(ev.seq); });
    broker.SetLiveDelivery([this](const Event& ev) { live.push_back(ev.record["chunk"]); });
    for (const std::string& channel : channels) broker.Subscribe(channel);
    REQUIRE(broker.Start().ok());
  }

  static RedisBroker::Options Options(std::string prefix) {
    RedisBroker::Options options;
    options.prefix = std::move(prefix);
    options.tick_ms = 10;
    options.orderer.fill_delay_ms = 50;  // short, so the tests' gaps fill soon
    return options;
  }

  RedisBroker broker;
  std::vector<int64_t> delivered;
  std::vector<std::string> live;  // the chunks of the live events delivered
};

// A seq-less event on `board`, as an agent's streamed text is.
Event Chunk(const std::string& board, const std::string& text) {
  Event ev;
  ev.service = "messages";
  ev.event = "streaming";
  ev.board_id = board;
  ev.record = {{"chunk", text}};
  return ev;
}

// Commits on `board` through `node`: the log first, then the publish, as the Node does.
void Commit(MemoryLog& log, Node& node, const std::string& board) {
  node.broker.Publish(log.Append(board));
}

// A plain client of the same Redis, to inspect it and to publish what no node would.
struct Client {
  Client(Loop& loop, const std::string& url) : loop(loop), conn(loop.io, ConnectionOptions(url)) {
    REQUIRE(conn.Start().ok());
    REQUIRE(loop.RunUntil([&] { return conn.up(); }));
  }
  RedisReply Run(std::vector<std::string> argv) {
    bool done = false;
    RedisReply out;
    conn.Command(std::move(argv), [&](Status status, RedisReply reply) {
      CHECK(status.ok());
      out = std::move(reply);
      done = true;
    });
    REQUIRE(loop.RunUntil([&] { return done; }));
    return out;
  }
  // How many connections subscribe `channel` on the server.
  int64_t Subscribers(const std::string& channel) {
    RedisReply reply = Run({"PUBSUB", "NUMSUB", channel});
    REQUIRE(reply.elements.size() == 2);
    return reply.elements[1].integer;
  }
  Loop& loop;
  RedisConnection conn;
};

bool AllUp(std::initializer_list<const Node*> nodes) {
  for (const Node* node : nodes) {
    if (!node->broker.up()) return false;
  }
  return true;
}

TEST_CASE(
    "redis broker: commits of two nodes reach each other in seq order, once each, and a "
    "node's own events without a round trip",
    "[realtime][broker][redis]") {
  test::RedisServer server;
  Loop loop;
  MemoryLog log;
  Node a(loop, log, server.url(), {"X", kGlobalChannel});
  Node b(loop, log, server.url(), {"X", kGlobalChannel});
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &b}); }));

  Commit(log, a, "X");
  CHECK(a.delivered == std::vector<int64_t>{1});  // on the commit's stack, not via Redis
  // Bursts from both nodes, the loop not run in between: each node's own events overtake the
  // other's in flight, and must wait for them in the orderer.
  for (int round = 0; round < 20; ++round) {
    Node& writer = round % 2 ? a : b;
    for (int i = 0; i < 5; ++i) Commit(log, writer, i % 3 ? "X" : kGlobalChannel);
  }
  const std::vector<int64_t> all = log.On({"X", kGlobalChannel});
  REQUIRE(all.size() == 101);
  REQUIRE(loop.RunUntil([&] { return a.delivered.size() >= 101 && b.delivered.size() >= 101; }));
  CHECK(a.delivered == all);
  CHECK(b.delivered == all);
  // Every event also came back from Redis to both nodes: each node's copy beyond the first
  // (own echo, or the log's) is a duplicate.
  REQUIRE(loop.RunUntil(
      [&] { return a.broker.stats().received >= 101 && b.broker.stats().received >= 101; }));
  CHECK(a.broker.stats().received == 101);
  CHECK(b.broker.stats().received == 101);
  CHECK(a.broker.stats().published == 51);
  CHECK(b.broker.stats().published == 50);
  CHECK(a.broker.stats().delivered == 101);
  CHECK(a.broker.stats().publish_dropped == 0);
  CHECK(a.broker.stats().decode_errors == 0);
}

TEST_CASE(
    "redis broker: a node gets only its boards' messages from Redis and every node the "
    "global channel's",
    "[realtime][broker][redis]") {
  test::RedisServer server;
  Loop loop;
  MemoryLog log;
  Node a(loop, log, server.url(), {kGlobalChannel});
  Node onx(loop, log, server.url(), {"X", kGlobalChannel});
  Node ony(loop, log, server.url(), {"Y", kGlobalChannel});
  MemoryLog other_log;  // another cluster on the same Redis, with its own store
  Node other(loop, other_log, server.url(), {"X", "Y", kGlobalChannel}, "other:");
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &onx, &ony, &other}); }));
  Client inspect(loop, server.url());
  CHECK(inspect.Subscribers("agor:ch:X") == 1);
  CHECK(inspect.Subscribers("agor:ch:Y") == 1);
  CHECK(inspect.Subscribers("agor:ch:") == 3);
  CHECK(inspect.Subscribers("agor:ch:Z") == 0);

  const char* boards[] = {"X", "Y", "Y", kGlobalChannel, "Z", "X", "Y"};
  for (int i = 0; i < 70; ++i) Commit(log, a, boards[i % 7]);
  Commit(log, a, kGlobalChannel);  // the last: Redis keeps each subscriber's order
  const std::vector<int64_t> x = log.On({"X", kGlobalChannel});
  const std::vector<int64_t> y = log.On({"Y", kGlobalChannel});
  REQUIRE(loop.RunUntil([&] {
    return onx.broker.stats().received >= static_cast<int64_t>(x.size()) &&
           ony.broker.stats().received >= static_cast<int64_t>(y.size()) &&
           onx.delivered.size() >= x.size() && ony.delivered.size() >= y.size();
  }));
  // The marker on the global channel came last, so nothing else is still on its way.
  CHECK(onx.delivered == x);
  CHECK(ony.delivered == y);
  CHECK(a.delivered == log.On({kGlobalChannel}));
  CHECK(other.broker.stats().received == 0);
  CHECK(other.delivered.empty());
  CHECK(onx.broker.stats().received == 31);  // 20 X + 11 global, no Y or Z
  CHECK(ony.broker.stats().received == 41);  // 30 Y + 11 global
}

TEST_CASE(
    "redis broker: Redis killed mid-stream and restarted, every event reaches the other node "
    "once and in order, the gap filled from the log",
    "[realtime][broker][redis]") {
  test::RedisServer server;
  Loop loop;
  MemoryLog log;
  Node a(loop, log, server.url(), {"X", kGlobalChannel});
  Node b(loop, log, server.url(), {"X", kGlobalChannel});
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &b}); }));

  for (int i = 0; i < 10; ++i) Commit(log, a, "X");
  REQUIRE(loop.RunUntil([&] { return b.delivered.size() >= 3; }));
  server.Stop();
  for (int i = 0; i < 5; ++i) Commit(log, a, i % 2 ? "X" : kGlobalChannel);  // A not yet told
  REQUIRE(loop.RunUntil([&] { return !a.broker.up() && !b.broker.up(); }));
  const int64_t dropped = a.broker.stats().publish_dropped;
  for (int i = 0; i < 10; ++i) Commit(log, a, "X");
  CHECK(a.broker.stats().publish_dropped == dropped + 10);
  CHECK(a.delivered == log.On({"X", kGlobalChannel}));  // own events never wait for Redis

  server.Start();
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &b}); }));
  for (int i = 0; i < 10; ++i) Commit(log, b, "X");
  const std::vector<int64_t> all = log.On({"X", kGlobalChannel});
  REQUIRE(all.size() == 35);
  REQUIRE(loop.RunUntil([&] { return a.delivered.size() >= 35 && b.delivered.size() >= 35; }));
  CHECK(a.delivered == all);
  CHECK(b.delivered == all);
  CHECK(b.broker.stats().filled >= 10);  // at least those committed while Redis was down
  CHECK(b.broker.stats().gap_fills >= 1);
  CHECK(a.broker.stats().publish_dropped >= 10);
}

TEST_CASE("redis broker: live events reach the other nodes of their board in order, not the sender",
          "[realtime][broker][redis]") {
  test::RedisServer server;
  Loop loop;
  MemoryLog log;
  Node a(loop, log, server.url(), {"X", kGlobalChannel});
  Node b(loop, log, server.url(), {"X", kGlobalChannel});
  Node c(loop, log, server.url(), {"Y", kGlobalChannel});
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &b, &c}); }));

  for (const char* text : {"one", "two", "three"}) a.broker.PublishLive(Chunk("X", text));
  c.broker.PublishLive(Chunk("Y", "for nobody else"));
  // Each sender gets its own back from Redis (a: three, c: one) and skips it.
  REQUIRE(loop.RunUntil([&] {
    return a.broker.stats().received >= 3 && c.broker.stats().received >= 1 && b.live.size() >= 3;
  }));
  CHECK(b.live == std::vector<std::string>{"one", "two", "three"});
  CHECK(a.live.empty());  // its own echo skipped: the node delivered them itself
  CHECK(c.live.empty());  // not on X; and its own Y chunk skipped
  CHECK(a.broker.stats().live_published == 3);
  CHECK(b.broker.stats().live_received == 3);
  CHECK(a.delivered.empty());  // live events never enter the seq order
  CHECK(b.broker.stats().decode_errors == 0);

  // While Redis is down a live event is dropped and counted, never queued.
  server.Stop();
  REQUIRE(loop.RunUntil([&] { return !a.broker.up(); }));
  int64_t dropped = a.broker.stats().publish_dropped;
  a.broker.PublishLive(Chunk("X", "lost"));
  CHECK(a.broker.stats().publish_dropped == dropped + 1);
  CHECK(a.broker.stats().live_published == 3);
}

TEST_CASE("redis broker: hostile messages on a channel are counted and dropped, delivery goes on",
          "[realtime][broker][redis]") {
  test::RedisServer server;
  Loop loop;
  MemoryLog log;
  Node a(loop, log, server.url(), {"X", kGlobalChannel});
  Node b(loop, log, server.url(), {"X", kGlobalChannel});
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &b}); }));
  Client attacker(loop, server.url());

  Commit(log, a, "X");
  REQUIRE(loop.RunUntil([&] { return b.delivered.size() == 1; }));
  Event elsewhere = log.events[0];
  elsewhere.board_id = "Y";  // well formed, but on the wrong channel
  elsewhere.seq = 2;
  const std::vector<std::string> bad = {
      "not json",
      std::string("{\"v\":1,\0\xff}", 10),
      "{\"v\":2,\"seq\":2}",
      EncodeBrokerMessage(log.events[0]).substr(0, 40),  // cut short
      "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
      EncodeBrokerMessage(elsewhere),
  };
  for (const std::string& payload : bad) {
    CHECK(attacker.Run({"PUBLISH", "agor:ch:X", payload}).integer == 2);
  }
  CHECK(attacker.Run({"PUBLISH", "agor:ch:X", EncodeBrokerMessage(log.events[0])}).integer == 2);
  REQUIRE(loop.RunUntil(
      [&] { return a.broker.stats().decode_errors == 6 && b.broker.stats().decode_errors == 6; }));
  for (int i = 0; i < 5; ++i) Commit(log, a, "X");
  REQUIRE(loop.RunUntil([&] { return b.delivered.size() >= 6; }));
  CHECK(b.delivered == log.On({"X"}));
  CHECK(a.delivered == log.On({"X"}));
  CHECK(b.broker.stats().decode_errors == 6);
  CHECK(b.broker.stats().duplicates >= 1);  // the replayed event 1
}

TEST_CASE(
    "redis broker: an event committed but never published reaches the nodes by the tail check",
    "[realtime][broker][redis]") {
  test::RedisServer server;
  Loop loop;
  MemoryLog log;
  Node a(loop, log, server.url(), {"X", kGlobalChannel});
  Node b(loop, log, server.url(), {"X", kGlobalChannel});
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &b}); }));

  for (int i = 0; i < 3; ++i) Commit(log, a, "X");
  log.Append("X");  // the node died between its commit and its publish
  REQUIRE(loop.RunUntil([&] { return a.delivered.size() >= 4 && b.delivered.size() >= 4; }));
  CHECK(b.delivered == log.On({"X"}));
  CHECK(a.delivered == log.On({"X"}));
  CHECK(b.broker.stats().filled >= 1);
  Commit(log, a, "X");  // and the stream goes on
  REQUIRE(loop.RunUntil([&] { return b.delivered.size() >= 5; }));
  CHECK(b.delivered == log.On({"X"}));
}

TEST_CASE(
    "redis broker: a channel subscribed while running brings its next events, an "
    "unsubscribed one stops",
    "[realtime][broker][redis]") {
  test::RedisServer server;
  Loop loop;
  MemoryLog log;
  Node a(loop, log, server.url(), {kGlobalChannel});
  Node b(loop, log, server.url(), {kGlobalChannel});
  REQUIRE(loop.RunUntil([&] { return AllUp({&a, &b}); }));
  Client inspect(loop, server.url());

  Commit(log, a, "X");  // before B's interest: recovery's business, not the broker's
  REQUIRE(loop.RunUntil([&] { return b.broker.position() == 1; }));  // the tail check passed it
  b.broker.Subscribe("X");
  REQUIRE(loop.RunUntil([&] { return inspect.Subscribers("agor:ch:X") == 1; }));
  for (int i = 0; i < 5; ++i) Commit(log, a, "X");
  REQUIRE(loop.RunUntil([&] { return b.delivered.size() >= 5; }));
  CHECK(b.delivered == std::vector<int64_t>{2, 3, 4, 5, 6});

  b.broker.Unsubscribe("X");
  REQUIRE(loop.RunUntil([&] { return inspect.Subscribers("agor:ch:X") == 0; }));
  const int64_t received = b.broker.stats().received;
  for (int i = 0; i < 5; ++i) Commit(log, a, "X");
  Commit(log, a, kGlobalChannel);
  // The global message follows any of X's in Redis's order: once it is in, nothing else is due.
  REQUIRE(loop.RunUntil(
      [&] { return b.delivered.size() >= 6 && b.broker.stats().received >= received + 1; }));
  CHECK(b.delivered == std::vector<int64_t>{2, 3, 4, 5, 6, 12});
  CHECK(b.broker.stats().received == received + 1);
  CHECK(b.broker.channels() == std::set<std::string>{kGlobalChannel});
}

TEST_CASE("redis broker: Close leaves the loop idle and delivers nothing more",
          "[realtime][broker][redis]") {
  test::RedisServer server;
  asio::io_context io;  // no work guard: run() returns once nothing is pending
  MemoryLog log;
  RedisBroker broker(io, std::make_unique<RedisConnection>(io, ConnectionOptions(server.url())),
                     *SteadyClock(), log, RedisBroker::Options());
  std::vector<int64_t> delivered;
  broker.SetDelivery([&](const Event& ev) { delivered.push_back(ev.seq); });
  broker.Subscribe("X");
  REQUIRE(broker.Start().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  while (!broker.up() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  REQUIRE(broker.up());
  broker.Publish(log.Append("X"));
  CHECK(delivered == std::vector<int64_t>{1});
  broker.Close();
  broker.Publish(log.Append("X"));
  io.run_for(std::chrono::milliseconds(kTimeoutMs));
  CHECK(io.stopped());  // ran out of work well before the deadline
  CHECK(delivered == std::vector<int64_t>{1});
  CHECK(broker.Start().code() == Code::kConflict);
}

}  // namespace
}  // namespace agor
