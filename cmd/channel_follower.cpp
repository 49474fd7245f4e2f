#include "cmd/channel_follower.h"

#include "cmd/command.h"
#include "cmd/credentials.h"
#include "cmd/output.h"
#include "cmd/resource_cli.h"

namespace agor {
namespace {

constexpr int kTickMs = 100;

}  // namespace

ChannelFollower::ChannelFollower(const BaseUrl& base, Json channel, std::string what,
                                 const volatile std::sig_atomic_t& interrupted)
    : rest_(base),
      socket_(SocketOptionsFor(base)),
      channel_(std::move(channel)),
      what_(std::move(what)),
      interrupted_(interrupted) {}

int ChannelFollower::Run() {
  socket_.OnConnect([this](bool recovered) { OnConnect(recovered); });
  socket_.OnEvent([this](const std::string& name, Json record, const std::string&) {
    if (!finished_) OnEvent(name, record);
  });
  socket_.Every(kTickMs, [this] { Tick(); });
  Status status = socket_.Run();
  if (!status.ok() && !finished_) return ReportFailure(status);
  return exit_code_;
}

// Joins (a recovered connection keeps its subscriptions), then reads what is stored.
void ChannelFollower::OnConnect(bool recovered) {
  if (recovered) return CatchUp();
  Json args = Json::array({channel_, Json::object()});
  socket_.Call("create", "subscriptions", std::move(args), [this](const Status& error, Json) {
    if (finished_) return;
    if (!error.ok()) {
      if (error.code() == Code::kNotAuthenticated) return Finish(ReportFailure(error));
      ReportFailure(Status(error.code(), "cannot follow the " + what_ + ": " + error.message()));
      return Finish(kExitFailure);
    }
    CatchUp();
  });
}

void ChannelFollower::Tick() {
  if (interrupted_) return Finish(kExitInterrupted);
  if (StdoutReaderGone()) Finish(kExitOk);
}

void ChannelFollower::Finish(int exit_code) {
  if (finished_) return;
  finished_ = true;
  exit_code_ = exit_code;
  socket_.Stop();
}

}  // namespace agor
