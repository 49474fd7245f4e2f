// Fault injection: the disk fills up or the device fails under the store (tests/store/fault_vfs.h
// fails SQLite's xWrite, xSync or xTruncate). Whatever fails: every affected writer gets a 5xx
// Status, nothing half-written stays (the event log and the tables agree, seq is gapless), reads
// go on during the fault, and writes work again once it clears, also after a reopen.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/store/fault_vfs.h"

namespace agor {
namespace {

class FixedClock : public Clock {
 public:
  int64_t NowMillis() override { return 1764150000000; }
};

// A store on a temporary file, its connection through a FaultVfs.
struct FaultyStore {
  explicit FaultyStore(const std::string& tag)
      : dir(std::filesystem::temp_directory_path() /
            ("agor-fault-" + tag + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    Open(vfs.name());
  }
  ~FaultyStore() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  void Open(const std::string& vfs_name) {
    store.reset();
    StoreOptions options;
    options.path = (dir / "agor.db").string();
    options.vfs = vfs_name;
    REQUIRE(Store::Open(options, &clock, &store).ok());
    store->SetCommitListener([this](const Event& ev) { told.push_back(ev.seq); });
  }
  Status CreateBoard(const std::string& name, Json* out = nullptr) {
    Json record;
    Status s = store->Create("boards", {{"name", name}}, &record);
    if (out) *out = record;
    return s;
  }
  // Board names in the table, and seqs and board names in the event log.
  std::vector<std::string> Boards() {
    Json page;
    REQUIRE(store->Find("boards", {{"$sort", {{"name", 1}}}}, &page).ok());
    std::vector<std::string> names;
    for (const Json& r : page["data"]) names.push_back(r["name"]);
    return names;
  }
  std::vector<int64_t> LoggedSeqs() {
    Json page;
    REQUIRE(store->FindEvents({{"$sort", {{"seq", 1}}}, {"$limit", 1000}}, &page).ok());
    std::vector<int64_t> seqs;
    for (const Json& e : page["data"]) seqs.push_back(e["seq"]);
    return seqs;
  }
  // The log holds exactly seq 1..n, one "created" per stored board (these tests only create).
  void CheckLogAgrees() {
    std::vector<int64_t> seqs = LoggedSeqs();
    for (size_t i = 0; i < seqs.size(); ++i) CHECK(seqs[i] == static_cast<int64_t>(i + 1));
    CHECK(seqs.size() == Boards().size());
  }

  testing::FaultVfs vfs;
  std::filesystem::path dir;
  FixedClock clock;
  std::unique_ptr<Store> store;
  std::vector<int64_t> told;
};

bool IsServerError(const Status& s) {
  return s.http_status() >= 500 && s.http_status() < 600;
}

TEST_CASE("a full disk at COMMIT fails the whole batch with a 5xx and keeps nothing", "[store]") {
  FaultyStore f("full");
  REQUIRE(f.CreateBoard("a").ok());  // committed before the disk fills up
  f.store->SetCommitScheduler([] {});
  f.vfs.FailWrites(SQLITE_FULL);
  std::vector<Status> answers;
  for (const char* name : {"b", "c"}) {
    REQUIRE(f.CreateBoard(name).ok());  // joins the batch: nothing written yet
    f.store->AfterCommit([&](const Status& s) { answers.push_back(s); });
  }
  const Status committed = f.store->Commit();
  CHECK(f.vfs.refused() > 0);
  CHECK(IsServerError(committed));
  REQUIRE(answers.size() == 2);
  for (const Status& s : answers) CHECK(IsServerError(s));
  CHECK(f.told == std::vector<int64_t>{1});  // no event of the failed batch was told

  // Reads go on during the fault.
  CHECK(f.Boards() == std::vector<std::string>{"a"});
  f.CheckLogAgrees();

  f.vfs.Clear();
  REQUIRE(f.CreateBoard("d").ok());
  REQUIRE(f.store->Commit().ok());
  CHECK(f.told == std::vector<int64_t>{1, 2});  // the next seq: no gap where b and c failed
  CHECK(f.Boards() == std::vector<std::string>{"a", "d"});
  f.CheckLogAgrees();
}

TEST_CASE("I/O errors on write fail each writer with a 5xx; reads go on, writes resume",
          "[store]") {
  FaultyStore f("ioerr");
  Json a;
  REQUIRE(f.CreateBoard("a", &a).ok());
  const std::string id = a["board_id"];
  f.vfs.FailWrites(SQLITE_IOERR_WRITE);
  Json out;
  CHECK(IsServerError(f.CreateBoard("b")));
  CHECK(IsServerError(f.store->Patch("boards", id, {{"name", "renamed"}}, &out)));
  CHECK(IsServerError(f.store->Remove("boards", id, &out)));
  CHECK_FALSE(f.store->batch_open());
  REQUIRE(f.store->Get("boards", id, &out).ok());
  CHECK(out["name"] == "a");  // the failed patch left nothing behind
  f.CheckLogAgrees();

  f.vfs.Clear();
  REQUIRE(f.CreateBoard("c").ok());
  CHECK(f.Boards() == std::vector<std::string>{"a", "c"});
  CHECK(f.LoggedSeqs() == std::vector<int64_t>{1, 2});
  f.Open("");  // what reached the disk, through the default VFS
  CHECK(f.Boards() == std::vector<std::string>{"a", "c"});
  f.CheckLogAgrees();
}

TEST_CASE("failed syncs and truncates in a checkpoint lose no committed write", "[store]") {
  FaultyStore f("sync");
  for (const char* name : {"a", "b", "c"}) REQUIRE(f.CreateBoard(name).ok());
  f.vfs.FailSyncs(SQLITE_IOERR_FSYNC);
  f.vfs.FailTruncates(SQLITE_IOERR_TRUNCATE);
  f.store->Checkpoint();  // best effort: the failure stays inside
  CHECK(f.vfs.refused() > 0);
  REQUIRE(f.CreateBoard("d").ok());  // a WAL commit needs no sync (synchronous=NORMAL)
  CHECK(f.Boards() == std::vector<std::string>{"a", "b", "c", "d"});

  f.vfs.Clear();
  f.store->Checkpoint();
  f.Open("");
  CHECK(f.Boards() == std::vector<std::string>{"a", "b", "c", "d"});
  f.CheckLogAgrees();
  REQUIRE(f.CreateBoard("e").ok());
  CHECK(f.LoggedSeqs().back() == 5);
}

}  // namespace
}  // namespace agor
