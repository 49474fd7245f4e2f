#include "tests/support/event_stream.h"

#include <chrono>
#include <stdexcept>

#include "tests/support/daemon.h"

namespace agor::test {
namespace {

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

bool Matches(const Json& record, const Json& match) {
  for (const auto& item : match.items()) {
    if (!record.contains(item.key()) || record[item.key()] != item.value()) return false;
  }
  return true;
}

}  // namespace

std::string ConnectPacket(const std::string& token, Json auth) {
  if (!token.empty()) auth["token"] = token;
  return auth.empty() ? "40" : "40" + auth.dump();
}

EventStream::EventStream(const Daemon& daemon, const std::string& query)
    : EventStream(daemon.port(), query, daemon.token()) {}

EventStream::EventStream(int port, const std::string& query, const std::string& token) {
  if (ws_.Connect(port, "/socket.io/?EIO=4&transport=websocket" + query) != 101)
    throw std::runtime_error("socket upgrade failed");
  std::string frame;
  if (!ws_.ReadText(&frame, 5000) || !ws_.SendText(ConnectPacket(token)) ||
      !ws_.ReadText(&frame, 5000) || frame.rfind("40{", 0) != 0) {
    throw std::runtime_error("socket.io connect failed");
  }
}

bool EventStream::Next(PushedEvent* ev, int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  std::string frame;
  while (ws_.ReadText(&frame, static_cast<int>(std::max<int64_t>(0, deadline - NowMs())))) {
    if (frame == "2") {
      ws_.SendText("3");
      continue;
    }
    if (frame.rfind("42[", 0) != 0) continue;
    Json args = Json::parse(frame.substr(2), nullptr, false);
    if (!args.is_array() || args.size() < 2) continue;
    ev->name = args[0].get<std::string>();
    ev->record = args[1];
    ev->seq = args.size() > 2 && args.back().is_string() ? args.back().get<std::string>() : "";
    seen_.push_back(*ev);
    return true;
  }
  return false;
}

bool EventStream::WaitFor(const std::string& name, const Json& match, PushedEvent* ev,
                          int timeout_ms) {
  int64_t deadline = NowMs() + timeout_ms;
  while (NowMs() < deadline) {
    if (!Next(ev, static_cast<int>(deadline - NowMs()))) return false;
    if (ev->name == name && Matches(ev->record, match)) return true;
  }
  return false;
}

namespace {

bool Ended(const PushedEvent& ev, const std::string& task_id) {
  if (ev.name != "tasks patched" || ev.record.value("task_id", "") != task_id) return false;
  std::string status = ev.record.value("status", "");
  return status != "running" && status != "stopping";
}

}  // namespace

bool EventStream::WaitTaskEnd(const std::string& task_id, Json* record, int timeout_ms) {
  for (const auto& ev : seen_) {
    if (Ended(ev, task_id)) return *record = ev.record, true;
  }
  PushedEvent ev;
  do {
    if (!WaitFor("tasks patched", {{"task_id", task_id}}, &ev, timeout_ms)) return false;
  } while (!Ended(ev, task_id));
  *record = ev.record;
  return true;
}

}  // namespace agor::test
