// PasswordHasher: Argon2id hashes (libsodium crypto_pwhash_str; m = 19 MiB, t = 2: OWASP's minimum)
// computed on worker threads, so a login storm never stalls the event loop, the fan-out or other
// clients' answers. Each job's answer is handed to `post` (the event loop's), never run on a
// worker.
//
// Bounds: at most `threads` hashes at once (each takes 19 MiB and tens of ms), at most
// `max_queued` waiting; past it a job is answered at once with Unavailable ("too many logins
// at once, try again"), through `post` like every answer, so a storm costs bounded memory.
// Hashes run at the lowest CPU priority (SCHED_IDLE, else nice +19): a hash waits for CPU the
// event loop and the fan-out do not use (a child's job waiting over half a second is raised to
// a small share, so logins still finish on a saturated machine: hash_worker_process.h). A
// worker thread that only waits on its child keeps normal priority, so it reads the answer at
// once; one that hashes in-thread lowers itself.
//
// Isolation (Options::isolate, the default): each worker hands its hashes to a child process of
// its own (HashWorkerProcess, forked by the constructor), so libsodium's per-hash 19 MiB
// mmap/munmap happens outside the daemon's address space: in it, the TLB shootdowns and mm
// lock took a 100-login storm's toll on the fan-out's paced p99 from ~4.5 to ~8.5-9 ms. The
// child holds no fd but its socket, runs at idle priority, dies with the daemon (and with the
// thread that constructed the hasher: construct it on one that outlives it, the main one).
// A worker whose child is gone (killed, crashed) answers the job it was running Unavailable,
// logs one warning and hashes in-thread from then on, so logins keep working; the same when
// fork failed. A password over HashWorkerProcess::kMaxPassword (4 KiB) is hashed in-thread.
//
// Passwords are never logged; the worker and the child wipe their copies (sodium_memzero).
//
// Thread-safety: Hash/Verify from the event loop; callbacks run wherever `post` runs them
// (`post` itself is called from the workers and, for refusals, from the calling thread, so
// it must be thread-safe, as asio::post is). The destructor joins the workers (each finishes
// the job it runs), closes the children's sockets and reaps them (waitpid by pid: nothing in
// the daemon reaps with waitpid(-1)); jobs not started by then are answered Unavailable.
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
    // Hash in one child process per worker (false: on the worker threads; tests cover both).
    bool isolate = true;
  };
  PasswordHasher(Post post, Options options);
  ~PasswordHasher();

  // `done(status, hash)`: the "$argon2id$..." string; Unavailable (no hash) when refused or
  // when its child died.
  void Hash(std::string password, std::function<void(const Status&, std::string hash)> done);
  // `done(status, matches)`: matches false for a wrong password and a malformed hash alike;
  // status Unavailable (matches false) when the job was refused or its child died, not
  // checked: a full queue must not read as a wrong password.
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
