// EventOrderer (server/realtime/event_orderer.h): whatever order, repetition or loss the broker
// brings, delivery is the log's events of the node's channels, ascending, each once.
#include "server/realtime/event_orderer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "tests/server/realtime/realtime_fixture.h"

namespace agor {
namespace {

using test::FakeClock;

// The event log in memory: seq i is events[i - 1].
class MemoryLog : public LogReader {
 public:
  Status ReadSince(int64_t after_seq, size_t max, std::vector<Event>* out) override {
    ++reads;
    if (failing) return Status::Unavailable("the log is down");
    size_t taken = 0;
    for (const Event& ev : events) {
      if (ev.seq <= after_seq) continue;
      if (taken++ == max) break;
      out->push_back(ev);
    }
    return Status::OK();
  }
  Status LastSeq(int64_t* out) override {
    if (failing) return Status::Unavailable("the log is down");
    *out = events.empty() ? 0 : events.back().seq;
    return Status::OK();
  }
  // Commits one event on `board` ("" for none) and returns it.
  const Event& Append(const std::string& board) {
    Event ev;
    ev.seq = static_cast<int64_t>(events.size()) + 1;
    ev.service = board.empty() ? "users" : "messages";
    ev.event = "created";
    ev.board_id = board;
    ev.record = {{"n", ev.seq}};
    events.push_back(ev);
    return events.back();
  }
  void AppendMany(int count, const std::string& board) {
    for (int i = 0; i < count; ++i) Append(board);
  }

  std::vector<Event> events;
  int reads = 0;
  bool failing = false;
};

// A node subscribed to board A and the global channel (not B), with what it delivered.
struct Fixture {
  explicit Fixture(EventOrderer::Options options = {})
      : orderer(
            0, &log, &clock, [](const Event& ev) { return ev.board_id != "B"; },
            [this](const Event& ev) { delivered.push_back(ev.seq); }, options) {}
  void Offer(int64_t seq) { orderer.Offer(log.events.at(static_cast<size_t>(seq - 1))); }
  void Elapse(int64_t ms) {
    clock.now += ms;
    orderer.Tick();
  }
  // The seqs of the log the node wants, in order: what delivery must end up being.
  std::vector<int64_t> Wanted() const {
    std::vector<int64_t> out;
    for (const Event& ev : log.events) {
      if (ev.board_id != "B") out.push_back(ev.seq);
    }
    return out;
  }

  MemoryLog log;
  FakeClock clock;
  std::vector<int64_t> delivered;
  EventOrderer orderer;
};

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

TEST_CASE("event orderer: events in order pass straight through, the log unread", "[orderer]") {
  Fixture f;
  f.log.AppendMany(10, "A");
  for (int64_t seq = 1; seq <= 10; ++seq) {
    f.Offer(seq);
    CHECK(f.delivered.size() == static_cast<size_t>(seq));  // at once, no tick needed
  }
  f.Elapse(1000);
  CHECK(f.delivered == Range(1, 10));
  CHECK(f.log.reads == 0);
  CHECK(f.orderer.stats().received == 10);
  CHECK(f.orderer.stats().delivered == 10);
  CHECK(f.orderer.stats().gap_fills == 0);
}

TEST_CASE("event orderer: shuffled and repeated input is delivered once each, in order",
          "[orderer]") {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    Fixture f;
    f.log.AppendMany(200, "A");
    std::vector<int64_t> input = Range(1, 200);
    std::mt19937 random(seed);
    for (int i = 0; i < 100; ++i) input.push_back(1 + static_cast<int64_t>(random() % 200));
    std::shuffle(input.begin(), input.end(), random);
    for (int64_t seq : input) f.Offer(seq);
    INFO("seed " << seed);
    CHECK(f.delivered == Range(1, 200));
    CHECK(f.orderer.stats().duplicates == 100);
    CHECK(f.orderer.held() == 0);
    CHECK(f.log.reads == 0);  // the clock never moved: every gap closed by the broker
  }
}

TEST_CASE("event orderer: a missing event is filled from the log once the delay passed",
          "[orderer]") {
  Fixture f;
  f.log.AppendMany(5, "A");
  for (int64_t seq : {1, 2, 4, 5}) f.Offer(seq);
  CHECK(f.delivered == Range(1, 2));
  CHECK(f.orderer.held() == 2);
  f.Elapse(99);
  CHECK(f.delivered == Range(1, 2));  // still within the delay: 3 may be in flight
  f.Elapse(1);
  CHECK(f.delivered == Range(1, 5));
  CHECK(f.orderer.stats().gap_fills == 1);
  CHECK(f.orderer.stats().filled == 3);      // 3, and 4 and 5 as the log has them
  CHECK(f.orderer.stats().duplicates == 2);  // the held 4 and 5
  f.Offer(3);                                // the broker's late copy
  CHECK(f.delivered == Range(1, 5));
  CHECK(f.orderer.stats().duplicates == 3);
}

TEST_CASE("event orderer: other channels' seqs are accounted for from the log, not delivered",
          "[orderer]") {
  Fixture f;
  f.log.Append("A");
  f.log.Append("B");
  f.log.Append("B");
  f.log.Append("");  // global: every node wants it
  f.log.Append("A");
  f.Offer(1);
  f.Offer(5);
  f.Offer(4);
  CHECK(f.delivered == std::vector<int64_t>{1});  // 2 and 3 might be ours: the log decides
  f.Elapse(100);
  CHECK(f.delivered == (std::vector<int64_t>{1, 4, 5}));
  CHECK(f.orderer.position() == 5);
  f.log.Append("A");
  f.Offer(6);  // next in line now: straight through
  CHECK(f.delivered == (std::vector<int64_t>{1, 4, 5, 6}));
}

TEST_CASE("event orderer: the tail check delivers what the broker never sent", "[orderer]") {
  Fixture f;
  f.log.Append("A");
  f.Offer(1);
  f.log.AppendMany(3, "A");  // committed, all three lost on the broker
  f.Elapse(10);              // seen past the position: the clock starts
  CHECK(f.delivered == Range(1, 1));
  f.Elapse(99);
  CHECK(f.delivered == Range(1, 1));
  f.Elapse(1);
  CHECK(f.delivered == Range(1, 4));
  CHECK(f.orderer.stats().filled == 3);
}

TEST_CASE("event orderer: a reconnected broker fills from the log at once", "[orderer]") {
  Fixture f;
  f.log.AppendMany(5, "A");
  f.Offer(1);
  f.Offer(2);
  f.orderer.Reconnected();
  CHECK(f.delivered == Range(1, 5));
  CHECK(f.orderer.stats().gap_fills == 1);
  for (int64_t seq = 3; seq <= 5; ++seq) f.Offer(seq);  // what the broker still had
  CHECK(f.delivered == Range(1, 5));
  CHECK(f.orderer.stats().duplicates == 3);
}

TEST_CASE("event orderer: past the cap held events are dropped and the log gives them again",
          "[orderer]") {
  EventOrderer::Options options;
  options.max_held = 3;
  Fixture f(options);
  f.log.AppendMany(10, "A");
  f.Offer(1);
  for (int64_t seq : {10, 9, 8}) f.Offer(seq);
  CHECK(f.orderer.held() == 3);
  f.Offer(7);  // one too many: no waiting for the delay
  CHECK(f.orderer.held() == 0);
  CHECK(f.delivered == Range(1, 10));
  CHECK(f.orderer.stats().overflows == 1);
  for (int64_t seq = 2; seq <= 10; ++seq) f.Offer(seq);
  CHECK(f.delivered == Range(1, 10));
}

TEST_CASE("event orderer: a long catch-up reads one page per call", "[orderer]") {
  EventOrderer::Options options;
  options.fill_page = 4;
  Fixture f(options);
  f.log.AppendMany(10, "A");
  f.orderer.Reconnected();
  CHECK(f.delivered == Range(1, 4));
  f.orderer.Tick();
  CHECK(f.delivered == Range(1, 8));
  f.orderer.Tick();
  CHECK(f.delivered == Range(1, 10));
  f.orderer.Tick();  // caught up: the next tick only looks at the log's end
  CHECK(f.log.reads == 3);
}

TEST_CASE("event orderer: a failed log read is counted and retried on the next tick", "[orderer]") {
  Fixture f;
  f.log.AppendMany(3, "A");
  f.log.failing = true;
  f.orderer.Reconnected();
  CHECK(f.delivered.empty());
  CHECK(f.orderer.stats().fill_errors == 1);
  CHECK(f.orderer.last_error().code() == Code::kUnavailable);
  f.log.failing = false;
  f.orderer.Tick();
  CHECK(f.delivered == Range(1, 3));
}

// Random losses, repeats, reordering, reconnects and cap overflows over two subscribed
// channels and one that is not: at the end delivery is exactly the wanted part of the log.
TEST_CASE("event orderer: any mix of loss, repeats and reordering ends exactly once in order",
          "[orderer]") {
  for (unsigned seed = 1; seed <= 30; ++seed) {
    EventOrderer::Options options;
    options.max_held = 8;
    options.fill_page = 16;
    Fixture f(options);
    std::mt19937 random(seed);
    std::vector<int64_t> in_flight;
    const char* boards[] = {"A", "B", "", "B"};
    for (int i = 0; i < 300; ++i) {
      const Event& ev = f.log.Append(boards[random() % 4]);
      if (ev.board_id != "B" && random() % 5 != 0) in_flight.push_back(ev.seq);  // 1 in 5 lost
      if (random() % 10 == 0) in_flight.push_back(1 + random() % ev.seq);        // a repeat
      if (random() % 4 != 0) continue;
      std::shuffle(in_flight.begin(), in_flight.end(), random);
      for (int64_t seq : in_flight) f.Offer(seq);
      in_flight.clear();
      if (random() % 30 == 0) f.orderer.Reconnected();
      f.Elapse(static_cast<int64_t>(random() % 60));
    }
    for (int64_t seq : in_flight) f.Offer(seq);
    for (int i = 0; i < 100 && f.orderer.position() < 300; ++i) f.Elapse(100);
    INFO("seed " << seed);
    CHECK(f.delivered == f.Wanted());
    CHECK(f.orderer.held() == 0);
  }
}

}  // namespace
}  // namespace agor
