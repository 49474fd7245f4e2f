#include "server/net/web_context.h"

#include "server/net/web_connection.h"

namespace agor {
namespace {

constexpr int64_t kMaxFanoutDelayUs = 1000;  // the longest a frame waits for more to join it

}  // namespace

void WebContext::ScheduleFlush(std::shared_ptr<WebConnection> c) {
  dirty.push_back(std::move(c));
  PostFlush();
}

void WebContext::PostFlush() {
  if (flush_posted) return;
  flush_posted = true;
  asio::post(*io, [this] { FlushDirty(); });
}

// HTTP answers leave at once: a client waiting on its answer (to send its next request)
// should not wait behind the fan-out of the events its request caused. WebSocket frames wait
// while input keeps arriving (each pass lets the loop read and commit what came meanwhile, so
// one write carries the events of several commits), at most kMaxFanoutDelayUs; on a quiet
// loop they leave on the next pass.
void WebContext::FlushDirty() {
  flush_posted = false;
  std::vector<std::shared_ptr<WebConnection>> batch;
  batch.swap(dirty);
  int64_t now = clock->NowMicros();
  if (fanout_since_us == 0) fanout_since_us = now;
  bool wait = reads != reads_seen && now - fanout_since_us < kMaxFanoutDelayUs;
  reads_seen = reads;
  for (auto& c : batch) {
    if (c->is_websocket() && wait) {
      dirty.push_back(std::move(c));  // stays flush_scheduled
      continue;
    }
    c->flush_scheduled = false;
    c->Flush();
  }
  if (dirty.empty()) {
    fanout_since_us = 0;
  } else {
    PostFlush();
  }
}

void WebContext::Forget(WebConnection* c) {
  auto it = connections.find(c);
  if (it == connections.end()) return;
  std::shared_ptr<WebConnection> keep = std::move(it->second);
  connections.erase(it);
  asio::post(*io, [keep] {});  // destroyed after the handler that closed it returns
}

}  // namespace agor
