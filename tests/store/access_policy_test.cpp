// The privacy rule (store/access_policy.h): its table (every global role x visibility x board
// role x service, removed users and dangling owners), that it changes only at commit, and that
// its SQL form (finds, totals, GET /events) agrees with its in-memory form on random data, on
// both engines (the failed commit, injected by SQLite's fault VFS, on SQLite only).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>

#include "base/ids.h"
#include "store/store.h"
#include "tests/store/engine_fixture.h"
#include "tests/store/fault_vfs.h"

namespace agor {
namespace {

using test::FakeClock;

// A store on each engine (engine_fixture.h), in a database of its own.
struct World : test::EngineStore {
  explicit World(const char* name = "access", bool durable = false)
      : EngineStore(test::EachEngine(), name, durable) {}
  std::string User(const char* role) {
    Json out;
    Status s = store->CreateUser(
        {{"email", "u" + std::to_string(++users) + "@x.io"}, {"role", role}}, "", &out);
    REQUIRE(s.ok());
    return out["user_id"];
  }
  std::string Board(const char* visibility, const std::string& owner) {
    return Create("boards", {{"name", "b"}, {"visibility", visibility}},
                  {{"owner_id", owner}})["board_id"];
  }
  void Member(const std::string& board, const std::string& user, const char* role) {
    Create("board-members", {{"board_id", board}, {"user_id", user}, {"role", role}});
  }
  void RemoveUser(const std::string& id) {
    Json out;
    REQUIRE(store->Remove("users", id, &out).ok());
  }
  const AccessPolicy& access() { return store->access(); }

  int users = 0;
};

Event BoardEvent(const std::string& service, const std::string& board, const std::string& user) {
  Event ev;
  ev.service = service;
  ev.event = "created";
  ev.board_id = board;
  ev.user_id = user;
  return ev;
}

TEST_CASE("the access rule, role by visibility by board role", "[store][access]") {
  World w;
  std::string admin = w.User("admin"), member = w.User("member"), viewer = w.User("viewer");
  std::string owner = w.User("member"), gone = w.User("member"), stranger = NewUuid();
  std::string team = w.Board("team", owner), priv = w.Board("private", owner);
  std::string orphan = w.Board("private", gone);  // its owner is removed below
  w.Member(priv, viewer, "editor");               // a global viewer never writes
  w.Member(team, member, "viewer");               // the board role wins on a team board
  w.Member(orphan, member, "owner");
  w.Member(priv, gone, "owner");
  w.RemoveUser(gone);
  const AccessPolicy& a = w.access();
  using B = BoardAccess;
  struct Row {
    std::string user, board;
    BoardAccess want;
  } rows[] = {
      {admin, team, B::kOwn},     {admin, priv, B::kOwn},      {admin, orphan, B::kOwn},
      {member, team, B::kRead},   {member, priv, B::kNone},    {member, orphan, B::kOwn},
      {viewer, team, B::kRead},   {viewer, priv, B::kRead},    {viewer, orphan, B::kNone},
      {owner, team, B::kOwn},     {owner, priv, B::kOwn},      {owner, orphan, B::kNone},
      {gone, team, B::kNone},     {gone, orphan, B::kNone},    {gone, priv, B::kNone},
      {stranger, team, B::kNone}, {admin, NewUuid(), B::kOwn}, {member, NewUuid(), B::kNone},
  };
  for (const Row& r : rows) {
    INFO(r.user << " on " << r.board);
    CHECK(a.Board(r.user, r.board) == r.want);
    bool sees = r.want >= B::kRead;
    for (const char* service : {"boards", "sessions", "tasks", "messages"}) {
      INFO(service);
      CHECK(a.CanSee(r.user, BoardEvent(service, r.board, "")) == sees);
      CHECK(a.CanSeeRecord(r.user, service, {{"board_id", r.board}}) == sees);
    }
  }
  std::string member2 = w.User("member");
  CHECK(a.Board(member2, team) == B::kWrite);  // a member with no board role edits a team board
  CHECK(a.RoleOf(gone) == UserRole::kNone);
  CHECK(a.RoleOf(viewer) == UserRole::kViewer);
  CHECK(a.IsPrivate(priv));
  CHECK_FALSE(a.IsPrivate(team));

  // Identities: users events to admins and their subject; keys to their owner only;
  // memberships to whoever sees the board and to their subject.
  CHECK(a.CanSee(admin, BoardEvent("users", "", member)));
  CHECK(a.CanSee(member, BoardEvent("users", "", member)));
  CHECK_FALSE(a.CanSee(viewer, BoardEvent("users", "", member)));
  CHECK(a.CanSeeRecord(viewer, "users", {{"user_id", member}}));
  CHECK_FALSE(a.CanSeeRecord(gone, "users", {{"user_id", gone}}));
  CHECK(a.CanSee(member, BoardEvent("api-keys", "", member)));
  CHECK_FALSE(a.CanSee(admin, BoardEvent("api-keys", "", member)));
  CHECK_FALSE(a.CanSeeRecord(admin, "api-keys", {{"user_id", member}}));
  CHECK(a.CanSeeRecord(member, "api-keys", {{"user_id", member}}));
  CHECK(a.CanSee(member, BoardEvent("board-members", priv, member)));
  CHECK_FALSE(a.CanSee(member, BoardEvent("board-members", priv, viewer)));
  CHECK(a.CanSee(owner, BoardEvent("board-members", priv, viewer)));
  CHECK(a.CanSeeRecord(member, "board-members", {{"board_id", priv}, {"user_id", member}}));
  CHECK(a.CanSee(viewer, BoardEvent("repos", "", "")));
  CHECK_FALSE(a.CanSee(gone, BoardEvent("repos", "", "")));
  CHECK_FALSE(a.CanSee(stranger, BoardEvent("repos", "", "")));

  // A removed board's removal: to its owner and, for a team board, to every user.
  Json out;
  REQUIRE(w.store->Remove("boards", priv, &out).ok());
  Event removed = BoardEvent("boards", priv, owner);
  removed.event = "removed";
  removed.record = out;
  CHECK(a.CanSee(owner, removed));
  CHECK_FALSE(a.CanSee(member, removed));
  REQUIRE(w.store->Remove("boards", team, &out).ok());
  removed = BoardEvent("boards", team, owner);
  removed.event = "removed";
  removed.record = out;
  CHECK(a.CanSee(member, removed));
  CHECK_FALSE(a.CanSee(member, BoardEvent("sessions", team, "")));
}

TEST_CASE("the rule changes when a write commits, before any listener hears of it",
          "[store][access]") {
  World w;
  std::string member = w.User("member"), owner = w.User("member");
  std::string priv = w.Board("private", owner);
  bool scheduled = false;
  w.store->SetCommitScheduler([&] { scheduled = true; });
  std::vector<BoardAccess> heard;
  w.store->SetCommitListener([&](const Event& ev) {
    if (ev.service == "board-members") heard.push_back(w.access().Board(member, priv));
  });
  Json out;
  REQUIRE(w.store->Create("board-members", {{"board_id", priv}, {"user_id", member}}, &out).ok());
  CHECK(scheduled);
  CHECK(w.access().Board(member, priv) == BoardAccess::kNone);  // written, not committed
  REQUIRE(w.store->Commit().ok());
  CHECK(heard == std::vector<BoardAccess>{BoardAccess::kWrite});
  REQUIRE(w.store->Remove("board-members", out["id"], &out).ok());
  CHECK(w.access().Board(member, priv) == BoardAccess::kWrite);
  REQUIRE(w.store->Commit().ok());
  CHECK(heard.back() == BoardAccess::kNone);  // the removal is the first event it holds for
}

// SQLite only: the failed commit is injected by SQLite's fault VFS.
TEST_CASE("a membership whose commit fails grants nothing", "[store][access]") {
  testing::FaultVfs vfs;
  auto dir =
      std::filesystem::temp_directory_path() / ("agor-access-rollback-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  FakeClock clock;
  {
    StoreOptions options;
    options.path = (dir / "agor.db").string();
    options.vfs = vfs.name();
    std::unique_ptr<Store> store;
    REQUIRE(Store::Open(options, &clock, &store).ok());
    Json user, board, out;
    REQUIRE(store->CreateUser({{"email", "a@b.c"}}, "", &user).ok());
    REQUIRE(store->Create("boards", {{"name", "p"}, {"visibility", "private"}}, &board).ok());
    store->SetCommitScheduler([] {});
    REQUIRE(store
                ->Create("board-members",
                         {{"board_id", board["board_id"]}, {"user_id", user["user_id"]}}, &out)
                .ok());
    vfs.FailWrites(SQLITE_FULL);
    vfs.FailSyncs(SQLITE_IOERR_FSYNC);
    CHECK_FALSE(store->Commit().ok());
    CHECK(vfs.refused() > 0);
    vfs.Clear();
    CHECK(store->access().Board(user["user_id"], board["board_id"]) == BoardAccess::kNone);
    Json page;
    REQUIRE(store->Find("boards", Json::object(), &page, user["user_id"]).ok());
    CHECK(page["total"] == 0);
  }
  std::filesystem::remove_all(dir);
}

// Random users, boards, memberships and records, changed at random; after each round every
// viewer's find (rows and total) and GET /events must equal the in-memory rule applied to
// everything.
struct RandomWorld : World {
  explicit RandomWorld(uint32_t seed) : World("access_random", /*durable=*/true), rng(seed) {}
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  }
  bool Coin(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; }
  std::vector<std::string> Ids(const char* service) {
    Json page;
    REQUIRE(store->Find(service, {{"$limit", 1000}}, &page).ok());
    std::vector<std::string> ids;
    for (const Json& r : page["data"]) ids.push_back(r[FindService(service)->id_field]);
    return ids;
  }
  void Step() {
    static const std::vector<const char*> roles{"admin", "member", "viewer"},
        visibilities{"team", "private"}, board_roles{"owner", "editor", "viewer"};
    auto users = Ids("users"), boards = Ids("boards"), sessions = Ids("sessions");
    int op = std::uniform_int_distribution<int>(0, 9)(rng);
    Json out;
    if (op == 0 || users.empty()) {
      User(Pick(roles));
    } else if (op == 1 || boards.empty()) {
      Board(Pick(visibilities), Coin(20) ? NewUuid() : Pick(users));
    } else if (op == 2) {
      store->Create(
          "board-members",
          {{"board_id", Pick(boards)}, {"user_id", Pick(users)}, {"role", Pick(board_roles)}},
          &out);  // a taken pair is a Conflict: fine
    } else if (op == 3) {
      store->Patch("boards", Pick(boards), {{"visibility", Pick(visibilities)}}, &out);
    } else if (op == 4) {
      store->PatchUser(Pick(users), {{"role", Pick(roles)}}, "", &out);
    } else if (op == 5 && Coin(30)) {
      bool user = Coin(50);
      store->Remove(user ? "users" : "boards", Pick(user ? users : boards), &out);
    } else if (op == 6 && sessions.size() > 0) {
      Create("tasks", {{"session_id", Pick(sessions)}});
      Create("messages", {{"session_id", Pick(sessions)}, {"role", "user"}});
    } else if (op == 7) {
      Create("sessions", {{"board_id", Pick(boards)}});
    } else if (op == 8) {
      store->CreateApiKey({{"user_id", Pick(users)}}, "p", NewUuid(), &out);
    } else {
      auto members = Ids("board-members");
      if (!members.empty()) {
        if (Coin(50))
          store->Remove("board-members", Pick(members), &out);
        else
          store->Patch("board-members", Pick(members), {{"role", Pick(board_roles)}}, &out);
      }
    }
  }
  void Compare() {
    std::vector<std::string> viewers = Ids("users");
    viewers.push_back(NewUuid());  // nobody
    std::vector<Event> log;
    REQUIRE(store->event_log()->ReadSince(0, 100000, &log).ok());
    for (const std::string& viewer : viewers) {
      for (const auto& schema : AllServices()) {
        Json all, mine;
        REQUIRE(store->Find(schema.name, {{"$limit", 1000}}, &all).ok());
        REQUIRE(store->Find(schema.name, {{"$limit", 1000}, {"$skip", 0}}, &mine, viewer).ok());
        std::set<std::string> want, got;
        for (const Json& r : all["data"])
          if (access().CanSeeRecord(viewer, schema.name, r)) want.insert(r[schema.id_field]);
        for (const Json& r : mine["data"]) got.insert(r[schema.id_field]);
        INFO(schema.name << " as " << viewer);
        CHECK(got == want);
        CHECK(mine["total"] == want.size());
      }
      std::set<int64_t> want, got;
      for (const Event& ev : log)
        if (access().CanSee(viewer, ev)) want.insert(ev.seq);
      Json page;
      REQUIRE(store->FindEvents({{"$limit", 1000}, {"$sort", {{"seq", -1}}}}, &page, viewer).ok());
      for (const Json& e : page["data"]) got.insert(e["seq"].get<int64_t>());
      if (want.size() > 1000) want.erase(want.begin(), std::next(want.begin(), want.size() - 1000));
      INFO("events as " << viewer);
      CHECK(got == want);
    }
  }
  std::mt19937 rng;
};

TEST_CASE("the SQL form of the rule agrees with the in-memory form on random data",
          "[store][access]") {
  const uint32_t seed = 20261202;
  std::cout << "access policy random test: seed " << seed << std::endl;
  RandomWorld w(seed);
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 40; ++i) w.Step();
    INFO("seed " << seed << " round " << round);
    w.Compare();
  }
  // The rule a store loads from the tables is the one the events built.
  std::unique_ptr<Store> reopened;
  REQUIRE(Store::Open({w.url, {}}, &w.clock, &reopened).ok());
  auto viewers = w.Ids("users"), boards = w.Ids("boards");
  boards.push_back(NewUuid());
  for (const auto& viewer : viewers) {
    CHECK(reopened->access().RoleOf(viewer) == w.access().RoleOf(viewer));
    for (const auto& board : boards)
      CHECK(reopened->access().Board(viewer, board) == w.access().Board(viewer, board));
  }
}

}  // namespace
}  // namespace agor

namespace agor {
namespace {

TEST_CASE("the feed's entries and live events follow their board", "[store][access][activity]") {
  World w;
  std::string admin = w.User("admin"), owner = w.User("member"), other = w.User("member");
  std::string team = w.Board("team", owner), priv = w.Board("private", owner);
  for (const std::string& board : {team, priv}) {
    Event live = BoardEvent("activity", board, "");
    live.event = "patched";
    Json entry{{"activity_id", "x"}, {"board_id", board}};
    bool seen = board == team;
    CHECK(w.access().CanSee(owner, live));
    CHECK(w.access().CanSee(admin, live));
    CHECK(w.access().CanSee(other, live) == seen);
    CHECK(w.access().CanSeeRecord(other, "activity", entry) == seen);
    CHECK(w.access().CanSeeRecord(owner, "activity", entry));
  }
  std::vector<std::string> params;
  CHECK(w.access().SqlFilter(other, "activity", &params).find("board_id") != std::string::npos);
  CHECK(w.access().SqlFilter(admin, "activity", &params).empty());
  CHECK(w.access().SqlFilter(NewUuid(), "activity", &params) == "FALSE");
}

}  // namespace
}  // namespace agor
