#include "cmd/activity_feed.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>

namespace agor {
namespace {

using Verdict = ActivityLedger::Verdict;

Json Entry(const std::string& id, std::int64_t count, std::int64_t last_seq) {
  return {{"activity_id", id},
          {"board_id", "829358af-46a4-4745-9f79-cbf70e129a46"},
          {"session_id", nullptr},
          {"task_id", nullptr},
          {"actor", {{"user_id", nullptr}, {"name", "claude-code"}}},
          {"verb", "wrote"},
          {"summary", "claude-code wrote " + std::to_string(count) + " messages"},
          {"count", count},
          {"first_seq", 10},
          {"last_seq", last_seq},
          {"ts", "2026-12-02T05:03:37.000Z"}};
}

// Runs ActivityLine in UTC so the clock is predictable.
std::string LineInUtc(const Json& entry, bool grew, bool color) {
  const char* old = getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  std::string line = ActivityLine(entry, grew, color);
  old ? setenv("TZ", saved.c_str(), 1) : unsetenv("TZ");
  tzset();
  return line;
}

}  // namespace

TEST_CASE("ActivityLedger prints each state once, the latest count winning", "[activity]") {
  ActivityLedger ledger;
  CHECK(ledger.Admit(Entry("a", 1, 10)) == Verdict::kNew);
  CHECK(ledger.Admit(Entry("a", 1, 10)) == Verdict::kSeen);  // the page and the live event
  CHECK(ledger.Admit(Entry("a", 3, 12)) == Verdict::kGrew);
  CHECK(ledger.Admit(Entry("a", 2, 11)) == Verdict::kSeen);  // an older state, late
  CHECK(ledger.Admit(Entry("a", 4, 12)) == Verdict::kGrew);  // same seq, larger count
  CHECK(ledger.Admit(Entry("b", 1, 13)) == Verdict::kNew);
  CHECK(ledger.Admit({{"summary", "no id"}}) == Verdict::kSeen);
  CHECK(ledger.Admit(Json::array()) == Verdict::kSeen);
  Json hostile = Entry("c", 1, 10);
  hostile["last_seq"] = "12";
  hostile["count"] = -5;
  CHECK(ledger.Admit(hostile) == Verdict::kNew);
  CHECK(ledger.Admit(hostile) == Verdict::kSeen);
}

TEST_CASE("ActivityLedger remembers a bounded number of entries", "[activity]") {
  ActivityLedger ledger;
  for (std::size_t i = 0; i <= ActivityLedger::kMaxRemembered; ++i) {
    REQUIRE(ledger.Admit(Entry(std::to_string(i), 1, 10)) == Verdict::kNew);
  }
  // The first one was forgotten to make room: it would print again; the newest is known.
  CHECK(ledger.Admit(Entry("0", 1, 10)) == Verdict::kNew);
  CHECK(ledger.Admit(Entry(std::to_string(ActivityLedger::kMaxRemembered), 1, 10)) ==
        Verdict::kSeen);
}

TEST_CASE("ActivityLine: time, summary, and what grew", "[activity]") {
  CHECK(LineInUtc(Entry("a", 14, 20), false, false) == "05:03:37  claude-code wrote 14 messages\n");
  CHECK(LineInUtc(Entry("a", 20, 26), true, false) ==
        "05:03:37  claude-code wrote 20 messages  (updated, count 20)\n");
  CHECK(LineInUtc(Entry("a", 20, 26), true, true) ==
        "\x1b[2m05:03:37\x1b[0m  claude-code wrote 20 messages  "
        "\x1b[33m(updated, count 20)\x1b[0m\n");
  Json bare = {{"activity_id", "x"}, {"verb", "joined"}, {"actor", {{"name", "bo"}}}};
  CHECK(LineInUtc(bare, false, false) == "--:--:--  bo joined\n");
  Json evil = {{"summary", "evil\x1b[31mRED\nnext line"}, {"actor", 3}};
  std::string line = LineInUtc(evil, true, false);
  CHECK(line == "--:--:--  evil\\x1b[31mRED\\nnext line  (updated)\n");
}

}  // namespace agor
