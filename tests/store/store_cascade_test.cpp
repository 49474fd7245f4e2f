// Every record a write changes gets its own event (store.h): the cascades of a remove, the
// references it nulls, the children of a moved session. Each test checks the events' order
// and content, and that a mirror applying the events one by one ends equal to find, on both
// engines.
#include <catch2/catch.hpp>
#include <map>

#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

// Each case runs on both engines (engine_fixture.h), in a database of its own.
struct Fixture : test::EngineStore {
  Fixture() : EngineStore(test::EachEngine(), "store_cascade") {}
  Json Session(const Json& board, const Json& repo = nullptr) {
    return Create("sessions", {{"board_id", board["board_id"]}, {"repo_id", repo}});
  }
  Json Task(const Json& session) {
    return Create("tasks", {{"session_id", session["session_id"]}, {"prompt", "p"}});
  }
  Json Message(const Json& session, const Json& task = nullptr, const char* status = nullptr) {
    Json data{{"session_id", session["session_id"]},
              {"role", "user"},
              {"task_id", task.is_null() ? Json() : task["task_id"]}};
    if (status) data["status"] = status;
    return Create("messages", data);
  }
  // The events since `from` as "service event id" lines, to compare orders at a glance.
  std::vector<std::string> Since(size_t from) {
    std::vector<std::string> out;
    for (size_t i = from; i < events.size(); ++i) {
      const ServiceSchema& schema = *FindService(events[i].service);
      out.push_back(events[i].service + " " + events[i].event + " " +
                    events[i].record[schema.id_field].get<std::string>());
    }
    return out;
  }
  static std::string Line(const char* service, const char* event, const Json& record) {
    return std::string(service) + " " + event + " " +
           record[FindService(service)->id_field].get<std::string>();
  }
  // Applies every event to a copy of the store built from events only, then compares it with
  // find on every service.
  void CheckMirror() {
    std::map<std::string, std::map<std::string, Json>> mirror;
    int64_t seq = 0;
    for (const Event& ev : events) {
      CHECK(ev.seq == ++seq);  // gapless, in order
      const std::string id = ev.record[FindService(ev.service)->id_field];
      if (ev.event == "removed")
        CHECK(mirror[ev.service].erase(id) == 1);
      else
        mirror[ev.service][id] = ev.record;
    }
    for (const auto& schema : AllServices()) {
      Json page;
      REQUIRE(store->Find(schema.name, {{"$limit", 1000}}, &page).ok());
      std::map<std::string, Json> stored;
      for (const Json& r : page["data"]) stored[r[schema.id_field]] = r;
      INFO(schema.name);
      CHECK(stored == mirror[schema.name]);
    }
  }
};

TEST_CASE_METHOD(Fixture, "removing a board removes its sessions' messages, tasks, sessions",
                 "[store][cascade]") {
  Json board = Board("doomed"), other = Board("kept");
  Json s1 = Session(board), s2 = Session(board), kept = Session(other);
  Json t1 = Task(s1), t2 = Task(s2);
  Json m1 = Message(s1, t1), m2 = Message(s1), m3 = Message(s2, t2);
  Json queued = Message(s2, nullptr, "queued");
  Message(kept);
  size_t from = events.size();
  Json out;
  REQUIRE(store->Remove("boards", board["board_id"], &out).ok());
  CHECK(out == board);
  CHECK(Since(from) == std::vector<std::string>{
                           Line("messages", "removed", m1), Line("messages", "removed", m2),
                           Line("messages", "removed", queued), Line("messages", "removed", m3),
                           Line("tasks", "removed", t1), Line("tasks", "removed", t2),
                           Line("sessions", "removed", s1), Line("sessions", "removed", s2),
                           Line("boards", "removed", board)});
  CHECK(events[from].record == m1);  // the record as it was
  CHECK(events[from].board_id == board["board_id"]);
  CHECK(events[from].session_id == s1["session_id"]);
  CHECK(events[from + 4].record == t1);
  CHECK(events[from + 6].record == s1);
  for (size_t i = from; i < events.size(); ++i) CHECK(events[i].ts == events.back().ts);
  CheckMirror();
}

TEST_CASE_METHOD(Fixture, "removing a session removes its messages, then its tasks",
                 "[store][cascade]") {
  Json board = Board("b");
  Json session = Session(board), sibling = Session(board);
  Json task = Task(session);
  Json m1 = Message(session, task), m2 = Message(session, task);
  Message(sibling, Task(sibling));
  size_t from = events.size();
  Json out;
  REQUIRE(store->Remove("sessions", session["session_id"], &out).ok());
  CHECK(Since(from) == std::vector<std::string>{
                           Line("messages", "removed", m1), Line("messages", "removed", m2),
                           Line("tasks", "removed", task), Line("sessions", "removed", session)});
  CHECK(events[from + 1].record == m2);
  CheckMirror();
}

TEST_CASE_METHOD(Fixture, "removing a task patches its messages to task_id null",
                 "[store][cascade]") {
  Json session = Session(Board("b"));
  Json task = Task(session), other = Task(session);
  Json m1 = Message(session, task), m2 = Message(session, other), m3 = Message(session, task);
  size_t from = events.size();
  Json out;
  REQUIRE(store->Remove("tasks", task["task_id"], &out).ok());
  CHECK(Since(from) == std::vector<std::string>{Line("messages", "patched", m1),
                                                Line("messages", "patched", m3),
                                                Line("tasks", "removed", task)});
  m1["task_id"] = nullptr;
  CHECK(events[from].record == m1);
  REQUIRE(store->Get("messages", m3["message_id"], &out).ok());
  CHECK(out["task_id"].is_null());
  CHECK(events[from + 1].record == out);
  REQUIRE(store->Get("messages", m2["message_id"], &out).ok());
  CHECK(out == m2);
  CheckMirror();
}

TEST_CASE_METHOD(Fixture, "removing a repo patches its sessions to repo_id null, stamped",
                 "[store][cascade]") {
  Json repo = Create("repos", {{"slug", "r"}}), kept = Create("repos", {{"slug", "k"}});
  Json board = Board("b");
  Json s1 = Session(board, repo["repo_id"]), s2 = Session(board, kept["repo_id"]);
  Json s3 = Session(board, repo["repo_id"]);
  clock.now += 60000;
  size_t from = events.size();
  Json out;
  REQUIRE(store->Remove("repos", repo["repo_id"], &out).ok());
  CHECK(Since(from) == std::vector<std::string>{Line("sessions", "patched", s1),
                                                Line("sessions", "patched", s3),
                                                Line("repos", "removed", repo)});
  REQUIRE(store->Get("sessions", s1["session_id"], &out).ok());
  CHECK(out["repo_id"].is_null());
  CHECK(out["updated_at"] == "2025-11-26T09:41:00.000Z");
  CHECK(events[from].record == out);
  REQUIRE(store->Get("sessions", s2["session_id"], &out).ok());
  CHECK(out == s2);
  CheckMirror();
}

TEST_CASE_METHOD(Fixture, "a session moved to another board takes its children along, with events",
                 "[store][cascade]") {
  Json a = Board("a"), b = Board("b");
  Json session = Session(a);
  Json task = Task(session);
  Json m1 = Message(session, task), m2 = Message(session);
  size_t from = events.size();
  Json out;
  REQUIRE(store->Patch("sessions", session["session_id"], {{"title", "same board"}}, &out).ok());
  CHECK(events.size() == from + 1);  // no move, no child event
  from = events.size();
  REQUIRE(
      store->Patch("sessions", session["session_id"], {{"board_id", b["board_id"]}}, &out).ok());
  CHECK(Since(from) == std::vector<std::string>{
                           Line("sessions", "patched", session), Line("tasks", "patched", task),
                           Line("messages", "patched", m1), Line("messages", "patched", m2)});
  for (size_t i = from; i < events.size(); ++i) CHECK(events[i].board_id == b["board_id"]);
  m2["board_id"] = b["board_id"];
  CHECK(events.back().record == m2);
  CheckMirror();
}

TEST_CASE_METHOD(Fixture, "removing what nothing depends on emits one event", "[store][cascade]") {
  Json board = Board("empty");
  Json repo = Create("repos", {{"slug", "r"}});
  Json session = Session(Board("b"));
  Json task = Task(session);
  size_t from = events.size();
  Json out;
  for (auto [service, record] : {std::pair<const char*, Json>{"boards", board},
                                 {"repos", repo},
                                 {"tasks", task},
                                 {"sessions", session}}) {
    REQUIRE(store->Remove(service, record[FindService(service)->id_field], &out).ok());
  }
  CHECK(events.size() == from + 4);
  CheckMirror();
}

TEST_CASE_METHOD(Fixture, "a cascade in a batch is told after its commit, in seq order",
                 "[store][cascade]") {
  int scheduled = 0;
  store->SetCommitScheduler([&] { ++scheduled; });
  Json board = Board("b");
  Json session = Session(board);
  Message(session, Task(session));
  CHECK(events.empty());  // nothing is told before COMMIT
  Json out;
  REQUIRE(store->Remove("boards", board["board_id"], &out).ok());
  CHECK(events.empty());
  REQUIRE(store->Commit().ok());
  CHECK(scheduled == 1);
  REQUIRE(events.size() == 8);
  CHECK(events[4].event == "removed");
  CheckMirror();
}

}  // namespace
}  // namespace agor
