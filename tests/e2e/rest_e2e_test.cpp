// End-to-end: the real `agor serve` over real sockets, every REST route and status code.
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tests/support/daemon.h"

namespace agor {
namespace {

using test::Daemon;

struct Rest {
  explicit Rest(const Daemon& d) : client("127.0.0.1", d.port()) {
    client.set_tcp_nodelay(true);
    client.set_read_timeout(10, 0);
    if (!d.token().empty()) client.set_default_headers({{"Authorization", "Bearer " + d.token()}});
  }
  struct Reply {
    int status = 0;
    Json body;
    std::string raw;
  };
  Reply Do(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Result r = method == "GET"      ? client.Get(path.c_str())
                        : method == "DELETE" ? client.Delete(path.c_str())
                        : method == "POST"   ? client.Post(path.c_str(), body, "application/json")
                        : method == "PUT"    ? client.Put(path.c_str(), body, "application/json")
                                             : client.Patch(path.c_str(), body, "application/json");
    REQUIRE(r);
    Reply out{r->status, Json::parse(r->body, nullptr, false), r->body};
    return out;
  }
  Reply Post(const std::string& path, const Json& body) { return Do("POST", path, body.dump()); }

  httplib::Client client;
};

void CheckError(const Rest::Reply& r, int status, const char* name) {
  INFO(r.raw);
  CHECK(r.status == status);
  CHECK(r.body["code"] == status);
  CHECK(r.body["name"] == name);
  CHECK(r.body["message"].is_string());
  CHECK(r.body["className"].is_string());
}

TEST_CASE("health answers status, version and uptime", "[e2e][rest]") {
  Daemon d;
  Rest rest(d);
  auto r = rest.Do("GET", "/health");
  CHECK(r.status == 200);
  CHECK(r.body["status"] == "ok");
  CHECK(r.body["version"] == AGOR_VERSION);
  CHECK(r.body["uptime_s"].is_number_integer());
  auto m = rest.Do("GET", "/metrics");
  CHECK(m.status == 200);
  CHECK(m.raw.find("agor_http_requests_total") != std::string::npos);
}

TEST_CASE("the six methods of every service over REST", "[e2e][rest]") {
  Daemon d;
  Rest rest(d);
  auto board = rest.Post("/boards", {{"name", "b"}, {"slug", "b"}});
  REQUIRE(board.status == 201);
  std::string bid = board.body["board_id"];
  auto repo = rest.Post("/repos", {{"slug", "r"}, {"remote_url", "git@x:y.git"}});
  REQUIRE(repo.status == 201);
  auto session = rest.Post("/sessions", {{"board_id", bid},
                                         {"repo_id", repo.body["repo_id"]},
                                         {"agentic_tool", "command"},
                                         {"agent_command", {"cat"}},
                                         {"position", {{"x", 1}, {"y", 2}}}});
  REQUIRE(session.status == 201);
  std::string sid = session.body["session_id"];
  // A task is a prompt's run (see the prompt tests): a bare create is refused.
  auto task = rest.Post("/tasks", {{"session_id", sid}, {"prompt", "do it"}});
  CheckError(task, 405, "MethodNotAllowed");
  CHECK(task.body["message"] == "tasks are created by POST /sessions/:id/prompt");
  auto msg = rest.Post("/messages", {{"session_id", sid}, {"role", "user"}, {"content", "hello"}});
  REQUIRE(msg.status == 201);
  CHECK(msg.body["index"] == 0);

  for (const char* svc : {"boards", "repos", "sessions", "tasks", "messages"}) {
    auto page = rest.Do("GET", std::string("/") + svc);
    INFO(svc);
    CHECK(page.status == 200);
    CHECK(page.body["total"] == (std::string(svc) == "tasks" ? 0 : 1));
    CHECK(page.body["limit"] == 100);
    CHECK(page.body["skip"] == 0);
  }
  auto got = rest.Do("GET", "/boards/" + bid.substr(0, 8));
  CHECK(got.status == 200);
  CHECK(got.body == board.body);
  auto patched = rest.Do("PATCH", "/sessions/" + sid, R"({"title":"t"})");
  CHECK(patched.status == 200);
  CHECK(patched.body["title"] == "t");
  CHECK(patched.body["agentic_tool"] == "command");
  auto updated =
      rest.Do("PUT", "/repos/" + repo.body["repo_id"].get<std::string>(), R"({"slug":"r2"})");
  CHECK(updated.status == 200);
  CHECK(updated.body["remote_url"].is_null());
  auto removed = rest.Do("DELETE", "/messages/" + msg.body["message_id"].get<std::string>());
  CHECK(removed.status == 200);
  CHECK(removed.body == msg.body);
  CheckError(rest.Do("GET", "/messages/" + msg.body["message_id"].get<std::string>()), 404,
             "NotFound");
  // Removing the session takes its messages with it.
  rest.Post("/messages", {{"session_id", sid}, {"role", "user"}, {"content", "again"}});
  CHECK(rest.Do("DELETE", "/sessions/" + sid).status == 200);
  CHECK(rest.Do("GET", "/messages").body["total"] == 0);
}

TEST_CASE("queries over REST use the nested query-string syntax", "[e2e][rest]") {
  Daemon d;
  Rest rest(d);
  for (const char* name : {"alpha", "beta", "gamma", "delta"})
    rest.Post("/boards", {{"name", name}});
  auto page = rest.Do("GET", "/boards?$sort[name]=-1&$limit=2&$select[]=name");
  REQUIRE(page.status == 200);
  CHECK(page.body["total"] == 4);
  REQUIRE(page.body["data"].size() == 2);
  CHECK(page.body["data"][0]["name"] == "gamma");
  CHECK(page.body["data"][0].size() == 2);  // name and the id
  auto in = rest.Do("GET", "/boards?name[$in][]=alpha&name[$in][]=beta");
  CHECK(in.body["total"] == 2);
  auto orq = rest.Do("GET", "/boards?$or[0][name]=alpha&$or[1][name]=delta");
  CHECK(orq.body["total"] == 2);
  auto clamp = rest.Do("GET", "/boards?$limit=5000");
  CHECK(clamp.body["limit"] == 1000);
  auto count = rest.Do("GET", "/boards?$limit=0");
  CHECK(count.body["total"] == 4);
  CHECK(count.body["data"].empty());
  auto injection = rest.Do("GET", "/boards?name=x%27%3B%20DROP%20TABLE%20boards%3B--");
  CHECK(injection.body["total"] == 0);
  CHECK(rest.Do("GET", "/boards").body["total"] == 4);
}

TEST_CASE("bad input is refused with Feathers errors naming the problem", "[e2e][rest]") {
  Daemon d;
  Rest rest(d);
  auto board = rest.Post("/boards", {{"name", "b"}, {"slug", "taken"}});
  std::string bid = board.body["board_id"];
  auto session = rest.Post("/sessions", {{"board_id", bid}});
  std::string sid = session.body["session_id"];

  CheckError(rest.Do("POST", "/boards", R"({"name":)"), 400, "BadRequest");
  auto unknown = rest.Post("/boards", {{"name", "x"}, {"junk", true}});
  CheckError(unknown, 400, "BadRequest");
  CHECK(unknown.body["data"]["field"] == "junk");
  CheckError(rest.Post("/boards", {{"name", 7}}), 400, "BadRequest");
  CheckError(rest.Post("/boards", {{"name", "x"}, {"visibility", "hidden"}}), 400, "BadRequest");
  auto op = rest.Do("GET", "/boards?$foo=1");
  CheckError(op, 400, "BadRequest");
  CHECK(op.body["message"] == "Invalid filter value $foo");
  CheckError(rest.Do("GET", "/boards?name[$regex]=x"), 400, "BadRequest");
  CheckError(rest.Do("GET", "/boards?nope=1"), 400, "BadRequest");
  auto ref = rest.Post("/sessions", {{"board_id", "00000000-0000-4000-8000-000000000000"}});
  CheckError(ref, 400, "BadRequest");
  CHECK(ref.body["data"]["field"] == "board_id");
  CheckError(rest.Post("/messages",
                       {{"session_id", "00000000-0000-4000-8000-000000000000"}, {"role", "user"}}),
             400, "BadRequest");

  CheckError(rest.Do("GET", "/boards/missing"), 404, "NotFound");
  CheckError(rest.Do("PATCH", "/boards/00000000", "{}"), 404, "NotFound");
  CheckError(rest.Do("GET", "/nope"), 404, "NotFound");
  CheckError(rest.Do("GET", "/boards/a/b"), 404, "NotFound");

  CheckError(rest.Do("DELETE", "/boards"), 405, "MethodNotAllowed");
  CheckError(rest.Do("PATCH", "/boards", "{}"), 405, "MethodNotAllowed");
  CheckError(rest.Do("PUT", "/boards", "{}"), 405, "MethodNotAllowed");
  CheckError(rest.Do("POST", "/boards/" + bid, "{}"), 405, "MethodNotAllowed");
  CheckError(rest.Do("POST", "/boards", R"([{"name":"a"}])"), 405, "MethodNotAllowed");

  CheckError(rest.Post("/boards", {{"name", "y"}, {"slug", "taken"}}), 409, "Conflict");
  CheckError(rest.Post("/boards", {{"name", "y"}, {"board_id", bid}}), 409, "Conflict");
  rest.Post("/messages", {{"session_id", sid}, {"role", "user"}});
  CheckError(rest.Post("/messages", {{"session_id", sid}, {"role", "user"}, {"index", 0}}), 409,
             "Conflict");
  rest.Post("/repos", {{"slug", "r1"}, {"repo_id", "abcdef01-0000-4000-8000-000000000001"}});
  rest.Post("/repos", {{"slug", "r2"}, {"repo_id", "abcdef01-0000-4000-8000-000000000002"}});
  CheckError(rest.Do("GET", "/repos/abcdef01"), 409, "Conflict");

  std::string big = R"({"name":")" + std::string(2 * 1024 * 1024, 'x') + R"("})";
  CheckError(rest.Do("POST", "/boards", big), 413, "PayloadTooLarge");
  // Nothing half-stored: exactly the one board, one session, one message, two repos.
  CHECK(rest.Do("GET", "/boards").body["total"] == 1);
  CHECK(rest.Do("GET", "/messages").body["total"] == 1);
  CHECK(rest.Do("GET", "/health").status == 200);
}

TEST_CASE("SIGTERM shuts down cleanly and the data survives a restart", "[e2e][rest]") {
  test::TempDir dir;
  std::string db = dir.path() + "/sub/agor.db";
  std::string bid;
  {
    Daemon d({}, db);
    Rest rest(d);
    bid = rest.Post("/boards", {{"name", "kept"}}).body["board_id"];
    CHECK(d.Stop(SIGTERM) == 0);
    struct stat st;
    CHECK((stat((db + "-wal").c_str(), &st) != 0 || st.st_size == 0));  // checkpointed
  }
  Daemon d({}, db);
  Rest rest(d);
  CHECK(rest.Do("GET", "/boards/" + bid).body["name"] == "kept");
}

TEST_CASE("a port in use is one line on stderr and exit code 1", "[e2e][rest]") {
  Daemon d;
  test::TempDir dir;
  auto r = test::RunProgram(
      {AGOR_BINARY, "serve", "--port", std::to_string(d.port()), "--db", dir.path() + "/x.db"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(d.port())) != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  auto bad = test::RunProgram({AGOR_BINARY, "serve", "--port", "99999"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("agor serve refuses a bad flag with one agor line and exit 2", "[e2e][rest]") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--port", "99999"}, "agor: --port: value 99999 not in range 0 to 65535"},
      {{"--bogus"}, "agor: unexpected argument '--bogus'"},
      {{"--log-level", "loud"}, "agor: --log-level: 'loud' is not one of debug, info, warn, error"},
      {{"--port"}, "agor: --port needs a value"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv = {AGOR_BINARY, "serve"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = test::RunProgram(argv);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == message + " (see 'agor serve --help')\n");
  }
  auto help = test::RunProgram({AGOR_BINARY, "serve", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("=3030") != std::string::npos);  // defaults shown
  CHECK(help.out.find("examples:\n  agor serve") != std::string::npos);
}

}  // namespace
}  // namespace agor
