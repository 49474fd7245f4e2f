// HashWorkerProcess: where one PasswordHasher worker thread computes its Argon2id hashes: in a
// child process of its own while that child lives, else on the thread itself.
//
// Why a child: libsodium maps (MAP_POPULATE) and unmaps 19 MiB per hash. Done in the daemon's
// address space, each unmap shoots the TLB of the CPUs running the daemon's other threads and
// takes the mm lock, whoever holds it running at idle priority: under a 100-login storm the
// fan-out's paced p99 went from ~4.5 to ~8.5-9 ms, all of it that mapping (a 50 ms CPU spin,
// sleep or walk over a reused 19 MiB buffer in the worker moved nothing; the same walk over a
// buffer mapped and unmapped per job took it to 11-12 ms). In a child the mapping is the
// child's.
//
// The child: forked by Start (on the constructing thread, which must outlive it: the child's
// PR_SET_PDEATHSIG fires when that *thread* exits), holding no fd but its end of a
// SOCK_SEQPACKET socketpair (no listening socket, no SQLite file), signal handlers reset,
// SCHED_IDLE (else nice +19). It answers one request message with one answer message, wipes
// the password, and exits on EOF (the parent closed the socket or died). Idle priority gets no
// CPU while every core is busy, so a job its child has not answered within half a second
// raises the child to SCHED_BATCH at nice +10 until it answers: on a saturated machine logins
// are slow, never stuck.
//
// Not thread-safe: one worker thread uses it (Start and Stop from the owner, before and after).
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"

namespace agor {

class HashWorkerProcess {
 public:
  // The longest password the child takes (the API takes at most 4 KiB at login, 1 KiB for a
  // new one); a longer one is hashed on the calling thread.
  static constexpr size_t kMaxPassword = 4096;

  HashWorkerProcess() = default;
  HashWorkerProcess(const HashWorkerProcess&) = delete;
  HashWorkerProcess& operator=(const HashWorkerProcess&) = delete;
  ~HashWorkerProcess() { Stop(); }

  // Forks the child; false (errno set) when socketpair or fork failed: then every job runs on
  // the calling thread.
  bool Start();
  // Closes the socket (the child reads EOF and exits) and reaps the child.
  void Stop();

  // Blocking, one job at a time. Through the child while it lives, on the calling thread once
  // it is gone (or never started). The job that finds the child gone halfway (a send or
  // receive failed, EOF) answers Unavailable, logged once; a child found dead before sending
  // costs nothing: its job runs here.
  Status Hash(const std::string& password, std::string* hash);
  Status Verify(const std::string& password, const std::string& hash, bool* matches);

  // The child's pid while the socket is open, else -1 (tests).
  pid_t child() const { return fd_ >= 0 ? pid_ : -1; }

 private:
  bool Usable();
  bool Exchange(std::string* request, std::string* answer);
  void Lost();
  void LowerOnce();

  int fd_ = -1;
  pid_t pid_ = -1;
  bool lowered_ = false;  // the calling thread lowered itself (it hashes in-thread)
};

// The calling thread (or a child process, its only thread) at the lowest CPU priority:
// SCHED_IDLE, else nice +19.
void LowerHashingPriority();

}  // namespace agor
