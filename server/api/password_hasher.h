// PasswordHasher: Argon2id hashes (libsodium crypto_pwhash_str; m = 19 MiB, t = 2: OWASP's minimum)
// computed on worker threads, so a login storm never stalls the event loop, the fan-out or other
// clients' answers. Each job's answer is handed to `post` (the event loop's), never run on a
// worker.
//
// Bounds: at most `threads` hashes at once (each takes 19 MiB and tens of ms), at most
// `max_queued` waiting; past it a job is answered at once with Unavailable ("too many logins
// at once, try again"), through `post` like every answer, so a storm costs bounded memory.
// Workers run at the lowest CPU priority (SCHED_IDLE, else nice +19): a hash waits for CPU the
// event loop and the fan-out do not use.
//
// Passwords are never logged; the worker wipes its copy (sodium_memzero) when done.
//
// Thread-safety: Hash/Verify from the event loop; callbacks run wherever `post` runs them
// (`post` itself is called from the workers and, for refusals, from the calling thread, so
// it must be thread-safe, as asio::post is). The destructor joins the workers (each finishes
// the job it runs); jobs not started by then are answered Unavailable.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"

namespace agor {

class PasswordHasher {
 public:
  using Post = std::function<void(std::function<void()>)>;
  struct Options {
    int threads = 1;
    size_t max_queued = 256;
  };
  PasswordHasher(Post post, Options options);
  ~PasswordHasher();

  // `done(status, hash)`: the "$argon2id$..." string.
  void Hash(std::string password, std::function<void(const Status&, std::string hash)> done);
  // `done(status, matches)`: matches false for a wrong password and a malformed hash alike;
  // status Unavailable (matches false) when the job was refused, not checked: a full queue
  // must not read as a wrong password.
  void Verify(std::string password, std::string hash,
              std::function<void(const Status&, bool matches)> done);

  // The same, on the calling thread (first-start bootstrap, before the loop runs; tests).
  static Status HashNow(const std::string& password, std::string* hash);
  static bool VerifyNow(const std::string& password, const std::string& hash);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace agor
