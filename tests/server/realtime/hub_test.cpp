#include "server/realtime/hub.h"

#include <catch2/catch.hpp>

#include "server/realtime/engine_server.h"

namespace agor {
namespace {

class FakeSocket : public EngineSocket {
 public:
  const std::string& query() const override { return query_; }
  void Send(std::string_view frame) override { frames.emplace_back(frame); }
  void Send(const SharedFrame& frame) override {
    frames.push_back(frame.text());
    shared.push_back(frame.handle().get());
  }
  size_t queued_bytes() const override { return 0; }
  void Close(const std::string&) override {}
  std::vector<std::string> frames;
  std::vector<const void*> shared;  // which prepared frame each Send(SharedFrame) queued

 private:
  std::string query_;
};

struct Client {
  Client() { sub.socket = &socket; }
  FakeSocket socket;
  Subscriber sub;
};

Event MakeEvent(const char* service, const char* board, const char* session, int64_t seq) {
  Event ev;
  ev.seq = seq;
  ev.service = service;
  ev.event = "created";
  ev.board_id = board;
  ev.session_id = session;
  ev.record = {{"x", 1}};
  return ev;
}

TEST_CASE("boards mode routes by board and session, each recipient once", "[hub]") {
  Hub hub(ChannelMode::kBoards);
  Client on_a, on_b, on_s1, on_a_and_s1, none;
  for (Client* c : {&on_a, &on_b, &on_s1, &on_a_and_s1, &none}) hub.Add(&c->sub);
  hub.JoinBoard(&on_a.sub, "A");
  hub.JoinBoard(&on_b.sub, "B");
  hub.JoinSession(&on_s1.sub, "s1");
  hub.JoinBoard(&on_a_and_s1.sub, "A");
  hub.JoinSession(&on_a_and_s1.sub, "s1");

  CHECK(hub.Publish(MakeEvent("messages", "A", "s1", 7)) == 3);
  CHECK(on_a.socket.frames.size() == 1);
  CHECK(on_s1.socket.frames.size() == 1);
  CHECK(on_a_and_s1.socket.frames.size() == 1);
  CHECK(on_b.socket.frames.empty());
  CHECK(none.socket.frames.empty());
  CHECK(on_a.socket.frames[0] == "42[\"messages created\",{\"x\":1},\"7\"]");

  CHECK(hub.Publish(MakeEvent("boards", "B", "", 8)) == 5);  // board lists stay live
  CHECK(hub.Publish(MakeEvent("repos", "", "", 9)) == 5);
  hub.LeaveBoard(&on_a.sub, "A");
  CHECK(hub.Publish(MakeEvent("tasks", "A", "s2", 10)) == 1);
  hub.Remove(&on_a_and_s1.sub);
  CHECK(hub.Publish(MakeEvent("tasks", "A", "s1", 11)) == 1);
  CHECK(hub.size() == 4);
}

TEST_CASE("everybody mode sends every event to every client", "[hub]") {
  Hub hub(ChannelMode::kEverybody);
  Client a, b;
  hub.Add(&a.sub);
  hub.Add(&b.sub);
  CHECK(hub.Publish(MakeEvent("messages", "A", "s1", 1)) == 2);
  CHECK(hub.Wants(a.sub, MakeEvent("messages", "Z", "z", 2)));
}

TEST_CASE("events outside the log carry no offset", "[hub]") {
  Event ev = MakeEvent("messages", "A", "s", 0);
  ev.event = "streaming";
  CHECK(Hub::EncodeFrame(ev) == "42[\"messages streaming\",{\"x\":1}]");
}

TEST_CASE("connections that opted in get log entries, serialized once, others stock frames",
          "[hub]") {
  Hub hub(ChannelMode::kBoards);
  Client stock, entries1, entries2, elsewhere;
  entries1.sub.log_entries = entries2.sub.log_entries = elsewhere.sub.log_entries = true;
  for (Client* c : {&stock, &entries1, &entries2, &elsewhere}) hub.Add(&c->sub);
  hub.JoinBoard(&stock.sub, "A");
  hub.JoinBoard(&entries1.sub, "A");
  hub.JoinSession(&entries2.sub, "s1");
  Event ev = MakeEvent("messages", "A", "s1", 7);
  ev.ts = "2026-12-01T22:00:00.123Z";
  CHECK(hub.Publish(ev) == 3);
  // Stock clients: byte for byte the frame they always got.
  REQUIRE(stock.socket.frames.size() == 1);
  CHECK(stock.socket.frames[0] == "42[\"messages created\",{\"x\":1},\"7\"]");
  const std::string entry =
      "42[\"events created\",{\"seq\":7,\"ts\":\"2026-12-01T22:00:00.123Z\","
      "\"service\":\"messages\",\"event\":\"created\",\"board_id\":\"A\",\"session_id\":\"s1\","
      "\"record\":{\"x\":1}},\"7\"]";
  REQUIRE(entries1.socket.frames.size() == 1);
  REQUIRE(entries2.socket.frames.size() == 1);
  CHECK(entries1.socket.frames[0] == entry);
  CHECK(entries2.socket.frames[0] == entry);
  CHECK(entries1.socket.shared[0] == entries2.socket.shared[0]);  // one serialization
  CHECK(entries1.socket.shared[0] != stock.socket.shared[0]);
  CHECK(elsewhere.socket.frames.empty());
  CHECK(Hub::EncodeFrameFor(entries1.sub, ev) == entry);
  CHECK(Hub::EncodeFrameFor(stock.sub, ev) == stock.socket.frames[0]);

  Event repo = MakeEvent("repos", "", "", 8);  // no board, no session: nulls, as GET /events
  repo.ts = "t";
  repo.record_json = "{\"repo_id\":\"r\"}";  // spliced in as made by the log
  hub.Publish(repo);
  CHECK(elsewhere.socket.frames.back() ==
        "42[\"events created\",{\"seq\":8,\"ts\":\"t\",\"service\":\"repos\",\"event\":\"created\","
        "\"board_id\":null,\"session_id\":null,\"record\":{\"repo_id\":\"r\"}},\"8\"]");
  CHECK(stock.socket.frames.back() == "42[\"repos created\",{\"repo_id\":\"r\"},\"8\"]");
}

TEST_CASE("events outside the log reach log-entry connections as stock frames", "[hub]") {
  Hub hub(ChannelMode::kEverybody);
  Client entries;
  entries.sub.log_entries = true;
  hub.Add(&entries.sub);
  Event ev = MakeEvent("messages", "A", "s", 0);
  ev.event = "streaming";
  hub.Publish(ev);
  REQUIRE(entries.socket.frames.size() == 1);
  CHECK(entries.socket.frames[0] == "42[\"messages streaming\",{\"x\":1}]");
}

}  // namespace
}  // namespace agor
