// The Store on both engines (issue 14, docs/scale-out.md "One store model, two engines"): each
// case opens the Store on each engine (tests/store/engine_fixture.h: SQLite in memory, a real
// PostgreSQL database of its own) and runs the same writes, batches, conflicts and cascades,
// expecting the same answers and the same event log.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/ids.h"
#include "store/store.h"
#include "tests/store/engine_fixture.h"

namespace agor {
namespace {

using test::EngineStore;
using test::FakeClock;

void Require(const Status& s) {
  INFO(s.ToString());
  REQUIRE(s.ok());
}

TEST_CASE("store engines: create, get by prefix, patch, update and remove, one event each",
          "[store][pg]") {
  ON_EACH_ENGINE("store_crud");
  Json board = f.Board("first");
  std::string id = board["board_id"];
  REQUIRE(IsUuid(id));
  Json got;
  REQUIRE(f.store->Get("boards", id.substr(0, 8), &got).ok());
  CHECK(got == board);
  Json patched, updated, removed;
  REQUIRE(f.store->Patch("boards", id, {{"description", "d"}}, &patched).ok());
  CHECK(patched["description"] == "d");
  CHECK(patched["name"] == "first");
  REQUIRE(f.store->Update("boards", id, {{"name", "second"}}, &updated).ok());
  CHECK(updated["description"].is_null());
  REQUIRE(f.store->Remove("boards", id, &removed).ok());
  CHECK(removed["name"] == "second");
  CHECK(f.store->Get("boards", id, &got).code() == Code::kNotFound);
  std::vector<std::string> want{"1 boards created", "2 boards patched", "3 boards updated",
                                "4 boards removed"};
  CHECK(f.Told() == want);
  CHECK(f.Log() == want);
  CHECK(f.store->event_log()->LastSeq() == 4);
}

TEST_CASE("store engines: unique and reference violations answer alike and leave no event",
          "[store][pg]") {
  ON_EACH_ENGINE("store_conflicts");
  Json board = f.Create("boards", {{"name", "a"}, {"slug", "web"}});
  Json out;
  Status s = f.store->Create("boards", {{"name", "b"}, {"slug", "web"}}, &out);
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message() == "slug \"web\" is already taken");
  s = f.store->Create("boards", {{"name", "c"}, {"board_id", board["board_id"]}}, &out);
  CHECK(s.code() == Code::kConflict);
  s = f.store->Create("sessions", {{"board_id", NewUuid()}}, &out);
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message().find("board_id") != std::string::npos);
  Json other = f.Create("boards", {{"name", "d"}, {"slug", "api"}});
  s = f.store->Patch("boards", other["board_id"], {{"slug", "web"}}, &out);
  CHECK(s.code() == Code::kConflict);
  // Each refused write undid only itself: the store goes on writing.
  f.Board("e");
  CHECK(f.Told() ==
        std::vector<std::string>{"1 boards created", "2 boards created", "3 boards created"});
  CHECK(f.Total("boards") == 3);
}

TEST_CASE("store engines: messages take dense indexes, a queued one none until it leaves",
          "[store][pg]") {
  ON_EACH_ENGINE("store_messages");
  Json session = f.Session(f.Board("b"));
  CHECK(f.Message(session)["index"] == 0);
  CHECK(f.Message(session)["index"] == 1);
  Json queued = f.Message(session, "queued");
  CHECK(queued["index"].is_null());
  Json out;
  REQUIRE(f.store->Patch("messages", queued["message_id"], {{"status", "sent"}}, &out).ok());
  CHECK(out["index"] == 2);
  CHECK(out["board_id"] == session["board_id"]);
}

TEST_CASE("store engines: removing a board cascades, children first, each with its event",
          "[store][pg]") {
  ON_EACH_ENGINE("store_cascade");
  Json board = f.Board("b");
  Json session = f.Session(board);
  f.Message(session);
  Json task = f.Create("tasks", {{"session_id", session["session_id"]}, {"prompt", "p"}});
  Json moved = f.Session(board), target = f.Board("t");
  f.Message(moved);
  Json out;
  REQUIRE(f.store->Patch("sessions", moved["session_id"], {{"board_id", target["board_id"]}}, &out)
              .ok());
  CHECK(f.Told().back() == "9 messages patched");  // after its session's own event
  f.events.clear();
  REQUIRE(f.store->Remove("boards", board["board_id"], &out).ok());
  CHECK(f.Told() == std::vector<std::string>{"10 messages removed", "11 tasks removed",
                                             "12 sessions removed", "13 boards removed"});
  CHECK(f.Total("sessions") == 1);
  CHECK(f.Total("messages") == 1);  // the moved session's, on its new board
  Json page;
  REQUIRE(f.store->Find("messages", Json::object(), &page).ok());
  CHECK(page["data"][0]["board_id"] == target["board_id"]);
  CHECK(f.store->Get("tasks", task["task_id"], &out).code() == Code::kNotFound);
}

// A batch: one transaction, each write in its savepoint, events told after COMMIT in order.
TEST_CASE("store engines: a batch commits its writes together; a refused one undoes only itself",
          "[store][pg]") {
  ON_EACH_ENGINE("store_batch");
  int scheduled = 0;
  f.store->SetCommitScheduler([&] { ++scheduled; });
  Json out;
  REQUIRE(f.store->Create("boards", {{"name", "a"}, {"slug", "a"}}, &out).ok());
  Status refused = f.store->Create("boards", {{"name", "b"}, {"slug", "a"}}, &out);
  CHECK(refused.code() == Code::kConflict);
  CHECK(f.store->Create("sessions", {{"board_id", NewUuid()}}, &out).code() == Code::kBadRequest);
  REQUIRE(f.store->Create("boards", {{"name", "c"}}, &out).ok());
  std::vector<std::string> after;
  f.store->AfterCommit([&](const Status& s) { after.push_back(s.name()); });
  CHECK(f.events.empty());
  CHECK(scheduled == 1);
  REQUIRE(f.store->Commit().ok());
  CHECK(f.Told() == std::vector<std::string>{"1 boards created", "2 boards created"});
  CHECK(after == std::vector<std::string>{"OK"});
  CHECK(f.Total("boards") == 2);
  REQUIRE(f.store->Create("boards", {{"name", "d"}}, &out).ok());
  CHECK(scheduled == 2);
  REQUIRE(f.store->Commit().ok());
  CHECK(f.store->event_log()->LastSeq() == 3);
}

TEST_CASE("store engines: the event log prunes by count and age but keeps the newest",
          "[store][pg]") {
  ON_EACH_ENGINE("store_prune");
  for (int i = 0; i < 5; ++i) {
    f.Board("b" + std::to_string(i));
    f.clock.now += 1000;
  }
  int64_t removed = 0;
  REQUIRE(f.store->event_log()->Prune(3, 0, &removed).ok());
  CHECK(removed == 2);
  CHECK(f.store->event_log()->FirstSeq() == 3);
  REQUIRE(f.store->event_log()->Prune(100, f.clock.now, &removed).ok());
  CHECK(removed == 2);  // all older than now but the newest
  CHECK(f.store->event_log()->FirstSeq() == 5);
  f.Board("after");
  CHECK(f.store->event_log()->LastSeq() == 6);  // seq never restarts
}

TEST_CASE("store engines: the activity feed, client states and agent processes", "[store][pg]") {
  ON_EACH_ENGINE("store_side_tables");
  Json session = f.Session(f.Board("b"));
  f.Message(session);
  f.Message(session);
  CHECK_FALSE(f.live.empty());
  int64_t pruned = -1;
  REQUIRE(f.store->PruneActivity(&pruned).ok());
  CHECK(pruned == 0);

  Require(f.store->SaveClientState("pid1", {{"boards", {"b1", "b2"}}}));
  REQUIRE(f.store->SetClientChannel("pid1", "sessions", "s1", true).ok());
  REQUIRE(f.store->SetClientChannel("pid1", "boards", "b1", false).ok());
  Json state;
  REQUIRE(f.store->LoadClientState("pid1", &state).ok());
  CHECK(state == Json{{"boards", {"b2"}}, {"sessions", {"s1"}}});
  CHECK(f.store->LoadClientState("pid2", &state).code() == Code::kNotFound);
  CHECK(f.store->SetClientChannel("pid1", "nope", "x", true).code() == Code::kBadRequest);

  REQUIRE(f.store->RecordAgentProcess({"t1", 100, 7}).ok());
  REQUIRE(f.store->RecordAgentProcess({"t1", 101, 8}).ok());  // replaces
  REQUIRE(f.store->RecordAgentProcess({"t2", 200, 9}).ok());
  REQUIRE(f.store->ForgetAgentProcess("t2").ok());
  std::vector<AgentProcess> processes;
  REQUIRE(f.store->ListAgentProcesses(&processes).ok());
  REQUIRE(processes.size() == 1);
  CHECK(processes[0].pgid == 101);
  CHECK(processes[0].start_time == 8);
}

TEST_CASE("store engines: a node's lease is claimed once it expires, by one claimer",
          "[store][pg]") {
  ON_EACH_ENGINE("store_leases");
  bool had = true;
  Require(f.store->Heartbeat("dead", 1000, &had));
  CHECK_FALSE(had);  // the first beat creates the row
  Require(f.store->Heartbeat("live", 4000, &had));
  Require(f.store->Heartbeat("live", 5000, &had));
  CHECK(had);
  Require(f.store->RecordAgentProcess({"t1", 11, 1, "dead"}));
  Require(f.store->RecordAgentProcess({"t2", 22, 2, "live"}));
  Require(f.store->RecordAgentProcess({"t3", 33, 3, ""}));  // an older version's row
  std::vector<std::string> expired;
  Require(f.store->ExpiredNodes(3000, &expired));
  CHECK(expired == std::vector<std::string>{"dead"});

  bool won = false;
  std::vector<AgentProcess> taken;
  Require(f.store->ClaimNode("live", 3000, "me", &won, &taken));
  CHECK_FALSE(won);  // its heartbeat is within the lease
  CHECK(taken.empty());
  Require(f.store->ClaimNode("dead", 3000, "me", &won, &taken));
  CHECK(won);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0].task_id == "t1");
  CHECK(taken[0].pgid == 11);
  CHECK(taken[0].node_id == "me");
  Require(f.store->ClaimNode("dead", 3000, "other", &won, &taken));
  CHECK_FALSE(won);  // claimed once
  CHECK(taken.empty());
  Require(f.store->ExpiredNodes(3000, &expired));
  CHECK(expired.empty());

  std::vector<AgentProcess> all;
  Require(f.store->ListAgentProcesses(&all));
  REQUIRE(all.size() == 3);
  CHECK(all[0].node_id == "me");  // passed on: the claimer's lease covers it now
  CHECK(all[1].node_id == "live");
  CHECK(all[2].node_id.empty());
  Require(f.store->Heartbeat("dead", 6000, &had));
  CHECK_FALSE(had);  // a claimed node that beats again learns it was claimed
}

TEST_CASE("store engines: of two nodes claiming one dead node at once, one wins", "[store][pg]") {
  EngineStore a("postgresql", "store_claimers");
  EngineStore b("sqlite", "");
  StoreOptions options;
  options.path = a.url;
  Require(Store::Open(options, &b.clock, &b.store));
  for (int round = 0; round < 5; ++round) {
    const std::string dead = "dead" + std::to_string(round);
    Require(a.store->Heartbeat(dead, 1000));
    Require(a.store->RecordAgentProcess({"t" + std::to_string(round), round, 1, dead}));
    bool won_a = false, won_b = false;
    std::vector<AgentProcess> taken_a, taken_b;
    Status sa, sb;
    std::thread other([&] { sb = b.store->ClaimNode(dead, 3000, "b", &won_b, &taken_b); });
    sa = a.store->ClaimNode(dead, 3000, "a", &won_a, &taken_a);
    other.join();
    Require(sa);
    Require(sb);
    CHECK(won_a != won_b);
    CHECK(taken_a.size() + taken_b.size() == 1);
  }
}

TEST_CASE("store engines: two nodes writing one session at once get dense message indexes",
          "[store][pg]") {
  EngineStore a("postgresql", "store_index_race");
  EngineStore b("sqlite", "");
  StoreOptions options;
  options.path = a.url;
  Require(Store::Open(options, &b.clock, &b.store));
  Json session = a.Session(a.Board("shared"));
  std::vector<int64_t> got_a, got_b;
  Status sa, sb;
  auto write = [&session](EngineStore& node, std::vector<int64_t>* got, Status* status) {
    for (int i = 0; i < 40 && status->ok(); ++i) {
      Json out;
      *status = node.store->Create(
          "messages", {{"session_id", session["session_id"]}, {"role", "user"}, {"content", "x"}},
          &out);
      if (status->ok()) got->push_back(out["index"].get<int64_t>());
    }
  };
  std::thread other([&] { write(b, &got_b, &sb); });
  write(a, &got_a, &sa);
  other.join();
  Require(sa);  // before the append lock was taken first: 409 "index N is already taken"
  Require(sb);
  std::vector<int64_t> all(got_a);
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> dense(80);
  for (int64_t i = 0; i < 80; ++i) dense[static_cast<size_t>(i)] = i;
  CHECK(all == dense);
}

TEST_CASE("store engines: users, logins, api keys, tokens and secrets", "[store][pg]") {
  ON_EACH_ENGINE("store_users");
  Json user, out;
  REQUIRE(f.store->CreateUser({{"email", "Ann@Example.com"}, {"role", "admin"}}, "h1", &user).ok());
  Status dup = f.store->CreateUser({{"email", "ann@example.com"}}, "", &out);
  CHECK(dup.code() == Code::kConflict);
  Json login;
  std::string hash;
  REQUIRE(f.store->FindLogin("ANN@example.COM", &login, &hash).ok());
  CHECK(login["user_id"] == user["user_id"]);
  CHECK(hash == "h1");
  CHECK(f.store->FindLogin("bob@example.com", &login, &hash).code() == Code::kNotFound);
  REQUIRE(f.store->PatchUser(user["user_id"], Json::object(), "h2", &out).ok());
  REQUIRE(f.store->PasswordHash(user["user_id"], &hash).ok());
  CHECK(hash == "h2");
  CHECK(f.store->CountUsers() == 1);

  Json key, found;
  REQUIRE(
      f.store->CreateApiKey({{"user_id", user["user_id"]}, {"name", "k"}}, "agor_ab", "kh", &key)
          .ok());
  REQUIRE(f.store->FindApiKey("kh", &found).ok());
  CHECK(found["id"] == key["id"]);
  CHECK(f.store->FindApiKey("other", &found).code() == Code::kNotFound);
  REQUIRE(f.store->TouchApiKey(key["id"]).ok());

  REQUIRE(f.store->RevokeToken("jti1", f.clock.now + 60000).ok());
  REQUIRE(f.store->RevokeUserTokens(user["user_id"], 100, "keep").ok());
  CHECK(f.store->IsTokenRevoked("jti1", "", 0));
  CHECK(f.store->IsTokenRevoked("jti2", user["user_id"], 99));
  CHECK_FALSE(f.store->IsTokenRevoked("keep", user["user_id"], 99));

  const std::string bytes("\0\xff\x01secret", 9);  // any bytes: a blob on both engines
  std::string secret;
  REQUIRE(f.store
              ->GetOrCreateSecret(
                  "jwt", [&] { return bytes; }, &secret)
              .ok());
  REQUIRE(f.store
              ->GetOrCreateSecret(
                  "jwt", [] { return std::string("new"); }, &secret)
              .ok());
  CHECK(secret == bytes);

  f.Board("unowned");
  REQUIRE(f.store->AssignBoardOwners(user["user_id"]).ok());
  Json page;
  REQUIRE(f.store->Find("boards", Json::object(), &page).ok());
  CHECK(page["data"][0]["owner_id"] == user["user_id"]);
  f.events.clear();
  REQUIRE(f.store->Remove("users", user["user_id"], &out).ok());
  CHECK(f.Told().front().find("api-keys removed") != std::string::npos);
  CHECK(f.store->FindLogin("ann@example.com", &login, &hash).code() == Code::kNotFound);
}

TEST_CASE("store engines: a PostgreSQL store reopened finds its records and seq", "[store][pg]") {
  EngineStore f("postgresql", "store_reopen");
  Json board = f.Board("kept");
  REQUIRE(f.store->RevokeToken("jti", f.clock.now + 60000).ok());
  f.store.reset();
  EngineStore again("sqlite", "");
  StoreOptions options;
  options.path = f.url;
  REQUIRE(Store::Open(options, &f.clock, &again.store).ok());
  Json got;
  REQUIRE(again.store->Get("boards", board["board_id"], &got).ok());
  CHECK(got == board);
  CHECK(again.store->event_log()->LastSeq() == 1);
  CHECK(again.Board("next")["name"] == "next");
  CHECK(again.store->IsTokenRevoked("jti", "", 0));  // loaded at Open
  CHECK(again.store->event_log()->LastSeq() == 2);
}

TEST_CASE("store engines: two stores on one PostgreSQL database share revocations", "[store][pg]") {
  EngineStore a("postgresql", "store_revocations");
  Require(a.store->RevokeToken("seen-at-open", a.clock.now + 60000));
  EngineStore b("sqlite", "");
  StoreOptions options;
  options.path = a.url;
  Require(Store::Open(options, &a.clock, &b.store));  // a second node on the same database
  CHECK(b.store->IsTokenRevoked("seen-at-open", "u", 0));

  // A logout on a: b's mirror does not know yet; the token's own rows do, at once.
  Require(a.store->RevokeToken("logged-out", a.clock.now + 60000));
  CHECK_FALSE(b.store->IsTokenRevoked("logged-out", "u", 0));
  CHECK(b.store->IsTokenRevokedNow("logged-out", "u", 0));
  CHECK_FALSE(b.store->IsTokenRevokedNow("still-good", "u", 0));

  // A password change on a (a cut-off keeping one token): b's refresh takes it in whole.
  Require(a.store->RevokeUserTokens("u", 100, "kept"));
  CHECK_FALSE(b.store->IsTokenRevoked("old", "u", 99));
  Require(b.store->RefreshTokens());
  CHECK(b.store->IsTokenRevoked("old", "u", 99));
  CHECK_FALSE(b.store->IsTokenRevoked("kept", "u", 99));
  CHECK_FALSE(b.store->IsTokenRevoked("new", "u", 100));
  CHECK(b.store->IsTokenRevoked("logged-out", "other", 0));

  // Expired revocations leave the mirror on refresh.
  a.clock.now += 120000;
  Require(b.store->RefreshTokens());
  CHECK_FALSE(b.store->IsTokenRevoked("logged-out", "other", 0));
}

TEST_CASE("store engines: a bad PostgreSQL URL or an unreachable server fails Open",
          "[store][pg]") {
  FakeClock clock;
  std::unique_ptr<Store> store;
  StoreOptions options;
  options.path = "postgresql://agor@127.0.0.1:1/agor?connect_timeout=2";
  CHECK_FALSE(Store::Open(options, &clock, &store).ok());
  CHECK(store == nullptr);
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

TEST_CASE("store engines: a viewer's finds and event log hold only what they may see",
          "[store][pg]") {
  ON_EACH_ENGINE("store_viewer");
  Json ann, out;
  Require(f.store->CreateUser({{"email", "ann@example.com"}, {"role", "member"}}, "h", &ann));
  const std::string viewer = ann["user_id"];
  Json team = f.Board("team");
  Json hidden = f.Create("boards", {{"name", "hidden"}, {"visibility", "private"}});
  f.Message(f.Session(team));
  f.Message(f.Session(hidden));
  Require(f.store->Remove("boards", team["board_id"], &out));  // a team board's removal: seen

  Json page;
  Require(f.store->Find("boards", Json::object(), &page, viewer));
  CHECK(page["total"] == 0);  // the team board is gone, the private one is not theirs
  Require(f.store->Find("messages", Json::object(), &page, viewer));
  CHECK(page["total"] == 0);
  Require(f.store->FindEvents({{"service", "boards"}, {"event", "removed"}}, &page, viewer));
  CHECK(page["total"] == 1);  // through the removed-board rule (the record's visibility)
  Require(f.store->FindEvents({{"service", "messages"}}, &page, viewer));
  CHECK(page["total"] == 0);  // the team board's message went with it, the other is private
  Require(f.store->Find("boards", Json::object(), &page, NewUuid()));  // nobody: nothing
  CHECK(page["total"] == 0);
  Require(f.store->FindEvents({{"service", "repos"}}, &page, viewer));
  CHECK(page["total"] == 0);
}

}  // namespace
}  // namespace agor
