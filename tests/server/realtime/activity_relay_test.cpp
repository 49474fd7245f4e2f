// ActivityRelay (server/realtime/activity_relay.h): created at once, patches at most once per
// interval per entry with the latest winning and always delivered, bounded slots.
#include "server/realtime/activity_relay.h"

#include <catch2/catch.hpp>
#include <deque>

namespace agor {
namespace {

Event Activity(const std::string& id, const char* name, int count) {
  Event ev;
  ev.service = "activity";
  ev.event = name;
  ev.board_id = "b";
  ev.record = {{"activity_id", id}, {"count", count}};
  return ev;
}

// Timers run by hand: Elapse() fires every timer armed so far, as the interval passing would.
struct Fixture {
  Fixture()
      : relay([this](const Event& ev) { sent.push_back(ev); },
              [this](int ms, std::function<void()> fn) {
                CHECK(ms == 1000);
                timers.push_back(std::move(fn));
              }) {}
  void Elapse() {
    std::deque<std::function<void()>> due;
    due.swap(timers);
    for (auto& fn : due) fn();
  }
  std::vector<Event> sent;
  std::deque<std::function<void()>> timers;
  ActivityRelay relay;
};

TEST_CASE("a burst of patches reaches clients once per interval, the last one always",
          "[activity][relay]") {
  Fixture f;
  f.relay.Offer(Activity("a", "created", 1));
  REQUIRE(f.sent.size() == 1);
  for (int count = 2; count <= 200; ++count) f.relay.Offer(Activity("a", "patched", count));
  CHECK(f.sent.size() == 1);  // within the interval: they wait, replacing each other
  f.Elapse();
  REQUIRE(f.sent.size() == 2);
  CHECK(f.sent[1].event == "patched");
  CHECK(f.sent[1].record["count"] == 200);
  f.relay.Offer(Activity("a", "patched", 201));
  f.Elapse();
  REQUIRE(f.sent.size() == 3);
  CHECK(f.sent[2].record["count"] == 201);
  f.Elapse();  // nothing waited: the slot goes
  CHECK(f.relay.tracked() == 0);
  CHECK(f.timers.empty());
  // Quiet for an interval: the next patch goes at once.
  f.relay.Offer(Activity("a", "patched", 202));
  CHECK(f.sent.size() == 4);
}

TEST_CASE("entries are paced independently and the relay keeps only recent ones",
          "[activity][relay]") {
  Fixture f;
  for (int i = 0; i < 100; ++i) f.relay.Offer(Activity("e" + std::to_string(i), "created", 1));
  CHECK(f.sent.size() == 100);
  f.relay.Offer(Activity("e1", "patched", 2));
  f.relay.Offer(Activity("e2", "patched", 2));
  CHECK(f.sent.size() == 100);
  CHECK(f.relay.tracked() == 100);
  f.Elapse();
  CHECK(f.sent.size() == 102);
  CHECK(f.relay.tracked() == 2);
  f.Elapse();
  CHECK(f.relay.tracked() == 0);
  Event other;
  other.service = "activity";
  other.record = "not an entry";
  f.relay.Offer(other);  // nothing to pace it by: sent as it is
  CHECK(f.sent.size() == 103);
}

}  // namespace
}  // namespace agor
