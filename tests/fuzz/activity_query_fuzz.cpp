// libFuzzer target for the `activity` service's queries from outside (Store::FindActivity,
// store/store_activity.cpp): a REST query string and, when the input is a JSON object, a
// socket client's query, plus the input as an id for GetActivity, read as an admin and as a
// member of an in-memory store with a few entries.
//
// Checked: no exception escapes; an answer is OK, BadRequest (the query, or an id holding a
// NUL, which the store refuses as text) or NotFound/Conflict (the id), never a database error
// (which would mean the SQL was malformed); a page's limit stays within 0..500 and holds at
// most that many entries.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "server/wire/query_string.h"
#include "store/store.h"

namespace {

struct World {
  std::unique_ptr<agor::Store> store;
  std::string admin, member;
};

World& TheWorld() {
  static World world = [] {
    World w;
    agor::StoreOptions options;
    options.path = ":memory:";
    if (!agor::Store::Open(options, agor::SystemClock(), &w.store).ok()) __builtin_trap();
    agor::Json user, out;
    w.store->CreateUser({{"email", "a@x.io"}, {"role", "admin"}}, "", &user);
    w.admin = user["user_id"];
    w.store->CreateUser({{"email", "m@x.io"}, {"role", "member"}}, "", &user);
    w.member = user["user_id"];
    agor::Store::ActorScope scope(w.store.get(), w.admin, "");
    w.store->Create("boards", {{"name", "team"}}, &out);
    w.store->Create("boards", {{"name", "secret"}, {"visibility", "private"}}, &out);
    return w;
  }();
  return world;
}

void Check(const agor::Status& s, const agor::Json& page) {
  using agor::Code;
  if (s.ok()) {
    int64_t limit = page["limit"];
    if (limit < 0 || limit > 500 || page["data"].size() > static_cast<size_t>(limit))
      __builtin_trap();
    return;
  }
  if (s.code() != Code::kBadRequest && s.code() != Code::kNotFound && s.code() != Code::kConflict)
    __builtin_trap();
}

void Find(const agor::Json& query) {
  World& w = TheWorld();
  for (const std::string& viewer : {w.admin, w.member}) {
    agor::Json page;
    Check(w.store->FindActivity(query, &page, viewer), page);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  agor::Json query, record;
  if (agor::ParseQueryString(input, &query).ok()) Find(query);
  if (!input.empty() && input[0] == '{') {
    agor::Json json = agor::Json::parse(input, nullptr, false);
    if (!json.is_discarded()) Find(json);
  }
  World& w = TheWorld();
  agor::Status s = w.store->GetActivity(input, &record, w.member);
  const bool refused = s.code() == agor::Code::kNotFound || s.code() == agor::Code::kConflict ||
                       s.code() == agor::Code::kBadRequest;  // an id holding a NUL
  if (!s.ok() && !refused) __builtin_trap();
  return 0;
}
