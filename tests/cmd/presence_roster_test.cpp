#include "cmd/presence_roster.h"

#include <catch2/catch.hpp>

namespace agor {
namespace {

const char* kBoard = "829358af-46a4-4745-9f79-cbf70e129a46";
const char* kSession = "5e6f7a8b-0000-4000-8000-000000000001";
const char* kOther = "6f7a8b9c-0000-4000-8000-000000000002";

Json Entry(const std::string& name, const Json& selected, const Json& typing, bool idle) {
  return {{"presence_id", "p-" + name},
          {"user_id", "0c1d2e3f-0000-4000-8000-000000000009"},
          {"name", name},
          {"emoji", "\xf0\x9f\xa6\x8a"},
          {"board_id", kBoard},
          {"cursor", nullptr},
          {"selected_session_id", selected},
          {"typing_session_id", typing},
          {"idle", idle},
          {"last_active", "2026-12-02T05:03:37.000Z"}};
}

}  // namespace

TEST_CASE("RosterEntries takes an array or a page and drops what is not an entry", "[who]") {
  Json entries;
  REQUIRE(RosterEntries(Json::array({Entry("ana", nullptr, nullptr, false), 7}), "GET /presence",
                        &entries)
              .ok());
  CHECK(entries.size() == 1);
  Json page = {{"total", 1}, {"limit", 10}, {"skip", 0}, {"data", entries}};
  REQUIRE(RosterEntries(page, "GET /presence", &entries).ok());
  CHECK(entries.size() == 1);
  Status bad = RosterEntries({{"total", 1}}, "GET /presence", &entries);
  CHECK(bad.code() == Code::kGeneralError);
  CHECK(bad.message() == "unexpected answer to GET /presence");
  CHECK_FALSE(RosterEntries("text", "GET /presence", &entries).ok());
}

TEST_CASE("RosterSessionIds names each viewed or typed-in session once", "[who]") {
  Json entries = Json::array({Entry("ana", kSession, kSession, false),
                              Entry("bo", kOther, nullptr, false), Entry("cy", 5, "", true)});
  CHECK(RosterSessionIds(entries) == std::vector<std::string>{kSession, kOther});
}

TEST_CASE("RosterRows: who, the session by title or short id, typing, idle", "[who]") {
  Json entries =
      Json::array({Entry("ana", kSession, kSession, false), Entry("bo", kOther, nullptr, true)});
  Json rows = RosterRows(entries, {{kSession, "fix-login"}, {kOther, ""}});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["user"] == "\xf0\x9f\xa6\x8a ana");
  CHECK(rows[0]["viewing"] == "fix-login");
  CHECK(rows[0]["typing"] == "fix-login");
  CHECK(rows[0]["state"] == "active");
  CHECK(rows[0]["last_active"] == "2026-12-02T05:03:37.000Z");
  CHECK(rows[1]["viewing"] == "6f7a8b9c");  // an empty title shows the short id
  CHECK(rows[1]["typing"].is_null());
  CHECK(rows[1]["state"] == "idle");
  std::string table = FormatTable(RosterColumns(), rows, false);
  CHECK(table.rfind("USER", 0) == 0);
  CHECK(table.find("fix-login") != std::string::npos);
  CHECK(table.find("idle") != std::string::npos);
}

TEST_CASE("RosterRows survives hostile entries and escapes names", "[who]") {
  Json odd = {{"name", "evil\x1b[31mRED"}, {"idle", "yes"}, {"selected_session_id", 3}};
  Json rows = RosterRows(Json::array({odd, {{"user_id", kSession}}}), {});
  CHECK(rows[0]["state"] == "active");  // only true is idle
  CHECK(rows[0]["viewing"].is_null());
  CHECK(rows[1]["user"] == "5e6f7a8b");  // no name: the user's short id
  std::string table = FormatTable(RosterColumns(), rows, false);
  CHECK(table.find('\x1b') == std::string::npos);
  CHECK(table.find("evil\\x1b[31mRED") != std::string::npos);
}

}  // namespace agor
