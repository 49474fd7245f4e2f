// InProcessBroker (server/realtime/in_process_broker.h): the one-node broker delivers each
// publish at once, in order, once; and the channel rule every broker shares (broker.h).
#include "server/realtime/in_process_broker.h"

#include <catch2/catch.hpp>
#include <vector>

namespace agor {
namespace {

Event MakeEvent(int64_t seq, const char* service = "messages", const char* board = "b1") {
  Event ev;
  ev.seq = seq;
  ev.service = service;
  ev.event = "created";
  ev.board_id = board;
  return ev;
}

struct Fixture {
  Fixture() {
    broker.SetDelivery([this](const Event& ev) { delivered.push_back(ev.seq); });
  }
  InProcessBroker broker;
  std::vector<int64_t> delivered;
};

TEST_CASE("in-process broker: a publish is delivered at once, in order", "[broker]") {
  Fixture f;
  for (int64_t seq = 1; seq <= 3; ++seq) {
    f.broker.Publish(MakeEvent(seq));
    CHECK(f.delivered.back() == seq);  // on the publisher's stack, before Publish returns
  }
  CHECK(f.delivered == (std::vector<int64_t>{1, 2, 3}));
  CHECK(f.broker.stats().published == 3);
  CHECK(f.broker.stats().delivered == 3);
  CHECK(f.broker.stats().dropped == 0);
}

TEST_CASE("in-process broker: delivers whatever the subscriptions, which it only records",
          "[broker]") {
  Fixture f;
  f.broker.Subscribe("b1");
  f.broker.Subscribe("b1");  // a set, not a count
  f.broker.Subscribe(kGlobalChannel);
  f.broker.Unsubscribe("b1");
  CHECK(f.broker.channels() == std::set<std::string>{""});
  f.broker.Publish(MakeEvent(1, "messages", "b2"));
  CHECK(f.delivered == std::vector<int64_t>{1});
}

TEST_CASE("in-process broker: a repeated or older seq is dropped, never delivered twice",
          "[broker]") {
  Fixture f;
  f.broker.Publish(MakeEvent(5));
  f.broker.Publish(MakeEvent(5));
  f.broker.Publish(MakeEvent(4));
  f.broker.Publish(MakeEvent(6));
  CHECK(f.delivered == (std::vector<int64_t>{5, 6}));
  CHECK(f.broker.stats().dropped == 2);
  CHECK(f.broker.last_delivered() == 6);
}

TEST_CASE("in-process broker: nothing is delivered before SetDelivery", "[broker]") {
  InProcessBroker broker;
  broker.Publish(MakeEvent(1));
  CHECK(broker.stats().dropped == 1);
  std::vector<int64_t> delivered;
  broker.SetDelivery([&](const Event& ev) { delivered.push_back(ev.seq); });
  broker.Publish(MakeEvent(2));
  CHECK(delivered == std::vector<int64_t>{2});
}

TEST_CASE("in-process broker: a publish from inside a delivery waits for it to return",
          "[broker]") {
  InProcessBroker broker;
  std::vector<std::string> trace;
  broker.SetDelivery([&](const Event& ev) {
    trace.push_back("begin " + std::to_string(ev.seq));
    if (ev.seq < 3) broker.Publish(MakeEvent(ev.seq + 1));
    trace.push_back("end " + std::to_string(ev.seq));
  });
  broker.Publish(MakeEvent(1));
  CHECK(trace ==
        std::vector<std::string>{"begin 1", "end 1", "begin 2", "end 2", "begin 3", "end 3"});
  CHECK(broker.stats().delivered == 3);
}

TEST_CASE("broker: global events travel on the global channel, the others on their board",
          "[broker]") {
  CHECK(Broker::ChannelOf(MakeEvent(1, "messages", "b1")) == "b1");
  CHECK(Broker::ChannelOf(MakeEvent(1, "sessions", "b1")) == kGlobalChannel);  // moves, any node
  CHECK(Broker::ChannelOf(MakeEvent(1, "tasks", "b1")) == kGlobalChannel);  // stops, any node
  CHECK(Broker::ChannelOf(MakeEvent(1, "boards", "b1")) == kGlobalChannel);
  CHECK(Broker::ChannelOf(MakeEvent(1, "board-members", "b1")) == kGlobalChannel);
  CHECK(Broker::ChannelOf(MakeEvent(1, "repos", "b1")) == kGlobalChannel);
  CHECK(Broker::ChannelOf(MakeEvent(1, "users", "")) == kGlobalChannel);
  CHECK(Broker::ChannelOf(MakeEvent(1, "api-keys", "")) == kGlobalChannel);
}

}  // namespace
}  // namespace agor
