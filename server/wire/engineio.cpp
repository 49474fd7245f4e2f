#include "server/wire/engineio.h"

namespace agor {
namespace {

constexpr char kRecordSeparator = '\x1e';

bool IsEngineType(char c) {
  return c >= '0' && c <= '6';
}

// A JSON string literal; sids are base64url in practice, but escape anyway.
std::string JsonString(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

Status DecodeEnginePacket(std::string_view text, EnginePacket* out) {
  if (text.empty()) return Status::BadRequest("empty engine.io packet");
  const char type = text.front();
  if (type == 'b') return Status::BadRequest("binary engine.io packets are not supported");
  if (!IsEngineType(type)) return Status::BadRequest("unknown engine.io packet type");
  out->type = static_cast<EngineType>(type);
  out->data = text.substr(1);
  return Status::OK();
}

Status DecodePollingPayload(std::string_view body, std::vector<EnginePacket>* out) {
  out->clear();
  if (body.empty()) return Status::BadRequest("empty polling payload");
  while (true) {
    const size_t end = body.find(kRecordSeparator);
    EnginePacket packet;
    Status status = DecodeEnginePacket(body.substr(0, end), &packet);
    if (!status.ok()) return status;
    out->push_back(packet);
    if (end == std::string_view::npos) return Status::OK();
    body.remove_prefix(end + 1);
  }
}

void AppendEnginePacket(std::string* out, EngineType type, std::string_view data) {
  out->push_back(static_cast<char>(type));
  out->append(data);
}

std::string EncodeEnginePacket(EngineType type, std::string_view data) {
  std::string out;
  out.reserve(1 + data.size());
  AppendEnginePacket(&out, type, data);
  return out;
}

std::string EncodePollingPayload(const std::vector<EnginePacket>& packets) {
  size_t size = 0;
  for (const EnginePacket& packet : packets) size += packet.data.size() + 2;
  std::string body;
  body.reserve(size);
  for (const EnginePacket& packet : packets) {
    if (!body.empty()) body.push_back(kRecordSeparator);
    AppendEnginePacket(&body, packet.type, packet.data);
  }
  return body;
}

void AppendPollingFrame(std::string* body, std::string_view frame) {
  if (!body->empty()) body->push_back(kRecordSeparator);
  body->append(frame);
}

std::string EncodeOpen(std::string_view sid, const std::vector<std::string>& upgrades,
                       std::int64_t ping_interval_ms, std::int64_t ping_timeout_ms,
                       std::int64_t max_payload) {
  std::string out = "0{\"sid\":";
  out += JsonString(sid);
  out += ",\"upgrades\":[";
  for (size_t i = 0; i < upgrades.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += JsonString(upgrades[i]);
  }
  out += "],\"pingInterval\":";
  out += std::to_string(ping_interval_ms);
  out += ",\"pingTimeout\":";
  out += std::to_string(ping_timeout_ms);
  out += ",\"maxPayload\":";
  out += std::to_string(max_payload);
  out.push_back('}');
  return out;
}

}  // namespace agor
