// End-to-end: a session's message indexes stay dense while prompts queue behind a running
// task, start, and are cancelled: a queued prompt has no index until its task starts.
#include <catch2/catch.hpp>

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

Json Prompt(Api& api, const std::string& session, const std::string& text) {
  return api.Post("/sessions/" + session + "/prompt", {{"prompt", text}});
}

std::vector<Json> Indexes(Api& api, const std::string& session) {
  Json page = api.Get("/messages?session_id=" + session + "&$sort[index]=1");
  std::vector<Json> out;
  for (const Json& m : page["data"]) out.push_back(m["index"]);
  return out;
}

TEST_CASE("queued prompts take their index when their task starts: no hole", "[e2e][index]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  EventStream events(d);
  std::string session = api.Session("command", {kFixtures + "slow_agent.sh"});
  std::string first = Prompt(api, session, "first")["task_id"];
  PushedEvent ev;
  for (int index : {1, 2}) {  // the agent's two lines (a `command` agent: a message each)
    REQUIRE(events.WaitFor("messages created", {{"task_id", first}, {"role", "assistant"}}, &ev));
    CHECK(ev.record["index"] == index);  // after the prompt's 0
  }
  Json second = Prompt(api, session, "second");
  Json third = Prompt(api, session, "third");
  REQUIRE(second["status"] == "queued");
  REQUIRE(events.WaitFor("messages created", {{"message_id", second["message_id"]}}, &ev));
  CHECK(ev.record["index"].is_null());
  CHECK(ev.record["status"] == "queued");
  CHECK(Indexes(api, session) == std::vector<Json>{0, 1, 2, nullptr, nullptr});  // queue last
  api.Delete("/messages/" + third["message_id"].get<std::string>());             // cancelled

  api.Post("/sessions/" + session + "/stop", Json::object());
  Json done;
  REQUIRE(events.WaitTaskEnd(first, &done));
  CHECK(done["message_range"] == Json{{"start_index", 0}, {"end_index", 2}});
  REQUIRE(events.WaitFor("messages patched", {{"message_id", second["message_id"]}}, &ev));
  CHECK(ev.record["index"] == 3);  // the next one, not a held one
  CHECK(ev.record["status"] == "sent");
  std::string next = ev.record["task_id"];
  for (int index : {4, 5}) {
    REQUIRE(events.WaitFor("messages created", {{"task_id", next}, {"role", "assistant"}}, &ev));
    CHECK(ev.record["index"] == index);
  }
  api.Post("/sessions/" + session + "/stop", Json::object());
  REQUIRE(events.WaitTaskEnd(next, &done));
  CHECK(done["message_range"] == Json{{"start_index", 3}, {"end_index", 5}});
  CHECK(Indexes(api, session) == std::vector<Json>{0, 1, 2, 3, 4, 5});
}

}  // namespace
}  // namespace agor
