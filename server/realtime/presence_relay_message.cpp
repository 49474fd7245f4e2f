#include "server/realtime/presence_relay_message.h"

#include <array>
#include <cstdint>
#include <vector>

#include "base/json.h"
#include "base/utf8.h"
#include "server/realtime/presence.h"

namespace agor {
namespace {

constexpr size_t kMaxIdBytes = 64;
constexpr std::array<const char*, 6> kOps = {"upsert", "remove", "cursor",
                                             "left",   "beat",   "snapshot"};
const std::vector<const char*> kEntryKeys = {
    "presence_id",         "user_id",           "board_id", "name",       "emoji", "cursor",
    "selected_session_id", "typing_session_id", "idle",     "last_active"};

Status RefuseRelayed(const std::string& what) {
  return Status::BadRequest("Invalid presence relay message: " + what);
}

// `object` holds exactly `keys` (and the envelope's three when `envelope`).
bool Exactly(const Json& object, const std::vector<const char*>& keys, bool envelope) {
  if (!object.is_object() || object.size() != keys.size() + (envelope ? 3 : 0)) return false;
  for (const char* key : keys) {
    if (!object.contains(key)) return false;
  }
  return true;
}

// The keys of each op besides the envelope's, in PresenceOp's order.
const std::vector<const char*>& OpKeys(PresenceOp op) {
  static const std::array<std::vector<const char*>, 6> keys = {
      {{"entry"}, {"id"}, {"id", "x", "y", "at"}, {"id", "at"}, {"n"}, {"entries"}}};
  return keys[static_cast<size_t>(op)];
}

Status ReadCount(const Json& object, const char* key, int64_t* out) {
  const Json& v = object[key];
  if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX) ||
      v.get<int64_t>() < 0)
    return RefuseRelayed(std::string(key) + " is not an integer >= 0");
  *out = v.get<int64_t>();
  return Status::OK();
}

// A string id of 1..64 bytes; null too (as "") when `nullable`.
Status ReadId(const Json& object, const char* key, bool nullable, std::string* out) {
  const Json& v = object[key];
  if (nullable && v.is_null()) return out->clear(), Status::OK();
  if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
      v.get_ref<const std::string&>().size() > kMaxIdBytes)
    return RefuseRelayed(std::string(key) + " is not an id of 1.." + std::to_string(kMaxIdBytes) +
                         " bytes");
  *out = v.get<std::string>();
  return Status::OK();
}

Status ReadName(const Json& object, const char* key, Json* out) {
  const Json& v = object[key];
  if (!v.is_null() &&
      (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxPresenceNameBytes))
    return RefuseRelayed(std::string(key) + " is not null or a string of at most " +
                         std::to_string(kMaxPresenceNameBytes) + " bytes");
  *out = v;
  return Status::OK();
}

Status ReadCoordinate(const Json& object, const char* key, double* out) {
  const Json& v = object[key];
  if (!v.is_number() || !IsCursorCoordinate(v.get<double>()))
    return RefuseRelayed(std::string(key) + " is not a finite number with |v| <= 1e7");
  *out = v.get<double>();
  return Status::OK();
}

Status ReadCursor(const Json& entry, PresenceEntry* e) {
  const Json& c = entry["cursor"];
  e->has_cursor = !c.is_null();
  if (!e->has_cursor) return Status::OK();
  if (!Exactly(c, {"x", "y"}, false)) return RefuseRelayed("cursor is not null or {x, y}");
  Status s = ReadCoordinate(c, "x", &e->x);
  return s.ok() ? ReadCoordinate(c, "y", &e->y) : s;
}

Status ReadEntry(const Json& entry, PresenceEntry* out) {
  if (!Exactly(entry, kEntryKeys, false))
    return RefuseRelayed("an entry has not exactly its 10 keys");
  PresenceEntry e;
  Status s = ReadId(entry, "presence_id", false, &e.presence_id);
  if (s.ok()) s = ReadId(entry, "user_id", false, &e.user_id);
  if (s.ok()) s = ReadId(entry, "board_id", false, &e.board_id);
  if (s.ok()) s = ReadName(entry, "name", &e.name);
  if (s.ok()) s = ReadName(entry, "emoji", &e.emoji);
  if (s.ok()) s = ReadCursor(entry, &e);
  if (s.ok()) s = ReadId(entry, "selected_session_id", true, &e.selected_session_id);
  if (s.ok()) s = ReadId(entry, "typing_session_id", true, &e.typing_session_id);
  if (s.ok() && !entry["idle"].is_boolean()) s = RefuseRelayed("idle is not a bool");
  if (s.ok()) s = ReadCount(entry, "last_active", &e.last_active_ms);
  if (!s.ok()) return s;
  e.idle = entry["idle"].get<bool>();
  *out = std::move(e);
  return Status::OK();
}

Status ReadEntries(const Json& list, std::vector<PresenceEntry>* out) {
  if (!list.is_array() || list.size() > kMaxPresenceSnapshotEntries)
    return RefuseRelayed("entries is not an array of at most " +
                         std::to_string(kMaxPresenceSnapshotEntries));
  out->resize(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Status s = ReadEntry(list[i], &(*out)[i]);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// The op's own fields into *m.
Status ReadBody(const Json& j, PresenceRelayMessage* m) {
  switch (m->op) {
    case PresenceOp::kUpsert:
      m->entries.resize(1);
      return ReadEntry(j["entry"], &m->entries[0]);
    case PresenceOp::kSnapshot:
      return ReadEntries(j["entries"], &m->entries);
    case PresenceOp::kBeat:
      return ReadCount(j, "n", &m->count);
    default:
      break;
  }
  Status s = ReadId(j, "id", false, &m->presence_id);
  if (s.ok() && m->op != PresenceOp::kRemove) s = ReadCount(j, "at", &m->at_ms);
  if (s.ok() && m->op == PresenceOp::kCursor) s = ReadCoordinate(j, "x", &m->x);
  if (s.ok() && m->op == PresenceOp::kCursor) s = ReadCoordinate(j, "y", &m->y);
  return s;
}

// The envelope: version, node, and an op whose keys are exactly there.
Status ReadEnvelope(const Json& j, PresenceRelayMessage* m) {
  if (!j.is_object() || !j.contains("v") || !j.contains("node") || !j.contains("op"))
    return RefuseRelayed("not an object with v, node and op");
  if (!j["v"].is_number_integer() || j["v"].get<int64_t>() != 1)
    return RefuseRelayed("unknown version");
  Status s = ReadId(j, "node", false, &m->node);
  if (!s.ok()) return s;
  const Json& op = j["op"];
  size_t i = 0;
  while (i < kOps.size() && !(op.is_string() && op.get_ref<const std::string&>() == kOps[i])) ++i;
  if (i == kOps.size()) return RefuseRelayed("unknown op");
  m->op = static_cast<PresenceOp>(i);
  if (!Exactly(j, OpKeys(m->op), true))
    return RefuseRelayed("not exactly the keys of op " + op.dump());
  return Status::OK();
}

Json NullableId(const std::string& id) {
  return id.empty() ? Json(nullptr) : Json(id);
}

// Longer names are cut at a character, so that every node takes them in.
Json Name(const Json& name) {
  if (!name.is_string()) return nullptr;
  return std::string(Utf8Prefix(name.get_ref<const std::string&>(), kMaxPresenceNameBytes));
}

Json EntryJson(const PresenceEntry& e) {
  Json cursor = e.has_cursor ? Json{{"x", e.x}, {"y", e.y}} : Json(nullptr);
  return Json{{"presence_id", e.presence_id},
              {"user_id", e.user_id},
              {"board_id", e.board_id},
              {"name", Name(e.name)},
              {"emoji", Name(e.emoji)},
              {"cursor", std::move(cursor)},
              {"selected_session_id", NullableId(e.selected_session_id)},
              {"typing_session_id", NullableId(e.typing_session_id)},
              {"idle", e.idle},
              {"last_active", e.last_active_ms}};
}

}  // namespace

std::string EncodePresenceRelayMessage(const PresenceRelayMessage& m) {
  Json j{{"v", 1}, {"node", m.node}, {"op", kOps[static_cast<size_t>(m.op)]}};
  switch (m.op) {
    case PresenceOp::kUpsert:
      j["entry"] = EntryJson(m.entries.at(0));
      break;
    case PresenceOp::kSnapshot:
      j["entries"] = Json::array();
      for (const PresenceEntry& e : m.entries) j["entries"].push_back(EntryJson(e));
      break;
    case PresenceOp::kBeat:
      j["n"] = m.count;
      break;
    case PresenceOp::kCursor:
      j["x"] = m.x, j["y"] = m.y;
      [[fallthrough]];
    case PresenceOp::kLeft:
      j["at"] = m.at_ms;
      [[fallthrough]];
    case PresenceOp::kRemove:
      j["id"] = m.presence_id;
      break;
  }
  return DumpJson(j);
}

Status DecodePresenceRelayMessage(std::string_view bytes, PresenceRelayMessage* out) {
  if (bytes.size() > kMaxPresenceSnapshotBytes) return RefuseRelayed("too long");
  JsonLimits limits;
  limits.max_bytes = kMaxPresenceSnapshotBytes;
  limits.max_depth = 4;
  limits.max_object_keys = 16;
  Json j;
  Status s = ParseJson(bytes, &j, limits);
  if (!s.ok()) return RefuseRelayed(s.message());
  PresenceRelayMessage m;
  s = ReadEnvelope(j, &m);
  if (s.ok() && m.op != PresenceOp::kSnapshot && bytes.size() > kMaxPresenceMessageBytes)
    s = RefuseRelayed("too long");
  if (s.ok()) s = ReadBody(j, &m);
  if (!s.ok()) return s;
  *out = std::move(m);
  return Status::OK();
}

}  // namespace agor
