#include "server/api/hash_worker_process.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "base/log.h"
#include "server/api/api_key.h"
#include "server/api/password_hasher.h"

namespace agor {
namespace {

// One request message: an op byte, the password's length (uint32, host order), the password,
// then (verify) the hash. One answer message: a code byte, then the hash (hash) or one 0/1
// byte (verify). SOCK_SEQPACKET keeps each message whole.
enum Op : char { kHashOp = 'H', kVerifyOp = 'V' };
enum Reply : char { kDone = 0, kFailed = 1, kRefused = 2 };
constexpr size_t kHeader = 1 + sizeof(uint32_t);
constexpr size_t kMaxRequest = kHeader + HashWorkerProcess::kMaxPassword + crypto_pwhash_STRBYTES;
constexpr size_t kMaxAnswer = 1 + crypto_pwhash_STRBYTES;

bool SendAll(int fd, const std::string& message) {
  ssize_t n;
  do {
    n = send(fd, message.data(), message.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(message.size());
}

// ---- The child. After fork in a multithreaded parent: no asio, no logging, no threads, no
// locks another thread could have held (glibc's fork leaves malloc usable; sodium is
// initialised before the fork), and _exit, never exit.

void CloseRange(unsigned first, unsigned last) {
  if (close_range(first, last, 0) == 0) return;
  for (unsigned fd = first; fd <= last && fd < 65536; ++fd) close(static_cast<int>(fd));
}

// The daemon's listening socket, connections and SQLite files must not outlive it here.
void CloseAllBut(int keep) {
  if (keep > 0) CloseRange(0, static_cast<unsigned>(keep) - 1);
  CloseRange(static_cast<unsigned>(keep) + 1, ~0U);
}

// The daemon's handlers (asio's SIGTERM one writes to the daemon's self-pipe) are not ours.
// The parent forked with every signal blocked, so none ran in between.
void ResetSignals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old {};
    if (sigaction(sig, nullptr, &old) != 0) continue;
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::string Run(char op, const std::string& password, const std::string& hash) {
  if (op == kVerifyOp) return {kDone, PasswordHasher::VerifyNow(password, hash) ? '\1' : '\0'};
  if (op != kHashOp) return std::string(1, kRefused);
  std::string out;
  if (!PasswordHasher::HashNow(password, &out).ok()) return std::string(1, kFailed);
  return std::string(1, kDone) + out;
}

// `size` as received (MSG_TRUNC: the message's real length, maybe past the buffer).
std::string AnswerTo(const char* request, size_t size) {
  uint32_t length = 0;
  if (size < kHeader || size > kMaxRequest) return std::string(1, kRefused);
  memcpy(&length, request + 1, sizeof length);
  if (length > size - kHeader) return std::string(1, kRefused);
  std::string password(request + kHeader, length);
  std::string answer =
      Run(request[0], password, std::string(request + kHeader + length, size - kHeader - length));
  sodium_memzero(password.data(), password.size());
  return answer;
}

void Serve(int fd) {
  static char request[kMaxRequest];
  for (;;) {
    const ssize_t n = recv(fd, request, sizeof request, MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EOF: the parent closed its end or died
    std::string answer = AnswerTo(request, static_cast<size_t>(n));
    sodium_memzero(request, sizeof request);
    if (!SendAll(fd, answer)) return;
  }
}

[[noreturn]] void ChildMain(int fd, pid_t parent) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);  // the parent died before prctl
  CloseAllBut(fd);
  ResetSignals();
  LowerHashingPriority();
  Serve(fd);
  _exit(0);
}

// ---- The parent.

// Every signal blocked across the fork, so no handler of the daemon's runs in the child.
pid_t ForkChild(int child_fd) {
  const pid_t parent = getpid();
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t child = fork();
  if (child == 0) ChildMain(child_fd, parent);
  const int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = fork_errno;
  return child;
}

// How long a job may wait at idle priority before its child is raised for the rest of it.
constexpr int kStarvedMs = 500;

// SCHED_IDLE gets no CPU at all while every core is busy: on a saturated machine a login would
// wait for ever. A job not answered within kStarvedMs raises its child to SCHED_BATCH at nice
// +10 (a small share, and no wakeup preemption of the event loop) until it answers; then the
// child goes back to idle. Best effort, like the lowering.
void SetChildPriority(pid_t child, bool starved) {
#ifdef __linux__
  sched_param param{};
  if (sched_setscheduler(child, starved ? SCHED_BATCH : SCHED_IDLE, &param) == 0 && starved)
    setpriority(PRIO_PROCESS, static_cast<id_t>(child), 10);
#endif
}

bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int n;
  do {
    n = poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n != 0;  // ready, hung up or failed: recv tells which
}

bool Receive(int fd, pid_t child, std::string* answer) {
  const bool starved = !Readable(fd, kStarvedMs);
  if (starved) SetChildPriority(child, true);
  char buffer[kMaxAnswer];
  ssize_t n;
  do {
    n = recv(fd, buffer, sizeof buffer, 0);
  } while (n < 0 && errno == EINTR);
  if (starved) SetChildPriority(child, false);
  if (n <= 0) return false;
  answer->assign(buffer, static_cast<size_t>(n));
  return true;
}

// Reserved whole first: no reallocation leaves a copy of the password in freed memory.
std::string Request(char op, const std::string& password, const std::string& hash) {
  const uint32_t length = static_cast<uint32_t>(password.size());
  std::string request;
  request.reserve(kHeader + password.size() + hash.size());
  request.push_back(op);
  request.append(reinterpret_cast<const char*>(&length), sizeof length);
  request.append(password);
  request.append(hash);
  return request;
}

Status Gone() {
  return Status::Unavailable("password hashing was interrupted, try again");
}

}  // namespace

// Only the calling thread (or the child, its only thread). SCHED_IDLE runs a hash only on
// CPU time nothing else wants (nice +10 still took a share of a core from the fan-out under
// a login storm: its paced p99 went from 5 to 18 ms); nice +19 where SCHED_IDLE is refused.
// Best effort (a container may forbid both).
void LowerHashingPriority() {
#ifdef __linux__
  sched_param param{};
  if (sched_setscheduler(0, SCHED_IDLE, &param) != 0)
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
#endif
}

bool HashWorkerProcess::Start() {
  InitSodium();  // before the fork: the child must not take sodium_init's lock
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) return false;
  const pid_t child = ForkChild(fds[1]);
  const int fork_errno = errno;
  close(fds[1]);
  if (child < 0) {
    close(fds[0]);
    errno = fork_errno;
    return false;
  }
  fd_ = fds[0];
  pid_ = child;
  return true;
}

void HashWorkerProcess::Stop() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  while (pid_ > 0 && waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;  // reaped, or ECHILD: someone else did
}

// Alive as far as the socket tells without blocking: no hangup, no bytes nobody asked for.
bool HashWorkerProcess::Usable() {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, 0) <= 0) return true;
  Lost();
  return false;
}

bool HashWorkerProcess::Exchange(std::string* request, std::string* answer) {
  const bool sent = SendAll(fd_, *request);
  sodium_memzero(request->data(), request->size());
  if (sent && Receive(fd_, pid_, answer)) return true;
  Lost();
  return false;
}

// Closing makes a child still alive exit (EOF); a dead one is reaped now if it can be.
void HashWorkerProcess::Lost() {
  Log(LogLevel::kWarn, "password hashing process " + std::to_string(pid_) +
                           " is gone: hashing on the worker thread from now on");
  close(fd_);
  fd_ = -1;
  if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
}

// The calling thread hashes itself from now on: at idle priority, as the child does.
void HashWorkerProcess::LowerOnce() {
  if (!lowered_) LowerHashingPriority();
  lowered_ = true;
}

Status HashWorkerProcess::Hash(const std::string& password, std::string* hash) {
  if (password.size() > kMaxPassword || !Usable()) {
    LowerOnce();
    return PasswordHasher::HashNow(password, hash);
  }
  std::string request = Request(kHashOp, password, ""), answer;
  if (!Exchange(&request, &answer)) return Gone();
  if (answer.size() < 2 || answer[0] != kDone)
    return Status::Unavailable("too many logins at once, try again");  // no memory for it
  hash->assign(answer, 1, std::string::npos);
  return Status::OK();
}

// A hash libsodium could not hold is refused by VerifyNow at once: no need for the child.
Status HashWorkerProcess::Verify(const std::string& password, const std::string& hash,
                                 bool* matches) {
  *matches = false;
  if (password.size() > kMaxPassword || hash.size() >= crypto_pwhash_STRBYTES || !Usable()) {
    LowerOnce();
    *matches = PasswordHasher::VerifyNow(password, hash);
    return Status::OK();
  }
  std::string request = Request(kVerifyOp, password, hash), answer;
  if (!Exchange(&request, &answer)) return Gone();
  *matches = answer.size() == 2 && answer[0] == kDone && answer[1] == 1;
  return Status::OK();
}

}  // namespace agor
