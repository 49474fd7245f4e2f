// Several `agor serve` nodes on one PostgreSQL store and one Redis (issue 14), each the real
// binary on its own port: clients on different nodes see every write as an event, once, in
// the one global seq order; a node killed with SIGKILL and a Redis restarted mid-stream cost
// the clients that stayed connected nothing but time (gaps fill from the event log); a
// member removed on one node stops getting the board's events on the others at once; a login
// on one node is good on the others (the JWT secret lives in the shared store); a stop sent to
// any node ends the agent the node that took the prompt runs; a killed node's running task is
// marked stopped by another node once its lease expires, and its queued prompts run there;
// one stopped cleanly hands its task over at once.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/presence_client.h"
#include "tests/support/daemon.h"
#include "tests/support/event_stream.h"
#include "tests/support/postgres_server.h"
#include "tests/support/raw_websocket.h"
#include "tests/support/redis_server.h"
#include "tests/support/rest_api.h"

namespace agor {
namespace {

using test::Daemon;
using test::EventStream;
using test::PostgresServer;
using test::PushedEvent;
using test::RedisServer;
using test::RestApi;

// N nodes on a fresh database of the shared test server and a Redis of their own. The first
// node creates the admin; its API key is every client's credential.
struct Cluster {
  // `extra`: more flags for every node; `env`: node 0's extra environment.
  explicit Cluster(int n, const std::vector<std::string>& extra = {},
                   const std::vector<std::string>& env = {})
      : store(PostgresServer::Shared().CreateDatabase("nodes")) {
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> args{"--store", store, "--broker", redis.url()};
      args.insert(args.end(), extra.begin(), extra.end());
      nodes.push_back(
          std::make_unique<Daemon>(args, "", i == 0 ? env : std::vector<std::string>{}));
    }
    token = nodes[0]->token();
    REQUIRE_FALSE(token.empty());
  }
  RestApi Api(size_t i) const { return RestApi(nodes[i]->url(), token); }
  std::unique_ptr<EventStream> Stream(size_t i, const std::string& board) const {
    return std::make_unique<EventStream>(nodes[i]->port(), "&board_id=" + board, token);
  }

  RedisServer redis;
  std::string store;
  std::vector<std::unique_ptr<Daemon>> nodes;
  std::string token;
};

// The ids of `count` "messages created" events, in the order they came; their seqs must
// ascend. Fails if they do not all come.
std::vector<std::string> Collect(EventStream* stream, size_t count) {
  std::vector<std::string> ids;
  int64_t last = 0;
  PushedEvent ev;
  while (ids.size() < count && stream->WaitFor("messages created", Json::object(), &ev, 20000)) {
    int64_t seq = std::stoll(ev.seq);
    CHECK(seq > last);
    last = seq;
    ids.push_back(ev.record["message_id"].get<std::string>());
  }
  REQUIRE(ids.size() == count);
  return ids;
}

std::string Say(RestApi& api, const std::string& session, const std::string& text) {
  return api
      .Post("/messages",
            {{"session_id", session}, {"role", "user"}, {"content", text}})["message_id"]
      .get<std::string>();
}

TEST_CASE("clients on three nodes see every node's writes once, in one order", "[e2e][nodes]") {
  Cluster c(3);
  RestApi api = c.Api(0);
  std::string session = api.Session("codex");
  std::string board = api.Get("/sessions/" + session)["board_id"].get<std::string>();
  std::vector<std::unique_ptr<EventStream>> streams;
  for (size_t i = 0; i < 3; ++i) streams.push_back(c.Stream(i, board));
  std::set<std::string> said;
  for (int k = 0; k < 30; ++k) {
    RestApi on = c.Api(k % 3);
    said.insert(Say(on, session, "m" + std::to_string(k)));
  }
  std::vector<std::string> first = Collect(streams[0].get(), said.size());
  CHECK(std::set<std::string>(first.begin(), first.end()) == said);
  for (size_t i = 1; i < 3; ++i) CHECK(Collect(streams[i].get(), said.size()) == first);
}

TEST_CASE("a node killed and Redis restarted mid-stream lose the other clients nothing",
          "[e2e][nodes]") {
  Cluster c(3);
  RestApi api = c.Api(0);
  std::string session = api.Session("codex");
  std::string board = api.Get("/sessions/" + session)["board_id"].get<std::string>();
  auto on0 = c.Stream(0, board);
  auto on1 = c.Stream(1, board);
  auto on2 = c.Stream(2, board);  // dies with its node
  std::set<std::string> said;
  for (int k = 0; k < 60; ++k) {
    if (k == 15) c.nodes[2]->Stop(SIGKILL);
    if (k == 30) c.redis.Stop();
    if (k == 40) c.redis.Start();
    RestApi on = c.Api(k % 2);
    said.insert(Say(on, session, "m" + std::to_string(k)));
  }
  std::vector<std::string> got0 = Collect(on0.get(), said.size());
  CHECK(std::set<std::string>(got0.begin(), got0.end()) == said);
  CHECK(Collect(on1.get(), said.size()) == got0);
}

// A Socket.IO client that keeps its pid and the offset of the last event it read, to come
// back with them (socket.io's connection-state recovery) on whichever node.
struct RecoveringClient {
  std::unique_ptr<test::RawWebSocket> ws;
  std::string pid;
  std::string offset;

  // CONNECT presenting `auth` (+ pid and offset once it has them); returns the answer's pid.
  std::string Connect(int port, const std::string& query, Json auth) {
    ws = std::make_unique<test::RawWebSocket>();
    REQUIRE(ws->Connect(port, "/socket.io/?EIO=4&transport=websocket" + query) == 101);
    std::string frame;
    REQUIRE(ws->ReadText(&frame, 5000));  // Engine.IO's open
    if (!pid.empty()) auth.update({{"pid", pid}, {"offset", offset}});
    REQUIRE(ws->SendText("40" + auth.dump()));
    REQUIRE(ws->ReadText(&frame, 5000));
    REQUIRE(frame.rfind("40{", 0) == 0);
    return Json::parse(frame.substr(2))["pid"].get<std::string>();
  }
  // The next "messages created" event's message id ("" on timeout); offsets follow events.
  std::string NextMessage() {
    std::string frame;
    while (ws->ReadText(&frame, 20000)) {
      if (frame == "2") ws->SendText("3");
      if (frame.rfind("42[", 0) != 0) continue;
      Json args = Json::parse(frame.substr(2));
      if (args.size() == 3) offset = args[2].get<std::string>();
      if (args[0] == "messages created") return args[1]["message_id"].get<std::string>();
    }
    return "";
  }
};

TEST_CASE("a client that moves to another node recovers what it missed, once", "[e2e][nodes]") {
  Cluster c(2);
  RestApi api = c.Api(0);
  std::string session = api.Session("codex");
  std::string board = api.Get("/sessions/" + session)["board_id"].get<std::string>();
  const std::string query = "&board_id=" + board;
  RecoveringClient client;
  client.pid = client.Connect(c.nodes[0]->port(), query, {{"token", c.token}});
  std::string first = Say(api, session, "seen on node 0");
  REQUIRE(client.NextMessage() == first);
  client.ws.reset();  // the connection drops
  std::vector<std::string> missed;
  for (int k = 0; k < 6; ++k) {
    RestApi on = c.Api(k % 2);
    missed.push_back(Say(on, session, "missed " + std::to_string(k)));
  }
  std::string old_pid = client.pid;
  CHECK(client.Connect(c.nodes[1]->port(), query, {{"token", c.token}}) == old_pid);
  missed.push_back(Say(api, session, "live on node 1 after the move"));
  std::vector<std::string> got;
  while (got.size() < missed.size()) {
    std::string id = client.NextMessage();
    REQUIRE_FALSE(id.empty());
    got.push_back(id);
  }
  CHECK(got == missed);  // in order, none twice, the one seen before not again
}

// A task of the slow agent (it runs until stopped) prompted on node 0, running: `watching`,
// a stream on node 1 of its session's board, has seen its first message.
struct SlowTask {
  explicit SlowTask(const Cluster& c) {
    RestApi on0 = c.Api(0);
    const std::string agent = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/slow_agent.sh";
    session = on0.Session("command", {agent});
    std::string board = on0.Get("/sessions/" + session)["board_id"].get<std::string>();
    watching = c.Stream(1, board);
    task = on0.Post("/sessions/" + session + "/prompt", {{"prompt", "x"}})["task_id"]
               .get<std::string>();
    PushedEvent ev;
    REQUIRE(watching->WaitFor("messages created", {{"role", "assistant"}}, &ev));
  }
  std::string session, task;
  std::unique_ptr<EventStream> watching;
};

TEST_CASE("a client following a session on one node keeps it when another node moves it",
          "[e2e][nodes]") {
  Cluster c(2);
  RestApi admin = c.Api(0);
  std::string from = admin.Board(), to = admin.Board();
  std::string session =
      admin.Post("/sessions", {{"board_id", from}, {"agentic_tool", "codex"}})["session_id"];
  // On node 1, only the session's channel: the node follows the session through its board.
  test::PresenceClient follower(c.nodes[1]->port(), c.token);
  Json joined = follower.Call("create", {{{"session_id", session}}}, "subscriptions");
  REQUIRE(joined[0].is_null());
  std::string before = Say(admin, session, "on the first board");
  follower.WaitFor("messages created", {{"message_id", before}});

  admin.Patch("/sessions/" + session, {{"board_id", to}});  // on node 0
  follower.WaitFor("sessions patched", {{"board_id", to}});
  std::string after = Say(admin, session, "on the second board");
  follower.WaitFor("messages created", {{"message_id", after}});
}

TEST_CASE("a stop sent to one node ends the agent another node runs", "[e2e][nodes]") {
  Cluster c(2);
  RestApi on1 = c.Api(1);
  SlowTask run(c);
  Json stopping = on1.Post("/sessions/" + run.session + "/stop", Json::object());
  CHECK(stopping == Json{{"task_id", run.task}, {"status", "stopping"}});
  Json ended;
  REQUIRE(run.watching->WaitTaskEnd(run.task, &ended));
  CHECK(ended["status"] == "stopped");
  on1.Post("/sessions/" + run.session + "/stop", Json::object(), 409);  // nothing runs now
}

TEST_CASE("a prompt sent to one node while another runs the session's task waits its turn",
          "[e2e][nodes]") {
  Cluster c(2);
  RestApi on1 = c.Api(1);
  SlowTask run(c);  // runs on node 0
  Json queued = on1.Post("/sessions/" + run.session + "/prompt", {{"prompt", "after"}});
  CHECK(queued["status"] == "queued");
  CHECK(queued["task_id"].is_null());
  on1.Post("/sessions/" + run.session + "/stop", Json::object());
  Json ended;
  REQUIRE(run.watching->WaitTaskEnd(run.task, &ended));
  // The run's end on node 0 starts the prompt node 1 queued.
  PushedEvent next;
  REQUIRE(run.watching->WaitFor("tasks created", {{"prompt", "after"}}, &next));
  CHECK(next.record["status"] == "running");
  CHECK(on1.Get("/tasks?session_id=" + run.session)["total"] == 2);
}

// The value of `series` in node `d`'s GET /metrics ("" when absent).
std::string Metric(const Daemon& d, const std::string& series) {
  auto r = RestApi(d).http().Get("/metrics");
  REQUIRE(r);
  std::istringstream in(r->body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  }
  return "";
}

TEST_CASE("an agent's streamed text reaches a watcher on another node, live", "[e2e][nodes]") {
  const std::string fixtures = std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";
  Cluster c(2, {},
            {"AGOR_CLAUDE_BIN=" + fixtures + "fake_agent.sh",
             "AGOR_FIXTURE=" + fixtures + "claude_tool_use.jsonl"});
  RestApi on0 = c.Api(0);
  std::string session = on0.Session("claude-code");
  std::string board = on0.Get("/sessions/" + session)["board_id"].get<std::string>();
  auto here = c.Stream(0, board);
  auto there = c.Stream(1, board);
  std::string task =
      on0.Post("/sessions/" + session + "/prompt", {{"prompt", "fix the bug"}})["task_id"]
          .get<std::string>();
  Json ended;
  REQUIRE(there->WaitTaskEnd(task, &ended));
  REQUIRE(here->WaitTaskEnd(task, &ended));
  // The same chunks, in the same order, on the node that runs the agent and on the other.
  auto chunks = [](const EventStream& stream) {
    std::vector<std::string> out;
    for (const auto& ev : stream.seen()) {
      if (ev.name == "messages streaming") out.push_back(ev.record.dump());
    }
    return out;
  };
  CHECK_FALSE(chunks(*here).empty());
  CHECK(chunks(*there) == chunks(*here));
  CHECK(Metric(*c.nodes[1], "agor_broker_live_total{direction=\"received\"}") != "0");
  CHECK(Metric(*c.nodes[0], "agor_broker_live_total{direction=\"published\"}") != "0");
}

TEST_CASE("a killed node's running task is marked stopped by one other once its lease expires",
          "[e2e][nodes]") {
  test::TempDir dir;
  const std::string child_pid = dir.path() + "/child.pid";
  Cluster c(3, {"--node-lease-ms", "2000"}, {"AGOR_FIXTURE_CHILD_PID=" + child_pid});
  RestApi on1 = c.Api(1);
  SlowTask run(c);
  const std::string& session = run.session;
  const std::string& task = run.task;
  EventStream* watching = run.watching.get();
  Json queued = c.Api(0).Post("/sessions/" + session + "/prompt", {{"prompt", "next"}});
  REQUIRE(queued["status"] == "queued");

  c.nodes[0]->Stop(SIGKILL);  // its agent dies with it (PDEATHSIG), the agent's child does not
  Json ended;
  PushedEvent ev;
  REQUIRE(watching->WaitTaskEnd(task, &ended));
  CHECK(ended["status"] == "stopped");
  CHECK(ended["error"] == "the node running it stopped responding");
  // One of nodes 1 and 2 claimed the dead node: the queued prompt runs there now.
  REQUIRE(watching->WaitFor("tasks created", {{"prompt", "next"}}, &ev));
  std::string next = ev.record["task_id"].get<std::string>();
  std::set<std::string> counts{Metric(*c.nodes[1], "agor_tasks_reclaimed_total"),
                               Metric(*c.nodes[2], "agor_tasks_reclaimed_total")};
  CHECK(counts == std::set<std::string>{"0", "1"});
  Json stopping = on1.Post("/sessions/" + session + "/stop", Json::object());
  CHECK(stopping["task_id"] == next);  // wherever it runs
  REQUIRE(watching->WaitTaskEnd(next, &ended));
  CHECK(ended["status"] == "stopped");
  std::ifstream pid_file(child_pid);
  pid_t child = 0;
  if (pid_file >> child && child > 0) kill(child, SIGKILL);  // left by node 0's agent
}

TEST_CASE("a node stopped cleanly hands its running task over without waiting for its lease",
          "[e2e][nodes]") {
  // Another node ticks every 4 s: the released lease is claimed within one tick, an expired
  // one could not be before 8 s after the stop (12 s after a beat at most 4 s before it).
  Cluster c(2, {"--node-lease-ms", "12000"});
  SlowTask run(c);
  CHECK(c.nodes[0]->Stop(SIGTERM) == 0);
  Json ended;
  REQUIRE(run.watching->WaitTaskEnd(run.task, &ended, 7000));
  CHECK(ended["status"] == "stopped");
  CHECK(ended["error"] == "the node running it stopped responding");
}

TEST_CASE("agor serve refuses a --node-lease-ms out of its range", "[e2e][nodes]") {
  test::TempDir dir;
  for (const char* bad : {"0", "299", "3600001", "30s"}) {
    INFO(bad);
    auto run = test::RunProgram({AGOR_BINARY, "serve", "--port", "0", "--db",
                                 dir.path() + "/agor.db", "--node-lease-ms", bad});
    CHECK(run.exit_code == 2);
    CHECK(run.err.find("--node-lease-ms") != std::string::npos);
  }
}

TEST_CASE("a logout or a password change on one node holds on the others", "[e2e][nodes]") {
  Cluster c(2);
  RestApi(c.nodes[0]->url(), c.token)
      .Post("/users", {{"email", "eve@example.com"}, {"password", "password-of-eve"}});
  auto login = [&](size_t node, const std::string& password) {
    return RestApi(c.nodes[node]->url())
        .Post("/authentication", {{"strategy", "local"},
                                  {"email", "eve@example.com"},
                                  {"password", password}})["accessToken"]
        .get<std::string>();
  };
  std::string first = login(1, "password-of-eve");
  RestApi(c.nodes[1]->url(), first).Get("/boards");
  RestApi(c.nodes[0]->url(), first).Delete("/authentication");           // logout on node 0
  Json refused = RestApi(c.nodes[1]->url(), first).Get("/boards", 401);  // at once on node 1
  CHECK(refused["message"] == "jwt revoked");

  // A password change on node 1 ends the other tokens on node 0, but the one that made it.
  std::string second = login(0, "password-of-eve");
  std::string third = login(0, "password-of-eve");
  std::string eve =
      RestApi(c.nodes[1]->url())
          .Post("/authentication", {{"strategy", "jwt"}, {"accessToken", third}})["user"]["user_id"]
          .get<std::string>();
  RestApi(c.nodes[1]->url(), third)
      .Patch("/users/" + eve,
             {{"password", "new-password-of-eve"}, {"current_password", "password-of-eve"}});
  RestApi(c.nodes[0]->url(), second).Get("/boards", 401);
  RestApi(c.nodes[0]->url(), third).Get("/boards");
  login(0, "new-password-of-eve");
}

TEST_CASE("a member removed on one node stops getting the board's events on another",
          "[e2e][nodes]") {
  Cluster c(2);
  RestApi admin = c.Api(0);
  std::string bob_id = admin.Post("/users", {{"email", "bob@example.com"},
                                             {"password", "password-of-bob"},
                                             {"name", "bob"},
                                             {"role", "member"}})["user_id"];
  // A login on node 1 is good on node 0: the signing secret is the shared store's.
  Json login = RestApi(c.nodes[1]->url())
                   .Post("/authentication", {{"strategy", "local"},
                                             {"email", "bob@example.com"},
                                             {"password", "password-of-bob"}});
  std::string bob = login["accessToken"].get<std::string>();
  RestApi(c.nodes[0]->url(), bob).Get("/boards");
  std::string hidden =
      admin.Post("/boards", {{"name", "hidden"}, {"visibility", "private"}})["board_id"];
  std::string membership = admin.Post(
      "/board-members", {{"board_id", hidden}, {"user_id", bob_id}, {"role", "editor"}})["id"];
  std::string session =
      admin.Post("/sessions", {{"board_id", hidden}, {"agentic_tool", "codex"}})["session_id"];
  EventStream bob_on_1(c.nodes[1]->port(), "&board_id=" + hidden, bob);
  PushedEvent ev;
  std::string seen = Say(admin, session, "for bob");
  REQUIRE(bob_on_1.WaitFor("messages created", {{"message_id", seen}}, &ev));

  admin.Delete("/board-members/" + membership);  // on node 0; bob listens on node 1
  REQUIRE(bob_on_1.WaitFor("board-members removed", {{"user_id", bob_id}}, &ev));
  std::string unseen = Say(admin, session, "not for bob any more");
  std::string marker = admin.Post("/boards", {{"name", "marker"}})["board_id"];
  REQUIRE(bob_on_1.WaitFor("boards created", {{"board_id", marker}}, &ev));
  for (const auto& e : bob_on_1.seen()) CHECK(e.record.value("message_id", "") != unseen);
  RestApi(c.nodes[1]->url(), bob).Get("/boards/" + hidden, 404);
}

}  // namespace
}  // namespace agor
