#include "tests/store/engine_fixture.h"

#include <unistd.h>

#include <filesystem>

#include "tests/support/postgres_server.h"

namespace agor::test {
namespace {

// A durable SQLite store's folder: the file lives in it, with its WAL beside it.
std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "agor-engine-XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

}  // namespace

std::string EachEngine() {
  return GENERATE(as<std::string>{}, "sqlite", "postgresql");
}

EngineStore::EngineStore(const std::string& engine_name, const std::string& name, bool durable)
    : engine(engine_name),
      named_(Catch::MessageBuilder("INFO", CATCH_INTERNAL_LINEINFO, Catch::ResultWas::Info)
             << "engine: " << engine_name) {
  if (postgres()) {
    url = PostgresServer::Shared().CreateDatabase(name);
  } else if (durable) {
    dir = TempDir();
    url = dir + "/nested/agor.db";  // a folder Open must create
  } else {
    url = ":memory:";
  }
  Open();
}

EngineStore::~EngineStore() {
  store.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
}

void EngineStore::Open() {
  StoreOptions options;
  options.path = url;
  Status s = Store::Open(options, &clock, &store);
  INFO(s.ToString());
  REQUIRE(s.ok());
  store->SetCommitListener([this](const Event& ev) { events.push_back(ev); });
  store->SetActivityListener([this](const Event& ev) { live.push_back(ev); });
}

void EngineStore::Reopen() {
  store.reset();
  Open();
}

Json EngineStore::Create(const std::string& service, const Json& data, const Json& server) {
  Json out;
  Status s = store->Create(service, data, &out, server);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return out;
}

Json EngineStore::Message(const Json& session, const char* status) {
  return Create("messages", {{"session_id", session["session_id"]},
                             {"role", "user"},
                             {"content", "hi"},
                             {"status", status}});
}

std::string EngineStore::Line(const Event& ev) {
  return std::to_string(ev.seq) + " " + ev.service + " " + ev.event;
}

std::vector<std::string> EngineStore::Told() const {
  std::vector<std::string> out;
  for (const Event& ev : events) out.push_back(Line(ev));
  return out;
}

std::vector<std::string> EngineStore::Log() {
  std::vector<Event> logged;
  REQUIRE(store->event_log()->ReadSince(0, 1000, &logged).ok());
  std::vector<std::string> out;
  for (const Event& ev : logged) out.push_back(Line(ev));
  return out;
}

int64_t EngineStore::Total(const std::string& service) {
  Json page;
  REQUIRE(store->Find(service, Json::object(), &page).ok());
  return page["total"];
}

}  // namespace agor::test
