#include "server/realtime/broker_message.h"

#include <array>
#include <cstdint>

#include "base/clock.h"
#include "base/json.h"
#include "server/wire/socketio.h"

namespace agor {
namespace {

// The keys of a version 1 message, in the order Encode writes them.
constexpr std::array<const char*, 11> kKeys = {"v",        "seq",         "ts",         "service",
                                               "event",    "board_id",    "session_id", "user_id",
                                               "actor_id", "actor_agent", "record"};

void AppendOptionalId(std::string* out, const char* key, const std::string& id) {
  *out += ",\"";
  *out += key;
  *out += "\":";
  if (id.empty()) {
    *out += "null";
  } else {
    AppendJsonString(out, id);
  }
}

Status Refuse(const std::string& what) {
  return Status::BadRequest("Invalid broker message: " + what);
}

// `live`: the message has a node, so it is a seq-less event's (seq 0).
Status CheckKeys(const Json& message, bool* live) {
  if (!message.is_object()) return Refuse("not a JSON object");
  *live = message.contains("node");
  if (message.size() != kKeys.size() + (*live ? 1 : 0)) return Refuse("wrong number of fields");
  for (const char* key : kKeys) {
    if (!message.contains(key)) return Refuse(std::string("no ") + key);
  }
  const Json& v = message["v"];
  if (!v.is_number_integer() || v.get<int64_t>() != 1) return Refuse("unknown version");
  return Status::OK();
}

Status ReadName(const Json& message, const char* key, std::string* out) {
  const Json& value = message[key];
  if (!value.is_string()) return Refuse(std::string(key) + " is not a string");
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > kMaxBrokerNameBytes)
    return Refuse(std::string(key) + " is empty or too long");
  *out = text;
  return Status::OK();
}

Status ReadId(const Json& message, const char* key, std::string* out) {
  const Json& value = message[key];
  if (value.is_null()) return Status::OK();
  if (!value.is_string()) return Refuse(std::string(key) + " is neither null nor a string");
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > kMaxBrokerIdBytes)
    return Refuse(std::string(key) + " is empty or too long");
  *out = text;
  return Status::OK();
}

Status ReadSeq(const Json& message, bool live, Event* ev) {
  const Json& seq = message["seq"];
  if (live) {
    if (!seq.is_number_integer() || seq.get<int64_t>() != 0) return Refuse("a live seq is not 0");
    return Status::OK();
  }
  if (!seq.is_number_integer() || (seq.is_number_unsigned() && seq.get<uint64_t>() > INT64_MAX) ||
      seq.get<int64_t>() < 1)
    return Refuse("seq is not a positive integer");
  ev->seq = seq.get<int64_t>();
  return Status::OK();
}

Status ReadHead(const Json& message, bool live, Event* ev) {
  Status s = ReadSeq(message, live, ev);
  if (!s.ok()) return s;
  const Json& ts = message["ts"];
  int64_t millis = 0;
  // Exactly what FormatIso8601 writes: sscanf alone would take trailing bytes or month 13.
  bool untimed = live && ts.is_string() && ts.get_ref<const std::string&>().empty();
  if (!untimed && (!ts.is_string() || !ParseIso8601(ts.get<std::string>(), &millis) ||
                   FormatIso8601(millis) != ts.get<std::string>()))
    return Refuse("ts is not an ISO-8601 time as agor writes it");
  ev->ts = ts.get<std::string>();
  s = ReadName(message, "service", &ev->service);
  if (s.ok()) s = ReadName(message, "event", &ev->event);
  return s;
}

Status ReadIds(const Json& message, Event* ev) {
  Status s = ReadId(message, "board_id", &ev->board_id);
  if (s.ok()) s = ReadId(message, "session_id", &ev->session_id);
  if (s.ok()) s = ReadId(message, "user_id", &ev->user_id);
  if (s.ok()) s = ReadId(message, "actor_id", &ev->actor_id);
  if (s.ok()) s = ReadId(message, "actor_agent", &ev->actor_agent);
  return s;
}

}  // namespace

std::string EncodeBrokerMessage(const Event& ev, const std::string& node) {
  std::string out = "{\"v\":1,\"seq\":" + std::to_string(ev.seq);
  if (ev.seq == 0) {
    out += ",\"node\":";
    AppendJsonString(&out, node);
  }
  out += ",\"ts\":";
  AppendJsonString(&out, ev.ts);
  out += ",\"service\":";
  AppendJsonString(&out, ev.service);
  out += ",\"event\":";
  AppendJsonString(&out, ev.event);
  AppendOptionalId(&out, "board_id", ev.board_id);
  AppendOptionalId(&out, "session_id", ev.session_id);
  AppendOptionalId(&out, "user_id", ev.user_id);
  AppendOptionalId(&out, "actor_id", ev.actor_id);
  AppendOptionalId(&out, "actor_agent", ev.actor_agent);
  out += ",\"record\":";
  if (ev.record_json.empty()) {
    AppendJson(&out, ev.record);
  } else {
    out += ev.record_json;
  }
  out += '}';
  return out;
}

Status DecodeBrokerMessage(std::string_view bytes, Event* out, std::string* node) {
  if (bytes.size() > kMaxBrokerMessageBytes) {
    return Status::PayloadTooLarge("Invalid broker message: over " +
                                   std::to_string(kMaxBrokerMessageBytes) + " bytes");
  }
  JsonLimits limits;
  limits.max_bytes = kMaxBrokerMessageBytes;
  Json message;
  Status s = ParseJson(bytes, &message, limits);
  if (!s.ok()) return Refuse(s.message());
  bool live = false;
  s = CheckKeys(message, &live);
  Event ev;
  std::string from;
  if (s.ok() && live) s = ReadName(message, "node", &from);
  if (s.ok()) s = ReadHead(message, live, &ev);
  if (s.ok()) s = ReadIds(message, &ev);
  if (!s.ok()) return s;
  Json& record = message["record"];
  if (!record.is_object()) return Refuse("record is not an object");
  ev.record_json = record.dump();
  ev.record = std::move(record);
  *out = std::move(ev);
  if (node) *node = std::move(from);
  return Status::OK();
}

}  // namespace agor
