// End-to-end: a client that knows the store only from its events ends equal to it. A mirror
// applies every event a Socket.IO watcher receives (`--channels everybody`) while a seeded
// random sequence of writes runs over REST: creates, updates, patches and removes of boards,
// repos, sessions and messages, prompts (tasks and their messages, written by a real agent)
// and removes of tasks, some refused on purpose (taken slugs, bad input: no event). Then it
// waits for the event of the log's last seq and compares record by record with find.
#include <catch2/catch.hpp>
#include <map>
#include <random>

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
const std::map<std::string, std::string> kIds = {{"boards", "board_id"},
                                                 {"repos", "repo_id"},
                                                 {"sessions", "session_id"},
                                                 {"tasks", "task_id"},
                                                 {"messages", "message_id"}};

// The store as the events describe it.
class Mirror {
 public:
  // Starts from the log's end: the first start's own events (the admin, its key) came before.
  explicit Mirror(const test::Daemon& d)
      : stream_(d),
        seq_(Api(d).Get("/events?$sort[seq]=-1&$limit=1")["data"][0]["seq"].get<int64_t>()) {}

  // Applies events until `done` holds for one of them; false on a timeout.
  template <typename Pred>
  bool PumpUntil(Pred done) {
    PushedEvent ev;
    while (stream_.Next(&ev)) {
      Apply(ev);
      if (done(ev)) return true;
    }
    return false;
  }
  bool PumpTo(int64_t seq) {
    if (seq_ >= seq) return true;
    return PumpUntil([&](const PushedEvent&) { return seq_ >= seq; });
  }
  const std::map<std::string, Json>& records(const std::string& service) {
    return records_[service];
  }

 private:
  void Apply(const PushedEvent& ev) {
    if (ev.seq.empty()) return;  // streamed text: not a change of the store
    int64_t seq = std::stoll(ev.seq);
    INFO(ev.name << " " << ev.record.dump());
    CHECK(seq == seq_ + 1);  // every event, once, in order
    seq_ = seq;
    std::string service = ev.name.substr(0, ev.name.find(' '));
    std::string verb = ev.name.substr(ev.name.find(' ') + 1);
    REQUIRE(kIds.count(service));
    std::string id = ev.record[kIds.at(service)];
    auto& records = records_[service];
    if (verb == "created") {
      CHECK(records.count(id) == 0);
      records[id] = ev.record;
    } else if (verb == "removed") {
      CHECK(records.erase(id) == 1);
    } else {
      REQUIRE((verb == "patched" || verb == "updated"));
      CHECK(records.count(id) == 1);  // a change of a record it knows
      records[id] = ev.record;
    }
  }

  EventStream stream_;
  int64_t seq_ = 0;
  std::map<std::string, std::map<std::string, Json>> records_;
};

// Random writes over REST, choosing among the records the mirror knows of.
class Writer {
 public:
  Writer(Api& api, Mirror& mirror, uint32_t seed) : api_(api), mirror_(mirror), rng_(seed) {}

  void Step() {
    switch (Pick(14)) {
      case 0:
        return CreateBoard();
      case 1:
        return CreateRepo();
      case 2:
      case 3:
        return CreateSession();
      case 4:
      case 5:
        return CreateMessage();
      case 6:
        return ChangeBoard();
      case 7:
        return ChangeRepo();
      case 8:
        return ChangeSession();
      case 9:
        return ChangeMessage();
      case 10:
      case 11:
        return RunPrompt();
      case 12:
        return Remove(Choose({"boards", "repos", "sessions"}));
      default:
        return Remove(Choose({"messages", "tasks"}));
    }
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  const char* Choose(std::initializer_list<const char*> options) {
    return options.begin()[Pick(options.size())];
  }
  std::string Word() { return "w" + std::to_string(Pick(40)); }  // small: slugs collide
  // A known record's id, or "" when the service has none.
  std::string Any(const std::string& service) {
    const auto& records = mirror_.records(service);
    if (records.empty()) return "";
    auto it = records.begin();
    std::advance(it, Pick(records.size()));
    return it->first;
  }
  Json Nullable(const std::string& id) { return id.empty() ? Json() : Json(id); }
  // Sends a write whose answer may be a refusal (taken slug, bad input: no event); an
  // accepted one is awaited in the mirror (its own event, the last of a cascade's but for a
  // moved session's children), so the next choice sees it.
  void Send(const char* method, const std::string& service, const std::string& id,
            const Json& body) {
    auto& http = api_.http();
    const std::string m = method, path = "/" + service + (id.empty() ? "" : "/" + id);
    const std::string text = body.dump();
    httplib::Result r = m == "POST"    ? http.Post(path.c_str(), text, "application/json")
                        : m == "PUT"   ? http.Put(path.c_str(), text, "application/json")
                        : m == "PATCH" ? http.Patch(path.c_str(), text, "application/json")
                                       : http.Delete(path.c_str());
    REQUIRE(r);
    INFO(method << " " << path << " " << text << " -> " << r->status << " " << r->body);
    CHECK((r->status < 300 || r->status == 400 || r->status == 409));
    if (r->status >= 300) return void(++refused);
    ++accepted;
    const std::string written = Json::parse(r->body)[kIds.at(service)];
    const std::string name = service + (m == "POST"    ? " created"
                                        : m == "PUT"   ? " updated"
                                        : m == "PATCH" ? " patched"
                                                       : " removed");
    REQUIRE(mirror_.PumpUntil([&](const PushedEvent& ev) {
      return ev.name == name && ev.record[kIds.at(service)] == written;
    }));
  }
  Json Colour() { return Pick(3) ? Json("#" + std::string(Pick(2) ? "abc" : "00ff0080")) : Json(); }

  void CreateBoard() {
    Send("POST", "boards", "", {{"name", Word()}, {"slug", Word()}, {"color", Colour()}});
  }
  void CreateRepo() { Send("POST", "repos", "", {{"slug", Word()}, {"name", Word()}}); }
  Json SessionBody(const std::string& board) {
    return {{"board_id", board},
            {"repo_id", Nullable(Any("repos"))},
            {"title", Word()},
            {"agentic_tool", "command"},
            {"agent_command", {kFixtures + "echo_agent.sh"}}};
  }
  void CreateSession() {
    std::string board = Any("boards");
    if (!board.empty()) Send("POST", "sessions", "", SessionBody(board));
  }
  void CreateMessage() {
    std::string session = Any("sessions");
    if (session.empty()) return;
    Send("POST", "messages", "",
         {{"session_id", session}, {"role", Choose({"user", "assistant"})}, {"content", Word()}});
  }
  void ChangeBoard() {
    std::string id = Any("boards");
    if (id.empty()) return;
    if (Pick(2)) return Send("PATCH", "boards", id, {{"description", Word()}, {"color", Colour()}});
    Send("PUT", "boards", id, {{"name", Word()}, {"slug", Pick(4) ? Json(Word()) : Json("")}});
  }
  void ChangeRepo() {
    std::string id = Any("repos");
    if (id.empty()) return;
    if (Pick(2)) return Send("PATCH", "repos", id, {{"name", Word()}});
    Send("PUT", "repos", id, {{"slug", Word()}});
  }
  void ChangeSession() {
    std::string id = Any("sessions"), board = Any("boards");
    if (id.empty()) return;
    switch (Pick(3)) {
      case 0:
        return Send("PATCH", "sessions", id, {{"board_id", board}});  // moves children
      case 1:
        return Send("PATCH", "sessions", id, {{"repo_id", Nullable(Any("repos"))}});
      default:
        return Send("PUT", "sessions", id, SessionBody(board));
    }
  }
  void ChangeMessage() {
    std::string id = Any("messages");
    if (id.empty()) return;
    Send("PATCH", "messages", id, {{"content", Word()}});
  }
  // A prompt runs its agent to the end before the next write, so that no agent writes after
  // the sequence (its session goes idle last).
  void RunPrompt() {
    std::string session = Any("sessions");
    if (session.empty()) return;
    Json started = api_.Post("/sessions/" + session + "/prompt", {{"prompt", Word()}});
    REQUIRE(started["status"] == "running");
    REQUIRE(mirror_.PumpUntil([&](const PushedEvent& ev) {
      return ev.name == "sessions patched" && ev.record["session_id"] == session &&
             ev.record["status"] == "idle";
    }));
    ++prompts;
  }
  void Remove(const char* service) {
    std::string id = Any(service);
    if (!id.empty()) Send("DELETE", service, id, nullptr);
  }

 public:
  int accepted = 0, refused = 0, prompts = 0;

 private:
  Api& api_;
  Mirror& mirror_;
  std::mt19937 rng_;
};

TEST_CASE("a client mirroring the store from events only ends equal to find", "[e2e][mirror]") {
  Daemon d({"--channels", "everybody"});
  Api api(d);
  Mirror mirror(d);
  const uint32_t seed = 20261201;
  INFO("seed " << seed);
  Writer writer(api, mirror, seed);
  for (int i = 0; i < 300; ++i) writer.Step();
  CHECK(writer.accepted > 100);
  CHECK(writer.refused > 0);
  CHECK(writer.prompts > 10);
  Json last = api.Get("/events?$sort[seq]=-1&$limit=1");
  REQUIRE(last["data"].size() == 1);
  REQUIRE(mirror.PumpTo(last["data"][0]["seq"].get<int64_t>()));
  for (const auto& [service, id_field] : kIds) {
    std::map<std::string, Json> stored;
    for (int64_t skip = 0;; skip += 50) {
      Json page = api.Get("/" + service + "?$limit=50&$sort[" + id_field +
                          "]=1&$skip=" + std::to_string(skip));
      for (const Json& r : page["data"]) stored[r[id_field]] = r;
      if (page["data"].size() < 50) break;
    }
    INFO(service);
    CHECK(stored.size() == mirror.records(service).size());
    CHECK(stored == mirror.records(service));
  }
  CHECK(mirror.records("tasks").size() > 0);
}

}  // namespace
}  // namespace agor
