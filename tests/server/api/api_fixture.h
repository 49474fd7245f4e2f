// ApiFixture: a real in-memory store with three users (an admin, a member, a global viewer)
// and the Dispatcher over it, for the api layer's unit tests. Callers are built as the
// Authenticator resolves them (an API key's: no expiry, no jti), so each test states only
// who calls.
#pragma once

#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "server/api/dispatcher.h"
#include "store/store.h"

namespace agor::test {

// The event loop of a test: the hasher's workers post their answers here, and the test runs
// them on its own thread, waiting (on a condition, not a sleep) until its answer has come.
class TestLoop {
 public:
  void Post(std::function<void()> fn) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
    cv_.notify_all();
  }
  // Runs posted functions until `done()` holds.
  void RunUntil(const std::function<bool()>& done) {
    while (!done()) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty(); });
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

struct ApiFixture {
  ApiFixture() {
    REQUIRE(Store::Open({":memory:"}, SystemClock(), &store).ok());
    dispatcher = std::make_unique<Dispatcher>(store.get(), SystemClock());
    admin = User("admin@example.com", "admin");
    member = User("member@example.com", "member");
    other = User("other@example.com", "member");
    viewer = User("viewer@example.com", "viewer");
  }

  Caller User(const std::string& email, const std::string& role) {
    Json record;
    Status s = store->CreateUser({{"email", email}, {"name", email.substr(0, 5)}, {"role", role}},
                                 "", &record);
    REQUIRE(s.ok());
    store->Commit();
    Caller caller;
    caller.user_id = record["user_id"].get<std::string>();
    caller.credential_id = "key-of-" + email;
    caller.api_key = true;
    return caller;
  }

  // Runs one call as `who` (synchronous form).
  Status Call(const Caller& who, const std::string& method, const std::string& path,
              const Json& id = nullptr, const Json& data = Json::object(), Json* out = nullptr,
              const Json& query = Json::object()) {
    ServiceCall call;
    call.method = method;
    call.path = path;
    call.id = id;
    call.data = data;
    call.query = query;
    call.caller = who;
    Json result;
    Status s = dispatcher->Call(call, out ? out : &result);
    store->Commit();
    return s;
  }

  // Runs one call as `who` through the asynchronous form, the loop turning until it answers.
  Status CallAsync(TestLoop* loop, const Caller& who, const std::string& method,
                   const std::string& path, const Json& id, const Json& data, Json* out = nullptr) {
    ServiceCall call;
    call.method = method;
    call.path = path;
    call.id = id;
    call.data = data;
    call.query = Json::object();
    call.caller = who;
    bool answered = false;
    Status status;
    dispatcher->Call(call, [&](const Status& s, Json result, std::string) {
      answered = true;
      status = s;
      if (out) *out = std::move(result);
    });
    loop->RunUntil([&] { return answered; });
    store->Commit();
    return status;
  }

  // A record `who` creates (REQUIREd to succeed), and its id.
  std::string Create(const Caller& who, const std::string& path, const Json& data,
                     const char* id_field) {
    Json record;
    Status s = Call(who, "create", path, nullptr, data, &record);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return record[id_field].get<std::string>();
  }

  std::unique_ptr<Store> store;
  std::unique_ptr<Dispatcher> dispatcher;
  Caller admin, member, other, viewer;
};

}  // namespace agor::test
