#include "cmd/watch_event.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>

namespace agor {
namespace {

const char* kBoard = "829358af-46a4-4745-9f79-cbf70e129a46";
const char* kSession = "5e6f7a8b-0000-4000-8000-000000000001";

WatchEvent FromFrame(const std::string& name, const Json& record, const std::string& offset) {
  WatchEvent event;
  REQUIRE(EventFromFrame(name, record, offset, &event));
  return event;
}

// Runs the summary in UTC so the clock column is predictable.
std::string SummaryInUtc(const WatchEvent& event, bool color) {
  const char* old = getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "UTC", 1);
  tzset();
  std::string line = FormatEventSummary(event, color);
  old ? setenv("TZ", saved.c_str(), 1) : unsetenv("TZ");
  tzset();
  return line;
}

}  // namespace

TEST_CASE("ParseSeq takes decimal offsets only", "[watch]") {
  CHECK(ParseSeq("0") == 0);
  CHECK(ParseSeq("17") == 17);
  CHECK(ParseSeq("") == -1);
  CHECK(ParseSeq("-1") == -1);
  CHECK(ParseSeq("1a") == -1);
  CHECK(ParseSeq("9999999999999999999999") == -1);
}

TEST_CASE("EventFromFrame splits the name and reads board and session", "[watch]") {
  WatchEvent e =
      FromFrame("messages created",
                {{"message_id", "m"}, {"session_id", kSession}, {"board_id", kBoard}}, "42");
  CHECK(e.seq == 42);
  CHECK(e.service == "messages");
  CHECK(e.event == "created");
  CHECK(e.board_id == kBoard);
  CHECK(e.session_id == kSession);
  CHECK(FromFrame("repos created", {{"repo_id", "r"}}, "").seq == -1);
  CHECK(FromFrame("repos created", {{"repo_id", "r"}}, "").board_id.is_null());
  WatchEvent ignored;
  CHECK_FALSE(EventFromFrame("presence", Json::object(), "", &ignored));
  CHECK_FALSE(EventFromFrame(" created", Json::object(), "", &ignored));
  CHECK_FALSE(EventFromFrame("boards ", Json::object(), "", &ignored));
}

TEST_CASE("EventFromLog reads an event-log entry", "[watch]") {
  Json entry = {{"seq", 7},
                {"ts", "2026-11-26T11:55:13.617Z"},
                {"service", "tasks"},
                {"event", "patched"},
                {"board_id", kBoard},
                {"session_id", kSession},
                {"record", {{"task_id", "t"}, {"session_id", kSession}}}};
  WatchEvent e;
  REQUIRE(EventFromLog(entry, &e));
  CHECK(e.seq == 7);
  CHECK(e.service == "tasks");
  CHECK(e.event == "patched");
  CHECK(e.board_id == kBoard);  // from the entry when the record lacks it
  CHECK(e.session_id == kSession);
  CHECK(e.record == entry["record"]);
  CHECK(e.ts == "2026-11-26T11:55:13.617Z");
  CHECK_FALSE(EventFromLog({{"service", "tasks"}, {"event", "patched"}}, &e));
  CHECK_FALSE(EventFromLog({{"seq", "7"}, {"service", "tasks"}, {"event", "patched"}}, &e));
  CHECK_FALSE(EventFromLog(Json::array(), &e));
}

TEST_CASE("WatchFilter: services, events, and boards or sessions as one scope", "[watch]") {
  WatchEvent board = FromFrame("boards patched", {{"board_id", kBoard}}, "1");
  WatchEvent message =
      FromFrame("messages created",
                {{"message_id", "m"}, {"session_id", kSession}, {"board_id", "other"}}, "2");
  WatchEvent repo = FromFrame("repos created", {{"repo_id", "r"}}, "3");
  WatchFilter all;
  CHECK(all.Passes(board));
  CHECK(all.Passes(repo));
  WatchFilter by_board;
  by_board.boards = {kBoard};
  CHECK(by_board.Passes(board));
  CHECK_FALSE(by_board.Passes(message));
  CHECK_FALSE(by_board.Passes(repo));
  by_board.sessions = {kSession};
  CHECK(by_board.Passes(message));  // either scope admits it
  WatchFilter kinds;
  kinds.services = {"messages", "boards"};
  kinds.events = {"created"};
  CHECK(kinds.Passes(message));
  CHECK_FALSE(kinds.Passes(board));
  CHECK_FALSE(kinds.Passes(repo));
}

TEST_CASE("FormatEventJson writes one line in a fixed key order", "[watch]") {
  WatchEvent e = FromFrame("boards created", {{"board_id", kBoard}, {"name", "x"}}, "5");
  CHECK(FormatEventJson(e) == std::string(R"({"seq":5,"ts":null,"service":"boards",)") +
                                  R"("event":"created","board_id":")" + kBoard +
                                  R"(","session_id":null,"data":{"board_id":")" + kBoard +
                                  R"(","name":"x"}})" + "\n");
  WatchEvent live = FromFrame("repos removed", {{"repo_id", "r"}}, "");
  CHECK(FormatEventJson(live) ==
        R"({"seq":null,"ts":null,"service":"repos","event":"removed","board_id":null,)"
        R"("session_id":null,"data":{"repo_id":"r"}})"
        "\n");
}

TEST_CASE("A log-entry frame gives the line its ts and session_id", "[watch]") {
  Json entry = {{"seq", 9},
                {"ts", "2026-11-26T11:55:13.617Z"},
                {"service", "tasks"},
                {"event", "patched"},
                {"board_id", kBoard},
                {"session_id", kSession},
                {"record", {{"task_id", "t"}, {"status", "running"}}}};
  WatchEvent e = FromFrame("events created", entry, "9");
  CHECK(e.seq == 9);
  CHECK(e.service == "tasks");
  CHECK(e.session_id == kSession);
  CHECK(FormatEventJson(e) ==
        std::string(R"({"seq":9,"ts":"2026-11-26T11:55:13.617Z","service":"tasks",)") +
            R"("event":"patched","board_id":")" + kBoard + R"(","session_id":")" + kSession +
            R"(","data":{"task_id":"t","status":"running"}})" + "\n");
  entry["actor"] = {{"user_id", kBoard}, {"agent", "claude-code"}};  // who caused it
  WatchEvent acted = FromFrame("events created", entry, "9");
  CHECK(FormatEventJson(acted) ==
        std::string(R"({"seq":9,"ts":"2026-11-26T11:55:13.617Z","service":"tasks",)") +
            R"("event":"patched","board_id":")" + kBoard + R"(","session_id":")" + kSession +
            R"(","data":{"task_id":"t","status":"running"},"actor":{"user_id":")" + kBoard +
            R"(","agent":"claude-code"}})" + "\n");
  WatchEvent bad;
  CHECK_FALSE(EventFromFrame("events created", {{"seq", "x"}}, "9", &bad));
  CHECK_FALSE(EventFromFrame("events created", "not an entry", "9", &bad));
}

TEST_CASE("FormatEventSummary shows the event's time, not the record's", "[watch]") {
  Json entry = {{"seq", 3},
                {"ts", "2026-11-26T12:00:01.000Z"},
                {"service", "boards"},
                {"event", "patched"},
                {"board_id", kBoard},
                {"session_id", nullptr},
                {"record", {{"board_id", kBoard}, {"updated_at", "2026-11-26T09:00:00.000Z"}}}};
  WatchEvent e = FromFrame("events created", entry, "3");
  CHECK(SummaryInUtc(e, false).rfind("12:00:01  #3  boards patched", 0) == 0);
}

TEST_CASE("FormatEventSummary escapes what the daemon sent", "[watch]") {
  WatchEvent e = FromFrame(
      "boards created\x1b[2J",
      {{"board_id", "\x1b[31m" + std::string(kBoard)}, {"name", "evil\x1b[31mRED\xc2\x9b"}}, "4");
  std::string line = SummaryInUtc(e, true);
  CHECK(line.find("evil\\x1b[31mRED\\u009b") != std::string::npos);
  CHECK(line.find("created\\x1b[2J") != std::string::npos);
  CHECK(line.find("\\x1b[31m") != std::string::npos);
  // The only escapes left are the colours the line itself adds.
  std::string plain = SummaryInUtc(e, false);
  CHECK(plain.find('\x1b') == std::string::npos);
}

TEST_CASE("FormatEventSummary: time, seq, kind, short id, excerpt", "[watch]") {
  WatchEvent session = FromFrame("sessions created",
                                 {{"session_id", kSession},
                                  {"board_id", kBoard},
                                  {"status", "idle"},
                                  {"title", "Fix the\nlogin bug"},
                                  {"updated_at", "2026-11-26T11:55:13.617Z"}},
                                 "12");
  CHECK(SummaryInUtc(session, false) ==
        "11:55:13  #12  sessions created  5e6f7a8b  Fix the login bug [idle]\n");
  std::string colored = SummaryInUtc(session, true);
  CHECK(colored.find("\x1b[32msessions created\x1b[0m") != std::string::npos);
  CHECK(colored.find("\x1b[2m5e6f7a8b\x1b[0m") != std::string::npos);

  WatchEvent message =
      FromFrame("messages created",
                {{"message_id", "829358af-1111"},
                 {"role", "assistant"},
                 {"content", Json::array({{{"type", "text"}, {"text", std::string(100, 'a')}}})}},
                "");
  std::string line = SummaryInUtc(message, false);
  CHECK(line.rfind("--:--:--  #-  messages created  829358af  assistant: aaa", 0) == 0);
  CHECK(line.find("\xe2\x80\xa6\n") != std::string::npos);  // cut to one short line
}

TEST_CASE("Presence frames: cursor events join the presence service, board from boardId",
          "[watch][presence]") {
  WatchEvent moved = FromFrame("cursor-moved",
                               {{"userId", kSession},
                                {"presenceId", "p1234567-aaaa"},
                                {"boardId", kBoard},
                                {"x", 120},
                                {"y", -4.5},
                                {"timestamp", 1795694113617}},  // ms: 11:55:13 UTC
                               "");
  CHECK(moved.seq == -1);
  CHECK(moved.service == "presence");
  CHECK(moved.event == "cursor-moved");
  CHECK(moved.board_id == kBoard);
  CHECK(moved.session_id.is_null());
  CHECK(IsPresenceEvent(moved));
  CHECK(SummaryInUtc(moved, false) ==
        "11:55:13  #-  presence cursor-moved  p1234567  user 5e6f7a8b at 120,-4.5\n");
  WatchEvent left = FromFrame("cursor-left", {{"userId", kSession}, {"boardId", 3}}, "");
  CHECK(left.board_id.is_null());  // a wrong type is no board
  CHECK(SummaryInUtc(left, false) == "--:--:--  #-  presence cursor-left  -  user 5e6f7a8b left\n");
  // Hostile shapes never throw.
  WatchEvent odd = FromFrame("cursor-moved", Json::array({1, 2}), "");
  CHECK(SummaryInUtc(odd, false).find("user - at ?,?") != std::string::npos);
  WatchEvent entry = FromFrame("presence patched",
                               {{"presence_id", "a1b2c3d4-0000"},
                                {"name", "ana"},
                                {"emoji", "\xf0\x9f\xa6\x8a"},
                                {"board_id", kBoard},
                                {"selected_session_id", kSession},
                                {"typing_session_id", kSession},
                                {"idle", true},
                                {"last_active", "2026-11-26T11:55:13.617Z"}},
                               "");
  CHECK(IsPresenceEvent(entry));
  CHECK(SummaryInUtc(entry, false) ==
        "11:55:13  #-  presence patched  a1b2c3d4  ana \xf0\x9f\xa6\x8a, viewing 5e6f7a8b, "
        "typing in 5e6f7a8b, idle\n");
  CHECK(FormatEventJson(moved).rfind(
            R"({"seq":null,"ts":null,"service":"presence","event":"cursor-moved","board_id":")",
            0) == 0);
  CHECK_FALSE(IsPresenceEvent(FromFrame("activity created", {{"board_id", kBoard}}, "")));
}

TEST_CASE("WatchFilter drops presence and activity frames unless asked", "[watch][presence]") {
  WatchEvent joined = FromFrame("presence created", {{"board_id", kBoard}}, "");
  WatchEvent moved = FromFrame("cursor-moved", {{"boardId", kBoard}}, "");
  WatchEvent feed = FromFrame("activity created", {{"board_id", kBoard}}, "");
  WatchFilter plain;
  CHECK_FALSE(plain.Passes(joined));
  CHECK_FALSE(plain.Passes(moved));
  CHECK_FALSE(plain.Passes(feed));  // the feed summarises what the stream shows
  WatchFilter feed_only;
  feed_only.services = {"activity"};
  CHECK(feed_only.Passes(feed));
  CHECK_FALSE(feed_only.Passes(moved));
  WatchFilter with;
  with.presence = true;
  CHECK(with.Passes(joined));
  CHECK(with.Passes(moved));
  with.boards = {"another-board"};
  CHECK_FALSE(with.Passes(moved));  // the scope still applies, through boardId
  with.boards = {kBoard};
  CHECK(with.Passes(moved));
  with.events = {"created"};
  CHECK(with.Passes(joined));
  CHECK_FALSE(with.Passes(moved));
}

TEST_CASE("FormatEventSummary shows an activity entry's summary and id", "[watch]") {
  WatchEvent feed = FromFrame("activity patched",
                              {{"activity_id", "7a8b9c0d-1111"},
                               {"board_id", kBoard},
                               {"summary", "claude-code wrote 14 messages"},
                               {"ts", "2026-11-26T11:55:13.617Z"}},
                              "");
  CHECK(SummaryInUtc(feed, false) ==
        "11:55:13  #-  activity patched  7a8b9c0d  claude-code wrote 14 messages\n");
}

}  // namespace agor
