// PasswordHasher: Argon2id hashes on worker threads, answered through `post` on the thread
// that drains it (here the test's, standing in for the event loop), with a bounded queue.
// Runs in the TSan stage too (tests/CMakeLists.txt, AGOR_TSAN).
#include "server/api/password_hasher.h"

#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace agor {
namespace {

// A stand-in event loop: `post` queues from any thread, Run drains on the test's thread. A
// closed gate holds a worker inside `post` (after its hash, before its next job), so a test
// can fill the queue without racing the workers.
class Loop {
 public:
  PasswordHasher::Post Poster() {
    return [this](std::function<void()> fn) {
      std::unique_lock<std::mutex> lock(mutex_);
      inbox_.push_back(std::move(fn));
      changed_.notify_all();
      if (std::this_thread::get_id() != owner_) {
        changed_.wait(lock, [&] { return gate_open_; });
      }
    };
  }
  // Runs posted callbacks on this thread until `count` have run in all.
  void RunUntil(int count) {
    while (ran_ < count) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return !inbox_.empty(); });
        fn = std::move(inbox_.front());
        inbox_.pop_front();
      }
      fn();
      ++ran_;
    }
  }
  void WaitPosted(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return inbox_.size() >= count; });
  }
  void SetGate(bool open) {
    std::lock_guard<std::mutex> lock(mutex_);
    gate_open_ = open;
    changed_.notify_all();
  }
  std::thread::id owner() const { return owner_; }

 private:
  const std::thread::id owner_ = std::this_thread::get_id();
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> inbox_;
  bool gate_open_ = true;
  int ran_ = 0;  // the owner's only
};

TEST_CASE("password hasher: hash and verify on workers, answers on the loop", "[password_hasher]") {
  Loop loop;
  PasswordHasher hasher(loop.Poster(), {2, 16});
  std::string hash;
  bool matches = true, wrong = true;
  hasher.Hash("correct horse", [&](const Status& s, std::string h) {
    REQUIRE(s.ok());
    REQUIRE(std::this_thread::get_id() == loop.owner());
    hash = std::move(h);
  });
  loop.RunUntil(1);
  REQUIRE(hash.rfind("$argon2id$", 0) == 0);
  REQUIRE(hash.find("correct horse") == std::string::npos);

  hasher.Verify("correct horse", hash, [&](const Status& s, bool m) {
    REQUIRE(s.ok());
    REQUIRE(std::this_thread::get_id() == loop.owner());
    matches = m;
  });
  hasher.Verify("correct horsf", hash, [&](const Status& s, bool m) {
    REQUIRE(s.ok());
    wrong = m;
  });
  loop.RunUntil(3);
  REQUIRE(matches);
  REQUIRE_FALSE(wrong);
}

TEST_CASE("password hasher: the synchronous forms, malformed hashes never match",
          "[password_hasher]") {
  std::string a, b;
  REQUIRE(PasswordHasher::HashNow("secret-password", &a).ok());
  REQUIRE(PasswordHasher::HashNow("secret-password", &b).ok());
  REQUIRE(a != b);  // salted
  REQUIRE(PasswordHasher::VerifyNow("secret-password", a));
  REQUIRE(PasswordHasher::VerifyNow("secret-password", b));
  REQUIRE_FALSE(PasswordHasher::VerifyNow("secret-passwort", a));
  REQUIRE_FALSE(PasswordHasher::VerifyNow("", a));
  for (const std::string& bad :
       {std::string(), std::string("$argon2id$"), a.substr(0, 40), a + std::string(1, '\0') + "x",
        std::string(4096, '$'), std::string("plaintext")}) {
    REQUIRE_FALSE(PasswordHasher::VerifyNow("secret-password", bad));
  }
}

TEST_CASE("password hasher: a full queue answers Unavailable at once", "[password_hasher]") {
  Loop loop;
  loop.SetGate(false);
  PasswordHasher hasher(loop.Poster(), {1, 2});
  int ok = 0, busy = 0;
  auto count = [&](const Status& s, bool matches) {
    REQUIRE_FALSE(matches);  // "not a hash" never matches; a refusal never claims it does
    if (s.ok()) return void(++ok);
    REQUIRE(s.code() == Code::kUnavailable);
    ++busy;
  };
  hasher.Verify("x", "not a hash", count);
  loop.WaitPosted(1);  // the worker answered and now waits at the gate: it takes nothing more
  hasher.Verify("x", "not a hash", count);
  hasher.Verify("x", "not a hash", count);
  hasher.Verify("x", "not a hash", count);  // a third waiting job: over max_queued
  std::string hash_status;
  hasher.Hash("y", [&](const Status& s, std::string h) {
    hash_status = s.message();
    REQUIRE(h.empty());
  });
  loop.RunUntil(3);  // the first answer and the two refusals, without any worker's help
  REQUIRE(ok == 1);
  REQUIRE(busy == 1);
  REQUIRE(hash_status == "too many logins at once, try again");
  loop.SetGate(true);
  loop.RunUntil(5);
  REQUIRE(ok == 3);
  REQUIRE(busy == 1);
}

TEST_CASE("password hasher: every job is answered once, even when destroyed", "[password_hasher]") {
  Loop loop;
  int answered = 0;
  {
    PasswordHasher hasher(loop.Poster(), {2, 64});
    for (int i = 0; i < 6; ++i) {
      hasher.Hash("p" + std::to_string(i), [&](const Status& s, std::string h) {
        REQUIRE((s.ok() ? !h.empty() : s.code() == Code::kUnavailable));
        ++answered;
      });
    }
  }  // joined: the jobs running finished, the others were refused
  loop.RunUntil(6);
  REQUIRE(answered == 6);
}

}  // namespace
}  // namespace agor
