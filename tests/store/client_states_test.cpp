// Tests of the Store's connection-state recovery records (store/client_states.cpp): a whole
// state saved and loaded, one channel joined or left at a time, pruning, and migration 5
// turning the JSON states of a version-3 database into rows. Both engines but for the SQLite
// migration.
#include <SQLiteCpp/Database.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "store/database.h"
#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

using test::FakeClock;

// The cases run on both engines (engine_fixture.h), each in a database of its own.
struct Fixture : test::EngineStore {
  Fixture() : EngineStore(test::EachEngine(), "client_states") {}
  Json Load(const std::string& pid) {
    Json state;
    Status s = store->LoadClientState(pid, &state);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return state;
  }
};

Json State(Json boards, Json sessions) {
  return Json{{"boards", std::move(boards)}, {"sessions", std::move(sessions)}};
}

TEST_CASE_METHOD(Fixture, "client state: saved whole, then changed one channel at a time",
                 "[store]") {
  Json state;
  CHECK(store->LoadClientState("p", &state).code() == Code::kNotFound);
  REQUIRE(store->SaveClientState("p", State({"b2", "b1"}, {"s1"})).ok());
  CHECK(Load("p") == State({"b1", "b2"}, {"s1"}));
  REQUIRE(store->SetClientChannel("p", "boards", "b3", true).ok());
  REQUIRE(store->SetClientChannel("p", "boards", "b3", true).ok());  // twice: still one
  REQUIRE(store->SetClientChannel("p", "sessions", "s1", false).ok());
  REQUIRE(store->SetClientChannel("p", "sessions", "gone", false).ok());
  CHECK(Load("p") == State({"b1", "b2", "b3"}, Json::array()));
  REQUIRE(store->SaveClientState("p", State({"b9"}, Json::array())).ok());  // replaces all
  CHECK(Load("p") == State({"b9"}, Json::array()));
  CHECK(store->SetClientChannel("p", "tasks", "t", true).code() == Code::kBadRequest);
  REQUIRE(store->SetClientChannel("q", "sessions", "s", true).ok());  // a new pid
  CHECK(Load("q") == State(Json::array(), {"s"}));
}

TEST_CASE_METHOD(Fixture, "client state: thousands of channels, each joined on its own",
                 "[store]") {
  REQUIRE(store->SaveClientState("p", State(Json::array(), Json::array())).ok());
  for (int i = 0; i < 5000; ++i) {
    REQUIRE(store->SetClientChannel("p", "boards", "b" + std::to_string(10000 + i), true).ok());
  }
  Json state = Load("p");
  REQUIRE(state["boards"].size() == 5000);
  CHECK(state["boards"][4999] == "b14999");
}

TEST_CASE_METHOD(Fixture, "client state: pruning drops old pids with their channels", "[store]") {
  REQUIRE(store->SaveClientState("old", State({"b"}, Json::array())).ok());
  clock.now += 1000;
  REQUIRE(store->SaveClientState("new", State({"b"}, Json::array())).ok());
  REQUIRE(store->PruneClientStates(clock.now).ok());
  Json state;
  CHECK(store->LoadClientState("old", &state).code() == Code::kNotFound);
  REQUIRE(store->SetClientChannel("old", "boards", "x", true).ok());  // back, without "b"
  CHECK(Load("old") == State({"x"}, Json::array()));
  CHECK(Load("new") == State({"b"}, Json::array()));
}

// SQLite only: PostgreSQL's migrations start at today's schema (docs/scale-out.md).
TEST_CASE("migration 5 turns saved JSON states into channel rows", "[store]") {
  char tmpl[] = "/tmp/agor-states-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string path = std::string(tmpl) + "/agor.db";
  {
    std::unique_ptr<SQLite::Database> db;
    REQUIRE(OpenDatabase(path, &db, 3).ok());
    db->exec(R"(INSERT INTO client_states VALUES
        ('p', '{"boards":["b1","b2"],"sessions":["s1",7]}', 't'),
        ('empty', '{}', 't'), ('broken', 'not json', 't'))");
  }
  FakeClock clock;
  std::unique_ptr<Store> store;
  REQUIRE(Store::Open({path, {}}, &clock, &store).ok());
  Json state;
  REQUIRE(store->LoadClientState("p", &state).ok());
  CHECK(state == State({"b1", "b2"}, {"s1"}));
  REQUIRE(store->LoadClientState("empty", &state).ok());
  CHECK(state == State(Json::array(), Json::array()));
  REQUIRE(store->LoadClientState("broken", &state).ok());
  CHECK(state == State(Json::array(), Json::array()));
  store.reset();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace agor
