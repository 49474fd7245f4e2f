// BrokerInterest (server/realtime/broker_interest.h): the hub's channels become the broker's
// board subscriptions, a session's through its board, the global channel always.
#include "server/realtime/broker_interest.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "server/realtime/in_process_broker.h"

namespace agor {
namespace {

using Channels = std::set<std::string>;

struct Fixture {
  Fixture()
      : interest(&broker, [this](const std::string& session) {
          auto it = sessions.find(session);
          return it == sessions.end() ? std::string() : it->second;
        }) {}
  InProcessBroker broker;  // records its subscriptions
  std::map<std::string, std::string> sessions{{"s1", "A"}, {"s2", "A"}, {"s3", "B"}};
  BrokerInterest interest;
};

TEST_CASE("broker interest: the global channel is subscribed from the start", "[broker]") {
  Fixture f;
  CHECK(f.broker.channels() == Channels{kGlobalChannel});
  CHECK(f.interest.subscribed() == 1);
}

TEST_CASE("broker interest: a board channel is subscribed while the hub wants it", "[broker]") {
  Fixture f;
  f.interest.OnChannel(Hub::kBoardChannel, "A", true);
  CHECK(f.broker.channels() == Channels{"", "A"});
  f.interest.OnChannel(Hub::kBoardChannel, "A", false);
  CHECK(f.broker.channels() == Channels{""});
}

TEST_CASE("broker interest: a session wants its board, counted with the board's own channel",
          "[broker]") {
  Fixture f;
  f.interest.OnChannel(Hub::kSessionChannel, "s1", true);
  f.interest.OnChannel(Hub::kSessionChannel, "s2", true);
  f.interest.OnChannel(Hub::kBoardChannel, "A", true);
  f.interest.OnChannel(Hub::kSessionChannel, "s3", true);
  CHECK(f.broker.channels() == Channels{"", "A", "B"});
  f.interest.OnChannel(Hub::kBoardChannel, "A", false);
  f.interest.OnChannel(Hub::kSessionChannel, "s1", false);
  CHECK(f.broker.channels() == Channels{"", "A", "B"});  // s2 still wants A
  f.sessions["s2"] = "B";  // moved meanwhile: the leave drops the board its join took
  f.interest.OnChannel(Hub::kSessionChannel, "s2", false);
  f.interest.OnChannel(Hub::kSessionChannel, "s3", false);
  CHECK(f.broker.channels() == Channels{""});
}

TEST_CASE("broker interest: a session that does not exist subscribes nothing", "[broker]") {
  Fixture f;
  f.interest.OnChannel(Hub::kSessionChannel, "nope", true);
  f.interest.OnChannel(Hub::kSessionChannel, "nope", false);
  f.interest.OnChannel(Hub::kBoardChannel, "never-joined", false);
  CHECK(f.broker.channels() == Channels{""});
}

Event SessionMoved(const std::string& session, const std::string& board,
                   const std::string& name = "patched") {
  Event ev;
  ev.seq = 1;
  ev.service = "sessions";
  ev.event = name;
  ev.session_id = session;
  ev.board_id = board;
  return ev;
}

TEST_CASE("broker interest: a followed session moved to another board takes its want along",
          "[broker]") {
  Fixture f;
  f.interest.OnChannel(Hub::kSessionChannel, "s1", true);
  f.interest.OnChannel(Hub::kSessionChannel, "s2", true);
  CHECK(f.broker.channels() == Channels{"", "A"});
  f.interest.OnEvent(SessionMoved("s1", "C"));
  CHECK(f.broker.channels() == Channels{"", "A", "C"});  // s2 still wants A
  f.interest.OnEvent(SessionMoved("s2", "C", "updated"));
  CHECK(f.broker.channels() == Channels{"", "C"});
  f.interest.OnEvent(SessionMoved("s2", "C"));  // a patch that does not move it
  f.interest.OnEvent(SessionMoved("s3", "D"));  // not followed here
  f.interest.OnEvent(SessionMoved("s1", ""));   // no board: nothing to follow
  Event other = SessionMoved("s1", "E");
  other.service = "messages";
  f.interest.OnEvent(other);
  CHECK(f.broker.channels() == Channels{"", "C"});
  f.interest.OnChannel(Hub::kSessionChannel, "s1", false);
  CHECK(f.broker.channels() == Channels{"", "C"});
  f.interest.OnChannel(Hub::kSessionChannel, "s2", false);  // the leave drops the new board
  CHECK(f.broker.channels() == Channels{""});
}

}  // namespace
}  // namespace agor
