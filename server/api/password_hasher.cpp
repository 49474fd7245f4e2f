#include "server/api/password_hasher.h"

#include <sodium.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "server/api/api_key.h"
#include "server/api/hash_worker_process.h"

namespace agor {
namespace {

// Argon2id at OWASP's recommended minimum (m = 19 MiB, t = 2, p = 1) rather than libsodium's
// "interactive" 64 MiB: under a 100-login storm on 2 cores the larger one moved the fan-out's
// paced p99 from 5 to 11 ms at 5.5 logins/s, this one to 8.6 ms at 19.6 logins/s. Hashes
// carry their parameters, so those made with other limits still verify.
constexpr unsigned long long kOpsLimit = 2;
constexpr size_t kMemLimit = 19u << 20;

// The hashes themselves run in each worker's child process (hash_worker_process.h says why:
// the per-hash 19 MiB map/populate/unmap, done in this address space, took the fan-out's
// paced p99 from ~4.5 to ~8.5-9 ms under a 100-login storm), the threads only waiting on them.

Status Busy() {
  return Status::Unavailable("too many logins at once, try again");
}

void Wipe(std::string* secret) {
  sodium_memzero(secret->data(), secret->size());
}

}  // namespace

struct PasswordHasher::Impl {
  struct Job {
    // On a worker, given its HashWorkerProcess: the hash, then its answer through post.
    std::function<void(HashWorkerProcess*)> run;
    std::function<void()> refuse;  // answers Unavailable through post instead
  };

  Post post;
  Options options;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;  // guarded by mutex
  bool stopping = false;  // guarded by mutex
  std::vector<std::thread> workers;
  std::vector<std::unique_ptr<HashWorkerProcess>> processes;  // one per worker, index for index

  void Submit(Job job) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!stopping && queue.size() < options.max_queued) {
        queue.push_back(std::move(job));
        wake.notify_one();
        return;
      }
    }
    job.refuse();
  }

  // The thread keeps its priority while it only waits on its child: at idle priority it would
  // not get to read the answer on a busy machine. It lowers itself when it hashes in-thread.
  void Work(HashWorkerProcess* process) {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || !queue.empty(); });
        if (stopping) return;  // the destructor answers what is left
        job = std::move(queue.front());
        queue.pop_front();
      }
      job.run(process);
    }
  }
};

PasswordHasher::PasswordHasher(Post post, Options options) : impl_(new Impl) {
  InitSodium();
  impl_->post = std::move(post);
  impl_->options = options;
  const int threads = std::max(1, options.threads);
  for (int i = 0; i < threads; ++i) {
    impl_->processes.push_back(std::make_unique<HashWorkerProcess>());
    if (options.isolate) impl_->processes.back()->Start();  // on failure: in-thread
  }
  for (int i = 0; i < threads; ++i) {
    impl_->workers.emplace_back([impl = impl_, p = impl_->processes[i].get()] { impl->Work(p); });
  }
}

PasswordHasher::~PasswordHasher() {
  std::deque<Impl::Job> left;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->stopping = true;
    left.swap(impl_->queue);
  }
  impl_->wake.notify_all();
  for (std::thread& worker : impl_->workers) worker.join();
  impl_->processes.clear();  // closes each socket: the child reads EOF and exits; reaped
  for (Impl::Job& job : left) job.refuse();
  delete impl_;
}

void PasswordHasher::Hash(std::string password,
                          std::function<void(const Status&, std::string hash)> done) {
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  Post post = impl_->post;
  Impl::Job job;
  job.run = [post, shared_done, password = std::move(password)](HashWorkerProcess* p) mutable {
    std::string hash;
    Status s = p->Hash(password, &hash);
    Wipe(&password);
    post([shared_done, s, hash = std::move(hash)] { (*shared_done)(s, hash); });
  };
  job.refuse = [post, shared_done] { post([shared_done] { (*shared_done)(Busy(), ""); }); };
  impl_->Submit(std::move(job));
}

void PasswordHasher::Verify(std::string password, std::string hash,
                            std::function<void(const Status&, bool matches)> done) {
  auto shared_done = std::make_shared<decltype(done)>(std::move(done));
  Post post = impl_->post;
  Impl::Job job;
  job.run = [post, shared_done, password = std::move(password),
             hash = std::move(hash)](HashWorkerProcess* p) mutable {
    bool matches = false;
    Status s = p->Verify(password, hash, &matches);
    Wipe(&password);
    post([shared_done, s, matches] { (*shared_done)(s, matches); });
  };
  job.refuse = [post, shared_done] { post([shared_done] { (*shared_done)(Busy(), false); }); };
  impl_->Submit(std::move(job));
}

Status PasswordHasher::HashNow(const std::string& password, std::string* hash) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    return Busy();  // libsodium's only failure here: the memory it needs was not there
  }
  *hash = out;
  return Status::OK();
}

// A hash must be one NUL-free string of libsodium's size: anything else cannot match.
bool PasswordHasher::VerifyNow(const std::string& password, const std::string& hash) {
  InitSodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES ||
      hash.find('\0') != std::string::npos) {
    return false;
  }
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace agor
