#include "server/node.h"

#include "store/log.h"

namespace agor {

Node::Node() = default;
Node::~Node() = default;

Status Node::Start(const NodeOptions& options) {
  options_ = options;
  Status s = Store::Open(options.store, SystemClock(), &store_);
  if (!s.ok()) return s;
  stats_.started_ms = SystemClock()->NowMillis();
  store_->SetCommitListener([this](const Event&) { ++stats_.events; });
  dispatcher_ = std::make_unique<Dispatcher>(store_.get());
  router_ = std::make_unique<RestRouter>(dispatcher_.get(), SystemClock(), &stats_);
  web_ = std::make_unique<WebServer>();
  web_->SetHttpHandler(
      [this](const HttpRequest& req, HttpResponse* res) { router_->Handle(req, res); });
  return web_->Listen(options.web);
}

std::string Node::url() const {
  return "http://" + options_.web.host + ":" + std::to_string(web_ ? web_->port() : 0);
}

void Node::Run() {
  web_->Run();
  Log(LogLevel::kInfo, "shutting down: checkpointing " + options_.store.path);
  store_->Checkpoint();
}

void Node::Stop() {
  if (web_) web_->Stop();
}

}  // namespace agor
