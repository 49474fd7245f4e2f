// Test doubles shared by the real-time layer's unit tests: an Engine.IO session that records
// what it is sent, a clock the test moves, a CredentialResolver of fixed tokens, and a store
// in memory holding users and boards of both kinds (its policy is the real AccessPolicy).
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/realtime/engine_server.h"
#include "server/wire/service_call.h"
#include "store/store.h"

namespace agor::test {

class FakeSocket : public EngineSocket {
 public:
  explicit FakeSocket(std::string query = "", std::string authorization = "")
      : query_(std::move(query)), authorization_(std::move(authorization)) {}
  const std::string& query() const override { return query_; }
  const std::string& authorization() const override { return authorization_; }
  const std::string& remote_address() const override { return address_; }
  void Send(std::string_view frame) override { frames.emplace_back(frame); }
  void Send(const SharedFrame& frame) override {
    frames.push_back(frame.text());
    shared.push_back(frame.handle().get());
  }
  size_t queued_bytes() const override { return 0; }
  void Close(const std::string& reason) override { closed = reason; }

  std::vector<std::string> frames;
  std::vector<const void*> shared;  // which prepared frame each Send(SharedFrame) queued
  std::string closed;               // the reason, "" while open

 private:
  std::string query_;
  std::string authorization_;
  std::string address_ = "127.0.0.1";
};

class FakeClock : public Clock {
 public:
  int64_t NowMillis() override { return now; }
  int64_t now = 1764150000000;
};

// Tokens the test hands out: each maps to a fixed Caller; anything else is refused as the
// Authenticator refuses an unknown token.
class TestResolver : public CredentialResolver {
 public:
  Status Resolve(const std::string& token, Caller* caller) override {
    auto it = tokens.find(token);
    if (it == tokens.end()) {
      return Status(Code::kNotAuthenticated, "Invalid authentication information");
    }
    *caller = it->second;
    return Status::OK();
  }
  std::unordered_map<std::string, Caller> tokens;
};

// Users admin, alice, bob (members); boards `team` (team) and `priv` (private, alice editor).
struct World {
  World() {
    StoreOptions options;
    options.path = ":memory:";
    REQUIRE(Store::Open(options, &clock, &store).ok());
    admin = User("admin@localhost", "admin");
    alice = User("alice@example.com", "member");
    bob = User("bob@example.com", "member");
    team = Board("team", "team");
    priv = Board("priv", "private");
    alice_member = Member(priv, alice, "editor");
  }
  std::string User(const std::string& email, const std::string& role) {
    Json record;
    Status s = store->CreateUser(Json{{"email", email}, {"name", email}, {"role", role}},
                                 "$argon2id$not-a-real-hash", &record);
    REQUIRE(s.ok());
    return record["user_id"].get<std::string>();
  }
  std::string Board(const std::string& name, const std::string& visibility) {
    Json record;
    Status s = store->Create("boards", Json{{"name", name}, {"visibility", visibility}}, &record,
                             Json{{"owner_id", admin}, {"created_by", admin}});
    INFO(s.ToString());
    REQUIRE(s.ok());
    return record["board_id"].get<std::string>();
  }
  std::string Member(const std::string& board, const std::string& user, const std::string& role) {
    Json record;
    Status s = store->Create("board-members",
                             Json{{"board_id", board}, {"user_id", user}, {"role", role}}, &record);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return record["id"].get<std::string>();
  }
  Caller CallerOf(const std::string& user, int64_t expires_ms = 0) {
    Caller c;
    c.user_id = user;
    c.expires_ms = expires_ms;
    return c;
  }

  FakeClock clock;
  std::unique_ptr<Store> store;
  std::string admin, alice, bob, team, priv, alice_member;
};

inline bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace agor::test
