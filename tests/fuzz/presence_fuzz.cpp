// libFuzzer target for presence's inputs (server/realtime/presence.h): the input is a JSON
// array [op, id, data] as a Socket.IO client sends it (op: create, patch, remove, find, get,
// cursor-move, cursor-leave), applied to a daemon's presence over an in-memory store with a
// team board and a session on it, then flushed and swept.
//
// Checked: nothing throws (a call's refusal is a Status), every answer and every frame sent
// serializes strictly (valid UTF-8), and the roster never holds more than the one connection.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "server/realtime/engine_server.h"
#include "server/realtime/presence.h"

namespace {

using agor::Json;

class Socket : public agor::EngineSocket {
 public:
  const std::string& query() const override { return empty_; }
  const std::string& authorization() const override { return empty_; }
  const std::string& remote_address() const override { return empty_; }
  void Send(std::string_view frame) override { Check(std::string(frame)); }
  void Send(const agor::SharedFrame& frame) override { Check(frame.text()); }
  size_t queued_bytes() const override { return 0; }
  void Close(const std::string&) override {}

 private:
  static void Check(const std::string& frame) {
    if (Json::parse(frame.substr(2), nullptr, false).is_discarded()) __builtin_trap();
  }
  std::string empty_;
};

class FixedClock : public agor::Clock {
 public:
  int64_t NowMillis() override { return now += 7; }
  int64_t now = 1764150000000;
};

struct World {
  World() {
    agor::StoreOptions options;
    options.path = ":memory:";
    if (!agor::Store::Open(options, &clock, &store).ok()) __builtin_trap();
    Json user, board, session;
    store->CreateUser(Json{{"email", "a@example.com"}, {"name", "a"}, {"role", "member"}},
                      "$argon2id$x", &user);
    store->Create("boards", Json{{"name", "b"}, {"visibility", "team"}}, &board,
                  Json{{"owner_id", user["user_id"]}, {"created_by", user["user_id"]}});
    store->Create("sessions", Json{{"board_id", board["board_id"]}, {"agentic_tool", "codex"}},
                  &session);
    user_id = user["user_id"];
    board_id = board["board_id"];
    hub = std::make_unique<agor::Hub>(agor::ChannelMode::kBoards, &store->access(), &clock);
  }
  FixedClock clock;
  std::unique_ptr<agor::Store> store;
  std::unique_ptr<agor::Hub> hub;
  std::string user_id, board_id;
};

World& Shared() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Json input = Json::parse(data, data + size, nullptr, false);
  if (!input.is_array() || input.size() != 3 || !input[0].is_string()) return 0;
  World& w = Shared();
  agor::Presence presence(w.store.get(), w.hub.get(), &w.clock, [](int, std::function<void()>) {});
  Socket socket;
  agor::Subscriber sub;
  sub.socket = &socket;
  sub.caller.user_id = w.user_id;
  Json joined;
  presence.Call(
      {"create", "presence", nullptr, Json{{"board_id", w.board_id}}, Json::object(), sub.caller},
      &sub, "pid", &joined);
  const std::string op = input[0];
  Json result;
  if (op == "cursor-move") {
    presence.CursorMove(&sub, "pid", input[2]);
  } else if (op == "cursor-leave") {
    presence.CursorLeave(&sub, input[2]);
  } else {
    Json query = input[2].is_object() ? input[2] : Json::object();
    agor::ServiceCall call{op, "presence", input[1], input[2], query, sub.caller};
    if (presence.Call(call, &sub, "pid", &result).ok()) (void)result.dump();
  }
  presence.Flush();
  presence.Sweep();
  if (presence.registry().size() > 1) __builtin_trap();
  presence.Detach(&sub);
  return 0;
}
