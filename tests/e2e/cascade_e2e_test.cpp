// End-to-end: removing a parent (board, session, task, repo) tells a Socket.IO watcher about
// every record it changed, children before the parent, and what the watcher is told agrees
// with what find answers afterwards.
#include <catch2/catch.hpp>
#include <map>

#include "base/status.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::EventStream;
using test::PushedEvent;
using Api = test::RestApi;

const std::string kFixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";

std::string IdOf(const std::string& service, const Json& record) {
  static const std::map<std::string, std::string> ids = {{"boards", "board_id"},
                                                         {"repos", "repo_id"},
                                                         {"sessions", "session_id"},
                                                         {"tasks", "task_id"},
                                                         {"messages", "message_id"}};
  return record[ids.at(service)].get<std::string>();
}

// "messages removed <id>" for each event up to and including the one named `last_name` of
// the record `last_id` (streamed chunks and the feed's entries left out); the events themselves
// go to `raw`.
std::vector<std::string> Collect(EventStream& events, const std::string& last_name,
                                 const std::string& last_id, std::vector<PushedEvent>* raw) {
  std::vector<std::string> out;
  PushedEvent ev;
  while (events.Next(&ev)) {
    std::string service = ev.name.substr(0, ev.name.find(' '));
    if (ev.name == "messages streaming" || service == "activity") continue;  // not logged
    out.push_back(ev.name + " " + IdOf(service, ev.record));
    raw->push_back(ev);
    if (ev.name == last_name && IdOf(service, ev.record) == last_id) return out;
  }
  FAIL("the stream ended before " << last_name << " " << last_id);
  return out;
}

// Reads the events up to `name` of `id` and drops them: what happened before the test's write.
void Drain(EventStream& events, const std::string& name, const Json& match) {
  PushedEvent ev;
  REQUIRE(events.WaitFor(name, match, &ev));
}

Json Message(Api& api, const std::string& session, const std::string& text) {
  return api.Post("/messages", {{"session_id", session}, {"role", "user"}, {"content", text}});
}

std::string Session(Api& api, const std::string& board, const Json& repo = nullptr) {
  return api.Post("/sessions", {{"board_id", board},
                                {"repo_id", repo},
                                {"agentic_tool", "command"},
                                {"agent_command", {kFixtures + "echo_agent.sh"}}})["session_id"];
}

// The events' seqs increase by one: one transaction, nothing else in between.
void CheckDense(const std::vector<PushedEvent>& raw) {
  for (size_t i = 1; i < raw.size(); ++i)
    CHECK(std::stoll(raw[i].seq) == std::stoll(raw[i - 1].seq) + 1);
}

TEST_CASE("removing a board: its messages, tasks, sessions, then the board", "[e2e][cascade]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string board = api.Board(), kept = api.Board();
  std::string s1 = Session(api, board), s2 = Session(api, board), other = Session(api, kept);
  Json prompt = api.Post("/sessions/" + s1 + "/prompt", {{"prompt", "hi"}});
  std::string task = prompt["task_id"];
  Json done;
  REQUIRE(events.WaitTaskEnd(task, &done));
  Drain(events, "sessions patched", {{"session_id", s1}, {"status", "idle"}});
  Json m2 = Message(api, s2, "two");
  Message(api, other, "stays");
  Drain(events, "messages created", {{"session_id", other}});
  Json s1_messages = api.Get("/messages?session_id=" + s1 + "&$sort[index]=1")["data"];
  REQUIRE(s1_messages.size() == 2);  // the prompt and the echo
  Json s1_record = api.Get("/sessions/" + s1);

  api.Delete("/boards/" + board);
  std::vector<PushedEvent> raw;
  std::vector<std::string> got = Collect(events, "boards removed", board, &raw);
  CHECK(got == std::vector<std::string>{
                   "messages removed " + s1_messages[0]["message_id"].get<std::string>(),
                   "messages removed " + s1_messages[1]["message_id"].get<std::string>(),
                   "messages removed " + m2["message_id"].get<std::string>(),
                   "tasks removed " + task,
                   "sessions removed " + s1,
                   "sessions removed " + s2,
                   "boards removed " + board,
               });
  CheckDense(raw);
  CHECK(raw[0].record == s1_messages[0]);
  CHECK(raw[3].record == done);
  CHECK(raw[4].record == s1_record);
  for (const char* path : {"/messages", "/tasks", "/sessions"}) {
    INFO(path);
    CHECK(api.Get(std::string(path) + "?board_id=" + board)["total"] == 0);
  }
  CHECK(api.Get("/sessions")["total"] == 1);
  CHECK(api.Get("/messages")["total"] == 1);
  api.Get("/sessions/" + s1, 404);
}

TEST_CASE("removing a session: its messages, its tasks, then the session", "[e2e][cascade]") {
  Daemon d;  // the default --channels boards: a watcher of the board gets the cascade too
  Api api(d);
  std::string board = api.Board();
  std::string session = Session(api, board), sibling = Session(api, board);
  EventStream events(d, "&board_id=" + board);
  std::string task = api.Post("/sessions/" + session + "/prompt", {{"prompt", "x"}})["task_id"];
  Json done;
  REQUIRE(events.WaitTaskEnd(task, &done));
  Drain(events, "sessions patched", {{"session_id", session}, {"status", "idle"}});
  Json extra = Message(api, session, "after the task");
  Json kept = Message(api, sibling, "kept");
  Drain(events, "messages created", {{"session_id", sibling}});
  Json messages = api.Get("/messages?session_id=" + session + "&$sort[index]=1")["data"];
  REQUIRE(messages.size() == 3);
  CHECK(messages[2] == extra);

  api.Delete("/sessions/" + session);
  std::vector<PushedEvent> raw;
  CHECK(Collect(events, "sessions removed", session, &raw) ==
        std::vector<std::string>{
            "messages removed " + messages[0]["message_id"].get<std::string>(),
            "messages removed " + messages[1]["message_id"].get<std::string>(),
            "messages removed " + extra["message_id"].get<std::string>(),
            "tasks removed " + task,
            "sessions removed " + session,
        });
  CheckDense(raw);
  CHECK(raw[2].record == extra);
  Json left = api.Get("/messages");
  CHECK(left["total"] == 1);
  CHECK(left["data"][0] == kept);
  CHECK(api.Get("/tasks")["total"] == 0);
}

TEST_CASE("removing a task: its messages patched to task_id null, then the task",
          "[e2e][cascade]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = Session(api, api.Board());
  std::string task = api.Post("/sessions/" + session + "/prompt", {{"prompt", "x"}})["task_id"];
  Json done;
  REQUIRE(events.WaitTaskEnd(task, &done));
  Drain(events, "sessions patched", {{"session_id", session}, {"status", "idle"}});
  Json messages = api.Get("/messages?task_id=" + task + "&$sort[index]=1")["data"];
  REQUIRE(messages.size() == 2);

  api.Delete("/tasks/" + task);
  std::vector<PushedEvent> raw;
  CHECK(Collect(events, "tasks removed", task, &raw) ==
        std::vector<std::string>{
            "messages patched " + messages[0]["message_id"].get<std::string>(),
            "messages patched " + messages[1]["message_id"].get<std::string>(),
            "tasks removed " + task,
        });
  CheckDense(raw);
  for (int i = 0; i < 2; ++i) {
    Json now = api.Get("/messages/" + messages[i]["message_id"].get<std::string>());
    CHECK(now["task_id"].is_null());
    CHECK(raw[i].record == now);
    Json before = messages[i];
    before["task_id"] = nullptr;
    CHECK(now == before);  // nothing else changed
  }
  CHECK(raw[2].record == done);
}

TEST_CASE("removing a repo: its sessions patched to repo_id null, then the repo",
          "[e2e][cascade]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string repo = api.Post("/repos", {{"slug", "r"}})["repo_id"];
  std::string other = api.Post("/repos", {{"slug", "o"}})["repo_id"];
  std::string board = api.Board();
  std::string s1 = Session(api, board, repo), s2 = Session(api, board, other);
  std::string s3 = Session(api, board, repo);
  Drain(events, "sessions created", {{"session_id", s3}});

  api.Delete("/repos/" + repo);
  std::vector<PushedEvent> raw;
  CHECK(Collect(events, "repos removed", repo, &raw) ==
        std::vector<std::string>{"sessions patched " + s1, "sessions patched " + s3,
                                 "repos removed " + repo});
  CheckDense(raw);
  for (int i : {0, 1}) {
    Json now = api.Get("/sessions/" + raw[i].record["session_id"].get<std::string>());
    CHECK(now["repo_id"].is_null());
    CHECK(now == raw[i].record);
  }
  CHECK(api.Get("/sessions/" + s2)["repo_id"] == other);
  CHECK(api.Get("/sessions?repo_id=" + repo)["total"] == 0);
}

}  // namespace
}  // namespace agor
