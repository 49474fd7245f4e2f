// Broker messages (server/realtime/broker_message.h): an Event survives the trip byte for
// byte, and anything but a well-formed version 1 message is refused without touching *out.
#include "server/realtime/broker_message.h"

#include <catch2/catch.hpp>

namespace agor {
namespace {

Event FullEvent() {
  Event ev;
  ev.seq = 42;
  ev.ts = "2026-12-02T12:00:00.123Z";
  ev.service = "messages";
  ev.event = "created";
  ev.board_id = "b-1";
  ev.session_id = "s-1";
  ev.user_id = "u-1";
  ev.actor_id = "u-2";
  ev.actor_agent = "claude-code";
  ev.record = {{"message_id", "m-1"}, {"content", "h\u00e9llo \"quoted\" \u2603"}, {"n", 1}};
  return ev;
}

void CheckSame(const Event& a, const Event& b) {
  CHECK(a.seq == b.seq);
  CHECK(a.ts == b.ts);
  CHECK(a.service == b.service);
  CHECK(a.event == b.event);
  CHECK(a.board_id == b.board_id);
  CHECK(a.session_id == b.session_id);
  CHECK(a.user_id == b.user_id);
  CHECK(a.actor_id == b.actor_id);
  CHECK(a.actor_agent == b.actor_agent);
  CHECK(a.record == b.record);
}

// The message of FullEvent with `field` replaced by the JSON text `value`.
std::string With(const std::string& field, const std::string& value) {
  Json message = Json::parse(EncodeBrokerMessage(FullEvent()));
  message[field] = Json::parse(value);
  return message.dump();
}

void CheckRefused(const std::string& bytes) {
  Event out = FullEvent();
  out.seq = 7;
  Status s = DecodeBrokerMessage(bytes, &out);
  INFO(bytes.substr(0, 200));
  CHECK_FALSE(s.ok());
  CHECK(out.seq == 7);  // untouched
}

TEST_CASE("broker message: an event round-trips, its record spliced and decoded once",
          "[broker-message]") {
  Event ev = FullEvent();
  const std::string bytes = EncodeBrokerMessage(ev);
  Event out;
  REQUIRE(DecodeBrokerMessage(bytes, &out).ok());
  CheckSame(ev, out);
  CHECK(out.record_json == ev.record.dump());
  ev.record_json = ev.record.dump();  // as the store leaves it: written as is
  CHECK(EncodeBrokerMessage(ev) == bytes);
  CHECK(EncodeBrokerMessage(out) == bytes);
}

TEST_CASE("broker message: ids an event has not are null and come back empty", "[broker-message]") {
  Event ev = FullEvent();
  ev.board_id = ev.session_id = ev.user_id = ev.actor_id = ev.actor_agent = "";
  ev.service = "repos";
  const std::string bytes = EncodeBrokerMessage(ev);
  CHECK(bytes.find("\"board_id\":null,\"session_id\":null,\"user_id\":null,\"actor_id\":null,"
                   "\"actor_agent\":null") != std::string::npos);
  Event out;
  REQUIRE(DecodeBrokerMessage(bytes, &out).ok());
  CheckSame(ev, out);
}

TEST_CASE("broker message: a live event carries its node and seq 0, its ts may be empty",
          "[broker-message]") {
  Event ev = FullEvent();
  ev.seq = 0;
  ev.ts.clear();
  const std::string bytes = EncodeBrokerMessage(ev, "node-1");
  CHECK(bytes.rfind("{\"v\":1,\"seq\":0,\"node\":\"node-1\",\"ts\":\"\",", 0) == 0);
  Event out;
  std::string node;
  REQUIRE(DecodeBrokerMessage(bytes, &out, &node).ok());
  CheckSame(ev, out);
  CHECK(node == "node-1");
  REQUIRE(DecodeBrokerMessage(EncodeBrokerMessage(FullEvent()), &out, &node).ok());
  CHECK(node.empty());  // a logged event's message has none

  Json live = Json::parse(bytes);
  for (const char* bad : {"\"\"", "null", "7", "[]"}) {
    Json wrong = live;
    wrong["node"] = Json::parse(bad);
    CheckRefused(wrong.dump());
  }
  Json long_node = live;
  long_node["node"] = std::string(kMaxBrokerNameBytes + 1, 'n');
  CheckRefused(long_node.dump());
  for (const char* seq : {"1", "-1", "\"0\"", "null"}) {
    Json wrong = live;
    wrong["seq"] = Json::parse(seq);
    CheckRefused(wrong.dump());  // a node only with seq 0
  }
  Json junk_ts = live;
  junk_ts["ts"] = "soon";
  CheckRefused(junk_ts.dump());
  Json unnamed = live;
  unnamed.erase("node");
  CheckRefused(unnamed.dump());  // seq 0 without a node: no logged event has it
}

TEST_CASE("broker message: every truncation is refused", "[broker-message]") {
  const std::string bytes = EncodeBrokerMessage(FullEvent());
  for (size_t n = 0; n < bytes.size(); ++n) CheckRefused(bytes.substr(0, n));
}

TEST_CASE("broker message: wrong types and values are refused", "[broker-message]") {
  CheckRefused("[1,2,3]");
  CheckRefused("null");
  CheckRefused(With("v", "2"));
  CheckRefused(With("v", "\"1\""));
  for (const char* seq : {"0", "-1", "1.5", "\"42\"", "null", "18446744073709551615"})
    CheckRefused(With("seq", seq));
  for (const char* ts : {"\"yesterday\"", "\"\"", "12", "null", "\"2026-12-02T12:00:00.123Zjunk\"",
                         "\"2026-13-02T12:00:00.123Z\"", "\"2026-12-02T12:00:00Z\""})
    CheckRefused(With("ts", ts));
  for (const char* field : {"service", "event"}) {
    CheckRefused(With(field, "\"\""));
    CheckRefused(With(field, "null"));
    CheckRefused(With(field, "7"));
    CheckRefused(With(field, "\"" + std::string(kMaxBrokerNameBytes + 1, 'x') + "\""));
  }
  for (const char* field : {"board_id", "session_id", "user_id", "actor_id", "actor_agent"}) {
    CheckRefused(With(field, "\"\""));
    CheckRefused(With(field, "{}"));
    CheckRefused(With(field, "\"" + std::string(kMaxBrokerIdBytes + 1, 'x') + "\""));
  }
  for (const char* record : {"[]", "\"text\"", "null", "1"}) CheckRefused(With("record", record));
}

TEST_CASE("broker message: missing and unknown fields are refused", "[broker-message]") {
  Json message = Json::parse(EncodeBrokerMessage(FullEvent()));
  for (const auto& item : message.items()) {
    Json without = message;
    without.erase(item.key());
    CheckRefused(without.dump());
    Json renamed = without;
    renamed["extra"] = item.value();  // the same count of fields, one unknown
    CheckRefused(renamed.dump());
  }
  Json more = message;
  more["extra"] = 1;
  CheckRefused(more.dump());
}

TEST_CASE("broker message: oversize, invalid UTF-8, NUL and deep input are refused",
          "[broker-message]") {
  std::string big = EncodeBrokerMessage(FullEvent());
  big.insert(big.size() - 2, kMaxBrokerMessageBytes, ' ');
  Event out;
  CHECK(DecodeBrokerMessage(big, &out).code() == Code::kPayloadTooLarge);
  const std::string bytes = EncodeBrokerMessage(FullEvent());
  std::string bad = bytes;
  bad.replace(bad.find("messages"), 1, "\xC3\x28");  // a broken two-byte sequence
  CheckRefused(bad);
  bad = bytes;
  bad.replace(bad.find("m-1"), 1, "\xED\xA0\x80");  // a surrogate, in the record
  CheckRefused(bad);
  bad = bytes;
  bad.replace(bad.find("claude-code"), 1, std::string(1, '\0'));
  CheckRefused(bad);
  CheckRefused(With("record", "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}"));
}

}  // namespace
}  // namespace agor
