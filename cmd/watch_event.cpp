#include "cmd/watch_event.h"

#include <cstdio>
#include <ctime>

#include "base/schema.h"
#include "cmd/output.h"
#include "server/wire/socketio.h"

namespace agor {
namespace {

constexpr std::size_t kEventExcerptWidth = 72;
constexpr const char* kEventDim = "\x1b[2m";
constexpr const char* kEventReset = "\x1b[0m";

// The string at record[field], or null.
Json StringOrNull(const Json& record, const char* field) {
  auto it = record.is_object() ? record.find(field) : record.end();
  return it != record.end() && it->is_string() ? *it : Json(nullptr);
}

// record[field], or null: never throws, whatever the daemon sent.
const Json& At(const Json& record, const char* field) {
  static const Json kNull;
  auto it = record.is_object() ? record.find(field) : record.end();
  return it != record.end() ? *it : kNull;
}

std::string Text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : "";
}

const char* EventColor(const std::string& event) {
  if (event == "created") return "\x1b[32m";
  if (event == "removed") return "\x1b[31m";
  return "\x1b[33m";
}

std::string Painted(const std::string& text, const char* color, bool enabled) {
  return enabled ? color + text + kEventReset : text;
}

// Agor's cursor events carry milliseconds since the epoch: the local time of those.
std::string MillisClock(const Json& millis) {
  if (!millis.is_number_integer() || millis.get<std::int64_t>() < 0) return "";
  std::time_t when = static_cast<std::time_t>(millis.get<std::int64_t>() / 1000);
  std::tm local = {};
  char out[16];
  if (!localtime_r(&when, &local) || !strftime(out, sizeof out, "%H:%M:%S", &local)) return "";
  return out;
}

std::string EventClock(const WatchEvent& event) {
  std::string millis = MillisClock(At(event.record, "timestamp"));
  if (!millis.empty()) return millis;
  for (const std::string& candidate :
       {event.ts, Text(StringOrNull(event.record, "updated_at")),
        Text(StringOrNull(event.record, "created_at")),
        Text(StringOrNull(event.record, "timestamp")),
        Text(StringOrNull(event.record, "last_active")), Text(StringOrNull(event.record, "ts"))}) {
    std::string clock = LocalClock(candidate);
    if (!clock.empty()) return clock;
  }
  return "--:--:--";
}

// A message's content: a string, or the text of its content blocks.
std::string EventContentText(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return content.is_null() ? "" : content.dump();
  std::string text;
  for (const auto& block : content) {
    std::string part = Text(StringOrNull(block, "text"));
    if (!part.empty()) text += (text.empty() ? "" : " ") + part;
  }
  return text;
}

std::string ShortOf(const Json& id) {
  return id.is_string() ? CellText(id, Column{"", "", Column::kShortId}) : "-";
}

// A coordinate as typed: integers without ".0", others as JSON writes them.
std::string Coordinate(const Json& value) {
  if (!value.is_number()) return "?";
  double v = value.get<double>();
  bool integral = v < 1e15 && v > -1e15 && v == static_cast<double>(static_cast<long long>(v));
  return integral ? std::to_string(static_cast<long long>(v)) : value.dump();
}

// `ana 🦊 viewing 5e6f7a8b, typing in 5e6f7a8b, idle`, or for cursors `user 1a2b3c4d at 3,4`.
std::string PresenceText(const WatchEvent& event) {
  const Json& record = event.record;
  if (event.event == "cursor-moved" || event.event == "cursor-left") {
    std::string text = "user " + ShortOf(StringOrNull(record, "userId"));
    if (event.event == "cursor-left") return text + " left";
    return text + " at " + Coordinate(At(record, "x")) + "," + Coordinate(At(record, "y"));
  }
  std::string text = Text(StringOrNull(record, "name"));
  std::string emoji = Text(StringOrNull(record, "emoji"));
  if (!emoji.empty()) text += " " + emoji;
  Json viewing = StringOrNull(record, "selected_session_id");
  Json typing = StringOrNull(record, "typing_session_id");
  if (viewing.is_string()) text += ", viewing " + ShortOf(viewing);
  if (typing.is_string()) text += ", typing in " + ShortOf(typing);
  if (At(record, "idle") == true) text += ", idle";
  return text;
}

std::string Excerpt(const WatchEvent& event) {
  const Json& record = event.record;
  std::string text;
  if (IsPresenceEvent(event)) text = PresenceText(event);
  for (const char* field : {"name", "title", "prompt", "slug", "summary"}) {
    if (!text.empty()) break;
    text = Text(StringOrNull(record, field));
  }
  if (text.empty() && record.is_object() && record.contains("content")) {
    text = EventContentText(record["content"]);
  }
  std::string role = Text(StringOrNull(record, "role"));
  if (!role.empty()) text = role + ": " + text;
  std::string status = Text(StringOrNull(record, "status"));
  if (!status.empty()) text += " [" + status + "]";
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return CellText(Json(text), Column{"", "", Column::kText, kEventExcerptWidth});
}

// The record's id: its schema's id field; for the services outside the store (presence,
// activity), "<service>_id" (cursor events spell it presenceId).
std::string ShortId(const WatchEvent& event) {
  const ServiceSchema* schema = FindService(event.service);
  std::string field = schema ? schema->id_field : event.service + "_id";
  if (IsPresenceEvent(event) && At(event.record, "presence_id").is_null()) field = "presenceId";
  return ShortOf(StringOrNull(event.record, field.c_str()));
}

bool Contains(const std::set<std::string>& set, const Json& value) {
  return value.is_string() && set.count(value.get<std::string>()) > 0;
}

// Agor's cursor events name no service and spell the board boardId: they join "presence".
bool CursorEventFromFrame(const std::string& name, Json record, WatchEvent* out) {
  out->seq = -1;
  out->service = "presence";
  out->event = name;
  out->board_id = StringOrNull(record, "boardId");
  out->session_id = nullptr;
  out->record = std::move(record);
  out->ts.clear();
  out->actor = nullptr;
  return true;
}

}  // namespace

std::int64_t ParseSeq(const std::string& text) {
  if (text.empty() || text.size() > 18) return -1;
  std::int64_t seq = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    seq = seq * 10 + (c - '0');
  }
  return seq;
}

std::string LocalClock(const std::string& iso) {
  std::tm utc = {};
  if (sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &utc.tm_year, &utc.tm_mon, &utc.tm_mday,
             &utc.tm_hour, &utc.tm_min, &utc.tm_sec) != 6) {
    return "";
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  std::time_t when = timegm(&utc);
  std::tm local = {};
  char out[16];
  if (!localtime_r(&when, &local) || !strftime(out, sizeof out, "%H:%M:%S", &local)) return "";
  return out;
}

bool IsPresenceEvent(const WatchEvent& event) {
  return event.service == "presence";
}

bool EventFromFrame(const std::string& name, Json record, const std::string& offset,
                    WatchEvent* out) {
  if (name == kLogEntryEvent) return EventFromLog(std::move(record), out);
  if (name == "cursor-moved" || name == "cursor-left") {
    return CursorEventFromFrame(name, std::move(record), out);
  }
  std::size_t space = name.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 == name.size()) return false;
  out->seq = ParseSeq(offset);
  out->service = name.substr(0, space);
  out->event = name.substr(space + 1);
  out->board_id = StringOrNull(record, "board_id");
  out->session_id = StringOrNull(record, "session_id");
  out->record = std::move(record);
  out->ts.clear();
  out->actor = nullptr;
  return true;
}

bool EventFromLog(Json entry, WatchEvent* out) {
  if (!entry.is_object()) return false;
  const Json& seq = entry["seq"];
  Json service = StringOrNull(entry, "service");
  Json event = StringOrNull(entry, "event");
  if (!seq.is_number_integer() || seq.get<std::int64_t>() < 0 || service.is_null() ||
      event.is_null()) {
    return false;
  }
  out->seq = seq.get<std::int64_t>();
  out->service = service.get<std::string>();
  out->event = event.get<std::string>();
  out->record = entry.contains("record") ? std::move(entry["record"]) : Json(nullptr);
  out->board_id = StringOrNull(out->record, "board_id");
  if (out->board_id.is_null()) out->board_id = StringOrNull(entry, "board_id");
  out->session_id = StringOrNull(out->record, "session_id");
  if (out->session_id.is_null()) out->session_id = StringOrNull(entry, "session_id");
  out->ts = Text(StringOrNull(entry, "ts"));
  out->actor = entry.contains("actor") && entry["actor"].is_object() ? entry["actor"] : Json();
  return true;
}

bool WatchFilter::Passes(const WatchEvent& event) const {
  if (!presence && IsPresenceEvent(event)) return false;
  if (event.service == "activity" && !services.count("activity")) return false;
  if (!services.empty() && !services.count(event.service)) return false;
  if (!events.empty() && !events.count(event.event)) return false;
  if (boards.empty() && sessions.empty()) return true;
  return Contains(boards, event.board_id) || Contains(sessions, event.session_id);
}

std::string FormatEventJson(const WatchEvent& event) {
  Json line = Json::object();
  line["seq"] = event.seq >= 0 ? Json(event.seq) : Json(nullptr);
  line["ts"] = event.ts.empty() ? Json(nullptr) : Json(event.ts);
  line["service"] = event.service;
  line["event"] = event.event;
  line["board_id"] = event.board_id;
  line["session_id"] = event.session_id;
  line["data"] = event.record;
  if (!event.actor.is_null()) line["actor"] = event.actor;
  std::string out;
  AppendJson(&out, line);
  return out + "\n";
}

std::string FormatEventSummary(const WatchEvent& event, bool color) {
  std::string seq = event.seq >= 0 ? "#" + std::to_string(event.seq) : "#-";
  std::string kind = TerminalSafe(event.service + " " + event.event);
  return EventClock(event) + "  " + Painted(seq, kEventDim, color) + "  " +
         Painted(kind, EventColor(event.event), color) + "  " +
         Painted(ShortId(event), kEventDim, color) + "  " + Excerpt(event) + "\n";
}

}  // namespace agor
