// Node: the facade `agor serve` runs. It owns the store, the dispatcher, the REST router and
// the web server, wires committed events into the stats (and, with the next layers, into the
// channels), and shuts down cleanly: stop accepting, finish in-flight requests, checkpoint
// the WAL.
//
// Thread-safety: Run() blocks the calling thread, which becomes the event loop; Stop() may be
// called from any thread.
#pragma once

#include <memory>
#include <string>

#include "server/dispatcher.h"
#include "server/rest_router.h"
#include "server/web_server.h"
#include "store/store.h"

namespace agor {

struct NodeOptions {
  WebServerOptions web;
  StoreOptions store;
};

class Node {
 public:
  Node();
  ~Node();

  // Opens the store and binds the port. Errors name what failed (database or port).
  Status Start(const NodeOptions& options);
  // "http://127.0.0.1:3030" once started.
  std::string url() const;
  // Serves until Stop() or SIGINT/SIGTERM, then checkpoints the store.
  void Run();
  void Stop();

 private:
  NodeOptions options_;
  ServerStats stats_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<RestRouter> router_;
  std::unique_ptr<WebServer> web_;
};

}  // namespace agor
