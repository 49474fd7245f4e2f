// The activity feed and the events' actors end to end, one daemon (everybody channels, so the
// privacy of live frames rests on the one rule alone) with the Claude Code stand-in of
// tests/fixtures/agents: entries for board, session, prompt, task and member changes, a
// task's burst of messages as one entry whose live `activity patched` ends at its count,
// messages without a task grouped, $limit/$before paging, privacy (a user who cannot see the
// board gets an empty page, NotFound for its entries and no live frame of it), bad queries,
// and the actor of GET /events entries.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "tests/e2e/auth_test_helpers.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"

namespace agor {
namespace {

using test::AuthClient;
using test::EventStream;
using test::PushedEvent;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";

struct User {
  std::string id;
  std::string token;
  std::unique_ptr<AuthClient> api;
};

User NewUser(int port, AuthClient* admin, const std::string& name) {
  const std::string email = name + "@example.com";
  Json user = admin->Post(
      "/users", {{"email", email}, {"name", name}, {"role", "member"}, {"password", "password 1"}});
  User u;
  u.id = user["user_id"];
  u.token = test::Login(port, email, "password 1");
  u.api = std::make_unique<AuthClient>(port, u.token);
  return u;
}

// Whether `stream` got (already, or within the wait) an event `name` matching `match`.
bool Got(EventStream& stream, const std::string& name, const Json& match, PushedEvent* ev) {
  for (const PushedEvent& seen : stream.seen()) {
    bool all = seen.name == name;
    for (const auto& [k, v] : match.items()) all = all && seen.record.value(k, Json()) == v;
    if (all) return *ev = seen, true;
  }
  return stream.WaitFor(name, match, ev);
}

std::string BoardOf(const Json& record) {
  const Json& board = record.is_object() ? record.value("board_id", Json()) : Json();
  return board.is_string() ? board.get<std::string>() : "";
}

std::vector<std::string> Summaries(const Json& page) {
  std::vector<std::string> out;
  for (const Json& e : page["data"]) out.push_back(e["summary"]);
  return out;
}

}  // namespace

TEST_CASE("activity: entries, grouping, live events, paging, privacy, bad input, actors",
          "[e2e][activity]") {
  test::Daemon daemon({"--channels", "everybody"}, "",
                      {"AGOR_CLAUDE_BIN=" + kFixtures + "fake_agent.sh",
                       "AGOR_FIXTURE=" + kFixtures + "claude_tool_use.jsonl"});
  const int port = daemon.port();
  AuthClient admin(port, daemon.token());
  User ana = NewUser(port, &admin, "ana");
  User bo = NewUser(port, &admin, "bo");
  Json cy = admin.Post("/users", {{"email", "cy@example.com"}, {"name", "cy"}});
  EventStream ana_live(port, "", ana.token);
  EventStream bo_live(port, "", bo.token);

  // Board, session, prompt and the run's end, members, updates, messages without a task.
  const std::string board =
      ana.api->Post("/boards", {{"name", "Secret"}, {"visibility", "private"}})["board_id"];
  const std::string session =
      ana.api->Post("/sessions", {{"board_id", board}, {"title", "fix-login"}})["session_id"];
  const std::string task =
      ana.api->Post("/sessions/" + session + "/prompt", {{"prompt", "fix it"}})["task_id"];
  Json done;
  REQUIRE(ana_live.WaitTaskEnd(task, &done));
  REQUIRE(done["status"] == "completed");
  const int64_t wrote =
      ana.api->Get("/messages?task_id=" + task + "&$limit=0")["total"].get<int64_t>() - 1;
  REQUIRE(wrote >= 2);  // the prompt's own message is the task's `prompted` entry
  const std::string member =
      ana.api->Post("/board-members",
                    {{"board_id", board}, {"user_id", cy["user_id"]}, {"role", "viewer"}})["id"];
  ana.api->Patch("/board-members/" + member, {{"role", "editor"}});
  ana.api->Delete("/board-members/" + member);
  ana.api->Patch("/sessions/" + session, {{"description", "one"}});
  ana.api->Patch("/sessions/" + session, {{"description", "two"}});
  for (int i = 0; i < 3; ++i)
    ana.api->Post("/messages", {{"session_id", session}, {"role", "user"}, {"content", "hi"}});

  Json feed = ana.api->Get("/activity?board_id=" + board);
  const std::string completed = feed["data"][5]["summary"];
  CHECK(completed.rfind("task in fix-login completed in ", 0) == 0);
  std::vector<std::string> want = {
      "ana wrote 3 messages in fix-login",
      "ana updated session fix-login (2 times)",
      "cy left the board",
      "cy is now editor on the board",
      "cy joined the board",
      completed,
      "claude-code wrote " + std::to_string(wrote) + " messages in fix-login",
      "ana prompted claude-code in fix-login",
      "ana created session fix-login",
      "ana created board Secret"};
  std::vector<std::string> got = Summaries(feed);
  CHECK(got == want);
  CHECK(feed["total"] == want.size());
  for (const Json& e : feed["data"]) {
    CHECK(e["board_id"] == board);
    if (e["verb"] == "wrote" && e["task_id"] == task) {
      CHECK(e["actor"] == Json{{"user_id", ana.id}, {"name", "claude-code"}});
      CHECK(e["count"] == wrote);
    }
  }
  CHECK(admin.Get("/activity/" + feed["data"][0]["activity_id"].get<std::string>()) ==
        feed["data"][0]);

  // Live: the run's entry was created, then patched up to its final count.
  PushedEvent ev;
  REQUIRE(Got(ana_live, "activity created", {{"summary", "ana created board Secret"}}, &ev));
  CHECK(ev.seq.empty());  // seq-less: never logged, never replayed
  REQUIRE(Got(ana_live, "activity patched", {{"task_id", task}, {"count", wrote}}, &ev));
  REQUIRE(Got(ana_live, "activity patched",
              {{"session_id", session}, {"task_id", nullptr}, {"count", 3}}, &ev));

  // Paging newest first with $before (a seq).
  Json first = ana.api->Get("/activity?board_id=" + board + "&$limit=4");
  CHECK(first["limit"] == 4);
  std::vector<std::string> paged = Summaries(first);
  Json next = first;
  while (next["data"].size() == 4) {
    std::string before = std::to_string(next["data"].back()["first_seq"].get<int64_t>());
    next = ana.api->Get("/activity?board_id=" + board + "&$limit=4&$before=" + before);
    for (const auto& s : Summaries(next)) paged.push_back(s);
  }
  CHECK(paged == got);

  // Privacy: bo cannot see the board. A team board's entry is the sentinel that bo's stream
  // has taken in everything published before it.
  const std::string team = ana.api->Post("/boards", {{"name", "Team"}})["board_id"];
  REQUIRE(Got(bo_live, "activity created", {{"board_id", team}}, &ev));
  for (const PushedEvent& seen : bo_live.seen()) CHECK(BoardOf(seen.record) != board);
  const std::string missing = "00000000-0000-4000-8000-00000000abcd";
  Json hidden = bo.api->Get("/activity?board_id=" + board);
  CHECK(hidden == bo.api->Get("/activity?board_id=" + missing));
  CHECK(hidden["total"] == 0);
  Json all = bo.api->Get("/activity");
  CHECK(all["total"] == 1);
  CHECK(all["data"][0]["board_id"] == team);
  const std::string id = feed["data"][0]["activity_id"];
  CHECK(bo.api->Get("/activity/" + id, 404)["message"] == "No record found for id '" + id + "'");

  // Bad input.
  for (const std::string query : {"$limit=-1", "$limit=x", "$before=x", "$before=0", "verb=wrote",
                                  "$sort[first_seq]=1", "board_id[$in]=x"}) {
    INFO(query);
    Json error = ana.api->Get("/activity?" + query, 400);
    CHECK(error["name"] == "BadRequest");
  }
  CHECK(ana.api->Post("/activity", {{"summary", "x"}}, 405)["name"] == "MethodNotAllowed");
  ana.api->Call("PATCH", "/activity/" + id, {{"summary", "x"}}, 405);
  ana.api->Delete("/activity/" + id, 405);
  AuthClient nobody(port, "");
  nobody.Get("/activity", 401);

  // Actors in the log: ana's writes, and the agent's on ana's behalf.
  Json events = ana.api->Get("/events?board_id=" + board + "&$sort[seq]=1&$limit=200");
  CHECK(events["data"][0]["service"] == "boards");
  CHECK(events["data"][0]["actor"] == Json{{"user_id", ana.id}, {"agent", nullptr}});
  std::set<std::string> agents;
  for (const Json& e : events["data"]) {
    if (e["service"] == "messages" && e["record"]["task_id"] == task &&
        e["record"]["role"] != "user")
      CHECK(e["actor"] == Json{{"user_id", ana.id}, {"agent", "claude-code"}});
    if (!e["actor"]["agent"].is_null()) agents.insert(e["actor"]["agent"]);
  }
  CHECK(agents == std::set<std::string>{"claude-code"});
  Json by_agent = ana.api->Get("/events?actor_agent=claude-code&$limit=0");
  CHECK(by_agent["total"].get<int64_t>() >= wrote);
}

}  // namespace agor
