// The Store on each engine, for the store's tests (issue 14, docs/scale-out.md "One store model,
// two engines"). A case that makes an EngineStore from EachEngine() runs twice: on SQLite (in
// memory, or in a file of a temporary folder when it must survive a reopen) and on a real
// PostgreSQL database of its own (PostgresServer::Shared(): one server per test binary run).
// Failures name the engine. EngineStore records what the listeners were told.
// Not thread-safe: the test's thread drives it, as Catch2 does.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace agor::test {

class FakeClock : public Clock {
 public:
  int64_t NowMillis() override { return now; }
  int64_t now = 1764150000000;
};

// "sqlite", then "postgresql": a Catch2 generator, so the calling case runs once per engine.
// One generator per case: a second call in the same run answers the same engine.
std::string EachEngine();

struct EngineStore {
  // A fresh store on `engine`; `name` names the PostgreSQL database. `durable`: SQLite in a
  // file, so that Reopen finds the data (PostgreSQL always keeps it).
  EngineStore(const std::string& engine, const std::string& name, bool durable = false);
  ~EngineStore();
  EngineStore(const EngineStore&) = delete;
  EngineStore& operator=(const EngineStore&) = delete;

  bool postgres() const { return engine == "postgresql"; }
  // Closes the store and opens the same database again, listeners set anew.
  void Reopen();
  Json Create(const std::string& service, const Json& data, const Json& server = Json());
  Json Board(const std::string& name = "b") { return Create("boards", {{"name", name}}); }
  Json Session(const Json& board) { return Create("sessions", {{"board_id", board["board_id"]}}); }
  Json Message(const Json& session, const char* status = "sent");
  // What the commit listener was told, and the event log, as "seq service event" lines.
  std::vector<std::string> Told() const;
  std::vector<std::string> Log();
  static std::string Line(const Event& ev);
  int64_t Total(const std::string& service);

  const std::string engine;
  FakeClock clock;
  std::string url, dir;  // dir: a durable SQLite store's temporary folder
  std::unique_ptr<Store> store;
  std::vector<Event> events;  // told to the commit listener
  std::vector<Event> live;    // told to the activity listener

 private:
  void Open();
  Catch::ScopedMessage named_;  // every failure of the case says which engine
};

}  // namespace agor::test

// Runs the case once per engine with a store `f`; `name` names the PostgreSQL database.
#define ON_EACH_ENGINE(name) ::agor::test::EngineStore f(::agor::test::EachEngine(), name)
