// The feed's rules (store/activity_feed.h) over hand-made events: which events make entries,
// their one-line summaries and names, and which grow an earlier entry.
#include "store/activity_feed.h"

#include <catch2/catch.hpp>
#include <map>

#include "base/clock.h"
#include "base/utf8.h"

namespace agor {
namespace {

const std::string kBoard = "b0000000-0000-4000-8000-000000000000";
const std::string kSession = "5e551011-0000-4000-8000-000000000000";
const std::string kTask = "7a5c0000-0000-4000-8000-000000000000";
const std::string kAna = "a0a00000-0000-4000-8000-000000000000";
const std::string kBo = "b0b00000-0000-4000-8000-000000000000";

class Names : public ActivityNames {
 public:
  std::string UserName(const std::string& user_id) override {
    auto it = users.find(user_id);
    return it == users.end() ? "" : it->second;
  }
  bool Session(const std::string& session_id, std::string* title, std::string* tool) override {
    if (session_id != kSession) return false;
    *title = session_title;
    *tool = "claude-code";
    return true;
  }
  std::map<std::string, std::string> users{{kAna, "ana"}};
  std::string session_title = "fix-login";
};

int64_t seq = 0;

Event Make(const char* service, const char* event, Json record, int64_t at_ms = 0) {
  Event ev;
  ev.seq = ++seq;
  ev.ts = FormatIso8601(1764150000000 + at_ms);
  ev.service = service;
  ev.event = event;
  ev.board_id = kBoard;
  if (std::string(service) != "boards" && std::string(service) != "board-members")
    ev.session_id = kSession;
  ev.actor_id = kAna;
  ev.record = std::move(record);
  return ev;
}

Event AgentMessage(int64_t at_ms = 0) {
  Event ev = Make("messages", "created",
                  {{"session_id", kSession}, {"task_id", kTask}, {"role", "assistant"}}, at_ms);
  ev.actor_agent = "claude-code";
  return ev;
}

ActivityEntry Derive(const Event& ev, const ActivityEntry* previous = nullptr,
                     ActivityChange want = ActivityChange::kCreated) {
  Names names;
  ActivityEntry out;
  REQUIRE(DeriveActivity(ev, previous, names, &out) == want);
  return out;
}

TEST_CASE("the feed says who did what to boards, sessions and tasks", "[activity]") {
  ActivityEntry e = Derive(Make("boards", "created", {{"board_id", kBoard}, {"name", "Web"}}));
  CHECK(e.summary == "ana created board Web");
  CHECK(e.verb == "created");
  CHECK(e.session_id.empty());
  e = Derive(Make("sessions", "created", {{"session_id", kSession}, {"title", "fix-login"}}));
  CHECK(e.summary == "ana created session fix-login");
  e = Derive(Make("sessions", "removed", {{"session_id", kSession}, {"title", nullptr}}));
  CHECK(e.summary == "ana removed session 5e551011");  // no title: the id's prefix
  e = Derive(Make("tasks", "created", {{"task_id", kTask}, {"session_id", kSession}}));
  CHECK(e.summary == "ana prompted claude-code in fix-login");
  CHECK(e.verb == "prompted");
  CHECK(e.task_id == kTask);
  e = Derive(Make("tasks", "patched",
                  {{"task_id", kTask}, {"status", "completed"}, {"duration_ms", 34200}}));
  CHECK(e.summary == "task in fix-login completed in 34 s");
  CHECK(e.verb == "completed");
  e = Derive(Make("tasks", "patched", {{"status", "failed"}, {"error", "exit 1\nboom"}}));
  CHECK(e.summary == "task in fix-login failed: exit 1 boom");  // one line
  e = Derive(Make("tasks", "patched", {{"status", "stopped"}, {"duration_ms", 2500}}));
  CHECK(e.summary == "task in fix-login stopped after 2.5 s");
}

TEST_CASE("members joining, changing role and leaving", "[activity]") {
  Json member{{"board_id", kBoard}, {"user_id", kBo}, {"role", "viewer"}};
  Names names;
  names.users[kBo] = "bo";
  ActivityEntry e;
  REQUIRE(DeriveActivity(Make("board-members", "created", member), nullptr, names, &e) ==
          ActivityChange::kCreated);
  CHECK(e.summary == "bo joined the board");
  CHECK(e.verb == "joined");
  CHECK(e.actor_name == "ana");
  DeriveActivity(Make("board-members", "patched", member), nullptr, names, &e);
  CHECK(e.summary == "bo is now viewer on the board");
  DeriveActivity(Make("board-members", "removed", member), nullptr, names, &e);
  CHECK(e.summary == "bo left the board");
  CHECK(e.verb == "left");
}

TEST_CASE("names: a user without a name is no email, the daemon is agor", "[activity]") {
  Event ev = Make("sessions", "created", {{"title", "x"}});
  ev.actor_id = kBo;  // no name
  CHECK(Derive(ev).summary == "user b0b00000 created session x");
  ev.actor_id.clear();
  CHECK(Derive(ev).summary == "agor created session x");
  Event queued = Make("tasks", "created", {{"task_id", kTask}});
  queued.actor_id.clear();
  CHECK(Derive(queued).summary == "a queued prompt started claude-code in fix-login");
}

TEST_CASE("what makes no entry", "[activity]") {
  Names names;
  ActivityEntry out;
  auto none = [&](const Event& ev) {
    return DeriveActivity(ev, nullptr, names, &out) == ActivityChange::kNone;
  };
  Event repo = Make("repos", "created", {{"slug", "r"}});
  repo.board_id.clear();
  CHECK(none(repo));
  Event user = Make("users", "created", {{"user_id", kBo}});
  user.board_id.clear();
  CHECK(none(user));
  CHECK(none(Make("tasks", "patched", {{"status", "running"}})));
  CHECK(none(Make("tasks", "patched", {{"status", "stopping"}})));
  CHECK(none(Make("messages", "patched", {{"role", "user"}})));
  // The prompt's own message: its task's `prompted` entry says it.
  CHECK(none(Make("messages", "created", {{"task_id", kTask}, {"role", "user"}})));
  Event run = Make("sessions", "patched", {{"status", "running"}});
  run.actor_agent = "claude-code";
  CHECK(none(run));
  Event restart = Make("sessions", "patched", {{"status", "idle"}});
  restart.actor_id.clear();
  CHECK(none(restart));
}

TEST_CASE("a task's burst of messages is one growing entry", "[activity]") {
  Event first = AgentMessage();
  REQUIRE(GroupOf(first) == ActivityGroup::kTask);
  ActivityEntry e = Derive(first);
  CHECK(e.summary == "claude-code wrote a message in fix-login");
  CHECK(e.actor_id == kAna);  // on whose behalf
  CHECK(e.actor_name == "claude-code");
  e.activity_id = "kept";
  for (int i = 2; i <= 14; ++i) {
    // A task's messages group however far apart: the run is one thing that happened.
    e = Derive(AgentMessage(i * 120000), &e, ActivityChange::kGrown);
  }
  CHECK(e.activity_id == "kept");
  CHECK(e.count == 14);
  CHECK(e.summary == "claude-code wrote 14 messages in fix-login");
  CHECK(e.last_seq > e.first_seq);
  CHECK(e.ts == FormatIso8601(1764150000000 + 14 * 120000));
  // Another task's message starts its own entry.
  Event other = AgentMessage();
  other.record["task_id"] = "7a5c0001-0000-4000-8000-000000000000";
  Derive(other, &e, ActivityChange::kCreated);
}

TEST_CASE("messages without a task group per actor, session and minute", "[activity]") {
  auto message = [](int64_t at_ms) {
    return Make("messages", "created", {{"session_id", kSession}, {"role", "user"}}, at_ms);
  };
  REQUIRE(GroupOf(message(0)) == ActivityGroup::kSession);
  ActivityEntry e = Derive(message(0));
  e = Derive(message(30000), &e, ActivityChange::kGrown);
  e = Derive(message(89000), &e, ActivityChange::kGrown);  // 59 s after the previous
  CHECK(e.summary == "ana wrote 3 messages in fix-login");
  Derive(message(89000 + kActivityGroupMs + 1), &e, ActivityChange::kCreated);
  Event bo = message(90000);
  bo.actor_id = kBo;
  Derive(bo, &e, ActivityChange::kCreated);  // someone else
}

TEST_CASE("updates of one record by one actor group, others do not", "[activity]") {
  Event move = Make("sessions", "patched", {{"session_id", kSession}, {"title", "fix-login"}});
  REQUIRE(GroupOf(move) == ActivityGroup::kBoard);
  ActivityEntry e = Derive(move);
  CHECK(e.summary == "ana updated session fix-login");
  e = Derive(Make("sessions", "patched", {{"title", "fix-login"}}, 1000), &e,
             ActivityChange::kGrown);
  CHECK(e.summary == "ana updated session fix-login (2 times)");
  Derive(Make("boards", "patched", {{"name", "Web"}}, 2000), &e, ActivityChange::kCreated);
  // A created entry never grows.
  ActivityEntry created = Derive(Make("sessions", "created", {{"title", "fix-login"}}));
  Derive(Make("sessions", "patched", {{"title", "fix-login"}}), &created);
}

TEST_CASE("summaries are one bounded line of valid UTF-8", "[activity]") {
  std::string title;
  for (int i = 0; i < 150; ++i) title += "\xc3\xa9";  // 300 bytes of é
  title += "\n\x1b[31m";
  ActivityEntry e = Derive(Make("sessions", "created", {{"title", title}}));
  CHECK(e.summary.size() <= kMaxSummaryBytes);
  CHECK(IsValidUtf8(e.summary));
  CHECK(e.summary.find('\n') == std::string::npos);
  Event bad = Make("boards", "created", {{"name", std::string("a\xff\xfe") + "b"}});
  CHECK(IsValidUtf8(Derive(bad).summary));
}

TEST_CASE("the wire record", "[activity]") {
  ActivityEntry e = Derive(AgentMessage());
  e.activity_id = "id";
  Json j = e.ToJson();
  CHECK(j["actor"] == Json{{"user_id", kAna}, {"name", "claude-code"}});
  CHECK(j["task_id"] == kTask);
  CHECK(j["count"] == 1);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"activity_id", "board_id", "session_id", "task_id",
                                         "actor", "verb", "summary", "count", "first_seq",
                                         "last_seq", "ts"});
  e.actor_id.clear();
  e.session_id.clear();
  CHECK(e.ToJson()["actor"]["user_id"].is_null());
  CHECK(e.ToJson()["session_id"].is_null());
}

TEST_CASE("durations", "[activity]") {
  CHECK(FormatDuration(400) == "0.4 s");
  CHECK(FormatDuration(34000) == "34 s");
  CHECK(FormatDuration(200000) == "3 min 20 s");
  CHECK(FormatDuration(7500000) == "2 h 5 min");
  CHECK(FormatDuration(-5) == "0.0 s");
}

}  // namespace
}  // namespace agor
