// End-to-end tests of `agor watch` against the real `agor serve`: the watcher runs as a child
// process with its stdout piped (so it prints JSON lines); records are created over REST and
// the test waits for the lines they cause. Absence of a line is checked with a later event that
// the filter lets through: output is in seq order, so anything unexpected shows up before it.
#include <SQLiteCpp/Database.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/child_process.h"
#include "tests/support/daemon.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::ChildProcess;
using test::Daemon;
using test::ServeProcess;
using test::TempDir;

constexpr int kLineTimeoutMs = 10000;

int PortOf(const std::string& url) {
  return std::stoi(url.substr(url.rfind(':') + 1));
}

using Rest = test::RestApi;

Json Create(Rest& rest, const std::string& service, const Json& body) {
  return rest.Post("/" + service, body);
}

Json Patch(Rest& rest, const std::string& service, const std::string& id, const Json& body) {
  return rest.Patch("/" + service + "/" + id, body);
}

// The newest seq of the event log (0 when empty).
std::int64_t Head(Rest& rest) {
  Json page = rest.Get("/events?$sort[seq]=-1&$limit=1");
  return page["data"].empty() ? 0 : page["data"][0]["seq"].get<std::int64_t>();
}

std::vector<std::string> WatchArgv(const std::string& url, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {AGOR_BINARY, "watch", "--url", url};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Starts `agor watch --url <url> <args...>` presenting `token` (AGOR_TOKEN).
std::unique_ptr<ChildProcess> StartWatch(const std::string& url, const std::string& token,
                                         const std::vector<std::string>& args = {}) {
  return std::make_unique<ChildProcess>(
      WatchArgv(url, args), std::vector<std::string>{"NO_COLOR=1", "AGOR_TOKEN=" + token});
}

// A well-formed key for the runs that never reach a daemon: they test what comes before auth.
const char kUnusedToken[] = "agor_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

// The next line of the watcher, parsed.
Json NextEvent(ChildProcess& watch) {
  std::string line;
  INFO(watch.ErrSoFar());
  REQUIRE(watch.ReadLine(&line, kLineTimeoutMs));
  Json event = Json::parse(line, nullptr, false);
  INFO(line);
  REQUIRE(event.is_object());
  return event;
}

// What a line must say: service, event and the record's id.
struct Expected {
  std::string service;
  std::string event;
  std::string id;
};

std::string IdOf(const std::string& service, const Json& record) {
  std::string field = service.substr(0, service.size() - 1) + "_id";
  return record[field].get<std::string>();
}

Expected Created(const std::string& service, const Json& record) {
  return {service, "created", IdOf(service, record)};
}
Expected Patched(const std::string& service, const Json& record) {
  return {service, "patched", IdOf(service, record)};
}

// Reads one line per expectation, checks each, and checks that seqs strictly grow.
std::vector<Json> ExpectEvents(ChildProcess& watch, const std::vector<Expected>& expected) {
  std::vector<Json> lines;
  for (const Expected& e : expected) {
    Json line = NextEvent(watch);
    INFO(line.dump());
    CHECK(line["service"] == e.service);
    CHECK(line["event"] == e.event);
    CHECK(IdOf(e.service, line["data"]) == e.id);
    REQUIRE(line["seq"].is_number_integer());
    CHECK(line["ts"].is_string());  // live or replayed, each line says when it happened
    REQUIRE(line.contains("session_id"));
    if (e.service != "boards" && e.service != "repos") {
      CHECK(line["session_id"] == line["data"]["session_id"]);
    }
    if (!lines.empty()) CHECK(line["seq"].get<int64_t>() > lines.back()["seq"].get<int64_t>());
    lines.push_back(std::move(line));
  }
  return lines;
}

Json NewBoard(Rest& rest, const std::string& name) {
  return Create(rest, "boards", {{"name", name}});
}
Json NewSession(Rest& rest, const Json& board) {
  return Create(rest, "sessions", {{"board_id", board["board_id"]}, {"title", "t"}});
}
Json NewMessage(Rest& rest, const Json& session, int index) {
  return Create(rest, "messages",
                {{"session_id", session["session_id"]},
                 {"index", index},
                 {"role", "user"},
                 {"content", "hello " + std::to_string(index)}});
}

// A TCP port nothing listens on.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Waits until a watcher of every board (no --since) is live: patches `probe` until a line comes,
// then reads up to the line of the last patch. A watcher prints its first lines from its
// initial replay of the log, and goes live right after that replay: what is written after the
// line of the last patch has been read reaches it over the socket.
void WaitUntilLive(ChildProcess& watch, Rest& rest, const Json& probe) {
  std::string line;
  std::string last;
  for (int i = 0; i < 100 && line.empty(); ++i) {
    last = "probe " + std::to_string(i);
    Patch(rest, "boards", probe["board_id"], {{"description", last}});
    watch.ReadLine(&line, 200);
  }
  REQUIRE_FALSE(line.empty());
  for (Json event = Json::parse(line); event["data"]["description"] != last;) {
    event = NextEvent(watch);
  }
}

}  // namespace

TEST_CASE("agor watch prints live events, and the first ones of boards created meanwhile",
          "[watch][e2e]") {
  std::string channels = GENERATE(as<std::string>{}, "boards", "everybody");
  Daemon daemon({"--channels", channels});
  Rest rest(daemon);
  Json probe = NewBoard(rest, "probe");
  auto watch = StartWatch(daemon.url(), daemon.token());
  WaitUntilLive(*watch, rest, probe);

  // A board created while watching: its session and message follow while the watcher is
  // stopped, so it cannot have joined the new board's channel before they are published.
  watch->Signal(SIGSTOP);
  Json board = NewBoard(rest, "fresh");
  Json session = NewSession(rest, board);
  Json message = NewMessage(rest, session, 0);
  Json patched = Patch(rest, "sessions", session["session_id"], {{"title", "renamed"}});
  watch->Signal(SIGCONT);
  std::vector<Json> lines =
      ExpectEvents(*watch, {Created("boards", board), Created("sessions", session),
                            Created("messages", message), Patched("sessions", patched)});
  CHECK(lines[0]["board_id"] == board["board_id"]);
  CHECK(lines[1]["board_id"] == board["board_id"]);
  CHECK(lines[1]["data"] == session);
  CHECK(lines[3]["data"]["title"] == "renamed");
  CHECK(lines[3]["seq"] == Head(rest));
  CHECK(lines[0]["actor"]["user_id"].is_string());  // the admin wrote it, no agent
  CHECK(lines[0]["actor"]["agent"].is_null());
  CHECK(std::vector<std::string>{"seq", "ts", "service", "event", "board_id", "session_id", "data",
                                 "actor"} == [&] {
    std::vector<std::string> keys;
    for (const auto& item : lines[0].items()) keys.push_back(item.key());
    return keys;
  }());
  Json repo = Create(rest, "repos", {{"slug", "r1"}});
  Json repo_line = ExpectEvents(*watch, {Created("repos", repo)})[0];
  CHECK(repo_line["board_id"].is_null());
}

TEST_CASE("agor watch filters by board, session, service and event", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  Json a = NewBoard(rest, "a");
  Json b = NewBoard(rest, "b");
  Json sa = NewSession(rest, a);
  std::string head = std::to_string(Head(rest));
  std::string a_prefix = a["board_id"].get<std::string>().substr(0, 8);
  std::string sa_prefix = sa["session_id"].get<std::string>().substr(0, 8);
  auto by_board = StartWatch(daemon.url(), daemon.token(), {"--since", head, "--board", a_prefix});
  auto by_service =
      StartWatch(daemon.url(), daemon.token(), {"--since", head, "--service", "messages"});
  auto by_event = StartWatch(daemon.url(), daemon.token(), {"--since", head, "--event", "patched"});
  auto by_session =
      StartWatch(daemon.url(), daemon.token(), {"--since", head, "--session", sa_prefix});
  auto combined = StartWatch(daemon.url(), daemon.token(),
                             {"--since", head, "--board", b["board_id"], "--service", "sessions",
                              "--event", "created", "--event", "patched"});

  Json sb = NewSession(rest, b);                                                  // 1
  Json ma = NewMessage(rest, sa, 0);                                              // 2
  Json mb = NewMessage(rest, sb, 0);                                              // 3
  Json sb2 = Patch(rest, "sessions", sb["session_id"], {{"title", "x"}});         // 4
  Json c = NewBoard(rest, "c");                                                   // 5
  Json b2 = Patch(rest, "boards", b["board_id"], {{"description", "d"}});         // 6
  Json repo = Create(rest, "repos", {{"slug", "r"}});                             // 7
  Json ma2 = Patch(rest, "messages", ma["message_id"], {{"content", "edited"}});  // 8
  Json sb3 = Patch(rest, "sessions", sb["session_id"], {{"title", "last"}});      // 9
  (void)c;
  (void)repo;

  ExpectEvents(*by_board, {Created("messages", ma), Patched("messages", ma2)});
  ExpectEvents(*by_service,
               {Created("messages", ma), Created("messages", mb), Patched("messages", ma2)});
  ExpectEvents(*by_event, {Patched("sessions", sb2), Patched("boards", b2),
                           Patched("messages", ma2), Patched("sessions", sb3)});
  ExpectEvents(*by_session, {Created("messages", ma), Patched("messages", ma2)});
  ExpectEvents(*combined,
               {Created("sessions", sb), Patched("sessions", sb2), Patched("sessions", sb3)});
}

TEST_CASE("agor watch --board takes a board's slug", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  Json a = Create(rest, "boards", {{"name", "a"}, {"slug", "sprint-12"}});
  Json b = NewBoard(rest, "b");
  std::string head = std::to_string(Head(rest));
  auto watch = StartWatch(daemon.url(), daemon.token(), {"--since", head, "--board", "sprint-12"});
  Json sb = NewSession(rest, b);
  Json sa = NewSession(rest, a);
  Json ma = NewMessage(rest, sa, 0);
  // Only board a's records: b's session, which came first, is not printed.
  ExpectEvents(*watch, {Created("sessions", sa), Created("messages", ma)});
  (void)sb;
}

TEST_CASE("agor watch explains a --board or --session it cannot resolve", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  NewBoard(rest, "a");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--board", "ab12"},
       "agor: --board: id prefix 'ab12' is too short: give at least 8 hex "
       "digits\n"},
      {{"--board", "no-such-slug"}, "agor: --board: no board has the id or slug 'no-such-slug'\n"},
      {{"--session", "ab12"},
       "agor: --session: id prefix 'ab12' is too short: give at least 8 "
       "hex digits\n"},
  };
  for (const auto& [args, message] : cases) {
    auto watch = StartWatch(daemon.url(), daemon.token(), args);
    CHECK(watch->Wait(kLineTimeoutMs) == 1);
    CHECK(watch->ErrSoFar() == message);
  }
}

TEST_CASE("agor watch --since replays the log, then goes on live", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  const int64_t head = Head(rest);  // the first start's own events (the admin, its key)
  std::vector<Json> boards;
  for (int i = 0; i < 5; ++i) boards.push_back(NewBoard(rest, "b" + std::to_string(i)));
  auto watch = StartWatch(daemon.url(), daemon.token(), {"--since", std::to_string(head + 2)});
  std::vector<Json> lines = ExpectEvents(
      *watch,
      {Created("boards", boards[2]), Created("boards", boards[3]), Created("boards", boards[4])});
  CHECK(lines[0]["seq"] == head + 3);
  CHECK(lines[2]["seq"] == head + 5);
  Json later = NewBoard(rest, "later");
  Json session = NewSession(rest, later);
  lines = ExpectEvents(*watch, {Created("boards", later), Created("sessions", session)});
  CHECK(lines[0]["seq"] == head + 6);
  CHECK(lines[1]["seq"] == head + 7);
}

TEST_CASE("agor watch --since pages through a long log", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  constexpr int kBoards = 1205;
  const int64_t head = Head(rest);  // the first start's own events (the admin, its key)
  for (int i = 0; i < kBoards; ++i) NewBoard(rest, "b" + std::to_string(i));
  auto watch = StartWatch(daemon.url(), daemon.token(), {"--since", "0", "--service", "boards"});
  for (int i = 1; i <= kBoards; ++i) {
    Json line = NextEvent(*watch);
    REQUIRE(line["seq"] == head + i);
  }
  Json last = NewBoard(rest, "last");
  CHECK(ExpectEvents(*watch, {Created("boards", last)})[0]["seq"] == head + kBoards + 1);

  // A watcher of every board joins them all, not only the first page.
  Json page = rest.Get("/boards?$limit=1&$sort[board_id]=-1");
  Json highest = page["data"][0];
  auto every = StartWatch(daemon.url(), daemon.token());
  WaitUntilLive(*every, rest, last);
  Json session = NewSession(rest, highest);
  ExpectEvents(*every, {Created("sessions", session)});
}

// The daemon is killed under the watcher; another daemon on another port writes to the same
// database (so the missed events exist before the watcher can possibly reconnect), dies too, and
// a third one comes back on the watcher's port.
TEST_CASE("agor watch resumes after the daemon is killed and restarted: no gap, no duplicate",
          "[watch][e2e]") {
  TempDir dir;
  std::string db = dir.path() + "/agor.db";
  auto first = std::make_unique<ServeProcess>(0, db);
  std::string url = first->url();
  Rest rest(url, first->token());
  Json board = NewBoard(rest, "b");
  auto watch = StartWatch(url, first->token(), {"--since", std::to_string(Head(rest))});
  std::vector<Json> before;
  for (int i = 0; i < 3; ++i) before.push_back(NewSession(rest, board));
  std::vector<Json> lines =
      ExpectEvents(*watch, {Created("sessions", before[0]), Created("sessions", before[1]),
                            Created("sessions", before[2])});
  std::int64_t last = lines.back()["seq"];

  first->process().Signal(SIGKILL);
  REQUIRE(first->process().Wait(kLineTimeoutMs) == 128 + SIGKILL);
  first.reset();
  std::string note;
  REQUIRE(watch->ReadErrLine(&note, kLineTimeoutMs));
  CHECK(note == "agor watch: connection lost, reconnecting\xe2\x80\xa6");

  std::vector<Json> missed;
  {
    ServeProcess elsewhere(0, db);
    Rest rest2(elsewhere.url(), elsewhere.token());
    for (int i = 0; i < 3; ++i) missed.push_back(NewSession(rest2, board));
    missed.push_back(NewMessage(rest2, missed[0], 0));
    missed.push_back(NewBoard(rest2, "new"));  // the watcher has yet to join it
    missed.push_back(NewSession(rest2, missed[4]));
    elsewhere.process().Signal(SIGKILL);
    REQUIRE(elsewhere.process().Wait(kLineTimeoutMs) == 128 + SIGKILL);
  }
  std::string resumed = "agor watch: reconnected, resumed after seq " + std::to_string(last);
  SECTION("the daemon recovers the session and replays what was missed") {}
  SECTION("the daemon lost the session: the watcher replays the event log") {
    SQLite::Database(db, SQLite::OPEN_READWRITE).exec("DELETE FROM client_states");
    resumed += " (replayed from the event log)";
  }
  ServeProcess back(PortOf(url), db);
  lines = ExpectEvents(*watch, {Created("sessions", missed[0]), Created("sessions", missed[1]),
                                Created("sessions", missed[2]), Created("messages", missed[3]),
                                Created("boards", missed[4]), Created("sessions", missed[5])});
  CHECK(lines[0]["seq"] == last + 1);
  REQUIRE(watch->ReadErrLine(&note, kLineTimeoutMs));
  CHECK(note == resumed);

  // Live again afterwards.
  Rest rest3(url, back.token());
  Json live = NewSession(rest3, missed[4]);
  CHECK(ExpectEvents(*watch, {Created("sessions", live)})[0]["seq"] == last + 7);
}

TEST_CASE("agor watch | head -n 3 ends when head does", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  auto pipeline = [&](int boards) {
    for (int i = 0; i < boards; ++i) NewBoard(rest, "b" + std::to_string(i));
    std::string command = "'" + std::string(AGOR_BINARY) + "' watch --url " + daemon.url() +
                          " --since 0 | head -n 3; exit ${PIPESTATUS[0]}";
    return std::make_unique<ChildProcess>(std::vector<std::string>{"/bin/bash", "-c", command},
                                          daemon.ClientEnv());
  };
  SECTION("idle after the third line") {
    auto shell = pipeline(3);
    std::string line;
    for (int i = 0; i < 3; ++i) REQUIRE(shell->ReadLine(&line, kLineTimeoutMs));
    CHECK(shell->Wait(kLineTimeoutMs) == 0);
    CHECK(shell->ErrSoFar().empty());
  }
  SECTION("more lines than head wants") {
    auto shell = pipeline(10);
    std::string line;
    for (int i = 0; i < 3; ++i) REQUIRE(shell->ReadLine(&line, kLineTimeoutMs));
    CHECK(!shell->ReadLine(&line, kLineTimeoutMs));  // stdout ends: head is gone
    CHECK(shell->Wait(kLineTimeoutMs) == 0);
    CHECK(shell->ErrSoFar().empty());
  }
}

TEST_CASE("agor watch exits 130 on Ctrl-C", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  NewBoard(rest, "b");
  auto watch = StartWatch(daemon.url(), daemon.token(), {"--since", "0"});
  NextEvent(*watch);
  watch->Signal(SIGINT);
  CHECK(watch->Wait(kLineTimeoutMs) == 130);
  CHECK(watch->ErrSoFar().empty());
}

TEST_CASE("agor watch lines carry the log's ts and the session, live as replayed", "[watch][e2e]") {
  Daemon daemon;
  Rest rest(daemon);
  Json board = NewBoard(rest, "b");
  Json session = NewSession(rest, board);
  auto watch =
      StartWatch(daemon.url(), daemon.token(), {"--since", std::to_string(Head(rest) - 2)});
  ExpectEvents(*watch, {Created("boards", board), Created("sessions", session)});  // replayed
  WaitUntilLive(*watch, rest, board);
  Json message = NewMessage(rest, session, 0);
  Json line = ExpectEvents(*watch, {Created("messages", message)})[0];
  Json entry = rest.Get("/events/" + std::to_string(line["seq"].get<int64_t>()));
  CHECK(line["ts"] == entry["ts"]);
  CHECK(line["session_id"] == session["session_id"]);
  CHECK(line["board_id"] == board["board_id"]);
  CHECK(line["data"] == entry["record"]);
}

TEST_CASE("agor watch without a daemon exits 3 with one line", "[watch][e2e]") {
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  auto watch = StartWatch(url, kUnusedToken);
  CHECK(watch->Wait(kLineTimeoutMs) == 3);
  CHECK(watch->ErrSoFar() == "agor: cannot reach agor at " + url + ": is 'agor serve' running?\n");
  std::string line;
  CHECK(!watch->ReadLine(&line, 0));
}

TEST_CASE("agor watch refuses bad flags with exit 2", "[watch][e2e]") {
  std::string url = "http://127.0.0.1:" + std::to_string(ClosedPort());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--since", "-1"}, {"--service", "nope"}, {"--bogus"}}) {
    auto watch = StartWatch(url, kUnusedToken, args);
    CHECK(watch->Wait(kLineTimeoutMs) == 2);
    CHECK(watch->ErrSoFar().rfind("agor: ", 0) == 0);
  }
  auto bad_url = StartWatch("ftp://x", kUnusedToken);
  CHECK(bad_url->Wait(kLineTimeoutMs) == 2);
}

}  // namespace agor
