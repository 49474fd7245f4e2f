#include "server/wire/socketio.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "base/json.h"
#include "base/utf8.h"

namespace agor {
namespace {

constexpr std::size_t kMaxAckIdDigits = 16;  // 2^53 has 16 digits
// Bytes reserved for the record in an event frame before it is dumped; bigger records grow the
// string geometrically.
constexpr std::size_t kRecordSizeGuess = 512;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// The reserved event names socket.io-parser refuses in an EVENT.
bool IsReservedEvent(const std::string& name) {
  static const char* const kReserved[] = {"connect",       "connect_error", "disconnect",
                                          "disconnecting", "newListener",   "removeListener"};
  for (const char* reserved : kReserved) {
    if (name == reserved) return true;
  }
  return false;
}

// Reads the optional decimal ack id at the start of *rest and consumes it.
Status ParseAckId(std::string_view* rest, std::optional<std::int64_t>* ack_id) {
  size_t digits = 0;
  while (digits < rest->size() && IsDigit((*rest)[digits])) ++digits;
  if (digits == 0) return Status::OK();
  if (digits > kMaxAckIdDigits) return Status::BadRequest("socket.io ack id too large");
  std::int64_t value = 0;
  for (size_t i = 0; i < digits; ++i) value = value * 10 + ((*rest)[i] - '0');
  if (value > kMaxAckId) return Status::BadRequest("socket.io ack id too large");
  *ack_id = value;
  rest->remove_prefix(digits);
  return Status::OK();
}

Status CheckEvent(const Json& data) {
  if (!data.is_array() || data.empty()) {
    return Status::BadRequest("socket.io EVENT data must be a non-empty array");
  }
  const Json& name = data.front();
  if (!name.is_string()) return Status::BadRequest("socket.io event name must be a string");
  if (IsReservedEvent(name.get_ref<const std::string&>())) {
    return Status::BadRequest("socket.io event name is reserved");
  }
  return Status::OK();
}

// The shape rules of socket.io-parser's isPayloadValid, stricter for EVENT names.
Status CheckData(SocketPacket* packet, bool present) {
  switch (packet->type) {
    case SocketType::kConnect:
      if (!present) packet->data = Json::object();
      if (!packet->data.is_object()) {
        return Status::BadRequest("socket.io CONNECT data must be an object");
      }
      return Status::OK();
    case SocketType::kDisconnect:
      if (present) return Status::BadRequest("socket.io DISCONNECT carries no data");
      return Status::OK();
    case SocketType::kEvent:
      if (!present) return Status::BadRequest("socket.io EVENT without data");
      return CheckEvent(packet->data);
    case SocketType::kAck:
      if (!packet->ack_id) return Status::BadRequest("socket.io ACK without id");
      if (!present || !packet->data.is_array()) {
        return Status::BadRequest("socket.io ACK data must be an array");
      }
      return Status::OK();
    case SocketType::kConnectError:
      if (!present || !(packet->data.is_string() || packet->data.is_object())) {
        return Status::BadRequest("socket.io CONNECT_ERROR data must be a string or an object");
      }
      return Status::OK();
    default:
      return Status::BadRequest("binary socket.io packets are not supported");
  }
}

// nlohmann's serializer for one value, appended in place; the reference for AppendJson.
void AppendWithNlohmann(std::string* out, const Json& value) {
  nlohmann::detail::serializer<Json> serializer(nlohmann::detail::output_adapter<char>(*out), ' ',
                                                Json::error_handler_t::replace);
  serializer.dump(value, false, false, 0);
}

template <typename Int>
void AppendInteger(std::string* out, Int value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out->append(digits, result.ptr);
}

// The escape of an ASCII byte that is not plain (see kPlain), as nlohmann and JSON.stringify
// write it.
const char* Escape(unsigned char c, char (&buffer)[8]) {
  static const char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:  // other control characters
      std::memcpy(buffer, "\\u00", 4);
      buffer[4] = kHex[(c >> 4) & 0xF];
      buffer[5] = kHex[c & 0xF];
      buffer[6] = '\0';
      return buffer;
  }
}

// Bytes that go into a JSON string as they are: printable ASCII but `"` and `\\`.
struct PlainBytes {
  bool plain[256] = {};
  constexpr PlainBytes() {
    for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  }
};
constexpr PlainBytes kPlain;

// Appends text JSON-escaped (no quotes): runs of plain bytes are copied in one go. False, with
// *out partly written, when text is not valid UTF-8.
bool AppendEscaped(std::string* out, std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t size = text.size();
  size_t run = 0;  // start of the pending plain run
  size_t i = 0;
  while (true) {
    while (i < size && kPlain.plain[bytes[i]]) ++i;
    if (i == size) break;
    if (bytes[i] >= 0x80) {
      const size_t length = Utf8SequenceLength(text, i);
      if (length == 0) return false;
      i += length;
      continue;
    }
    char buffer[8];
    out->append(text.data() + run, i - run);
    out->append(Escape(bytes[i], buffer));
    run = ++i;
  }
  out->append(text.data() + run, size - run);
  return true;
}

}  // namespace

Status DecodeSocketPacket(std::string_view payload, SocketPacket* out, std::size_t max_bytes) {
  out->ack_id.reset();  // first: a refusal names an ack id only once it has been read
  if (payload.size() > max_bytes) return Status::PayloadTooLarge("socket.io packet too large");
  if (payload.empty()) return Status::BadRequest("empty socket.io packet");
  const char type = payload.front();
  if (type < '0' || type > '6') return Status::BadRequest("unknown socket.io packet type");
  if (type == '5' || type == '6') {
    return Status::BadRequest("binary socket.io packets are not supported");
  }
  out->type = static_cast<SocketType>(type);
  out->data = nullptr;

  std::string_view rest = payload.substr(1);
  if (!rest.empty() && rest.front() == '/') {
    const size_t comma = rest.find(',');
    out->nsp.assign(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  } else {
    out->nsp.assign("/");
  }

  Status status = ParseAckId(&rest, &out->ack_id);
  if (!status.ok()) return status;
  const bool present = !rest.empty();
  if (present) {
    status = ParseJson(rest, &out->data);  // the one entry rule: depth, UTF-8, numbers
    if (!status.ok()) return status;
  }
  return CheckData(out, present);
}

namespace {

constexpr size_t kMaxCursorPayload = 512;  // longer: the general path

// A JSON string of printable ASCII without escapes at *p; its contents in *out.
bool PlainString(std::string_view in, size_t* p, std::string_view* out) {
  if (*p >= in.size() || in[*p] != '"') return false;
  const size_t start = ++*p;
  while (*p < in.size()) {
    const unsigned char ch = static_cast<unsigned char>(in[*p]);
    if (ch == '"') {
      *out = in.substr(start, *p - start);
      ++*p;
      return true;
    }
    if (ch < 0x20 || ch > 0x7E || ch == '\\') return false;
    ++*p;
  }
  return false;
}

// A JSON number at *p (RFC 8259 grammar), read as the JSON parser reads it: an integer (no
// fraction, no exponent) as int64 then converted, anything else as the nearest double.
bool PlainNumber(std::string_view in, size_t* p, double* out) {
  const size_t start = *p;
  size_t i = start;
  auto digit = [&](size_t k) { return k < in.size() && in[k] >= '0' && in[k] <= '9'; };
  if (i < in.size() && in[i] == '-') ++i;
  if (!digit(i)) return false;
  if (in[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  bool integer = true;
  if (i < in.size() && in[i] == '.') {
    integer = false;
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < in.size() && (in[i] == 'e' || in[i] == 'E')) {
    integer = false;
    ++i;
    if (i < in.size() && (in[i] == '+' || in[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  const char* first = in.data() + start;
  const char* last = in.data() + i;
  if (integer) {
    int64_t v = 0;
    auto r = std::from_chars(first, last, v);
    if (r.ec != std::errc() || r.ptr != last) return false;  // past int64: the general path
    *out = static_cast<double>(v);
  } else {
    double v = 0;
    auto r = std::from_chars(first, last, v);
    if (r.ec != std::errc() || r.ptr != last || !std::isfinite(v)) return false;
    *out = v;
  }
  *p = i;
  return true;
}

bool Take(std::string_view in, size_t* p, std::string_view lit) {
  if (in.substr(*p, lit.size()) != lit) return false;
  *p += lit.size();
  return true;
}

}  // namespace

bool DecodeCursorEvent(std::string_view payload, CursorEvent* out) {
  if (payload.size() > kMaxCursorPayload) return false;
  size_t p = 0;
  bool leave = false;
  if (Take(payload, &p, "2[\"cursor-move\",{")) {
    leave = false;
  } else if (Take(payload, &p, "2[\"cursor-leave\",{")) {
    leave = true;
  } else {
    return false;
  }
  bool has_board = false, has_x = false, has_y = false;
  while (true) {
    std::string_view key;
    if (!PlainString(payload, &p, &key) || !Take(payload, &p, ":")) return false;
    if (key == "boardId") {
      if (has_board || !PlainString(payload, &p, &out->board_id)) return false;
      has_board = true;
    } else if (!leave && key == "x") {
      if (has_x || !PlainNumber(payload, &p, &out->x)) return false;
      has_x = true;
    } else if (!leave && key == "y") {
      if (has_y || !PlainNumber(payload, &p, &out->y)) return false;
      has_y = true;
    } else {
      return false;  // timestamp, unknown keys, nested values: the general path decides
    }
    if (Take(payload, &p, ",")) continue;
    if (!Take(payload, &p, "}]") || p != payload.size()) return false;
    break;
  }
  out->leave = leave;
  return has_board && (leave || (has_x && has_y));
}

void AppendJson(std::string* out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& entry : value.get_ref<const Json::object_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(out, entry.first);
        out->push_back(':');
        AppendJson(out, entry.second);
      }
      out->push_back('}');
      return;
    }
    case Json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const Json& item : value.get_ref<const Json::array_t&>()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, item);
      }
      out->push_back(']');
      return;
    }
    case Json::value_t::string:
      AppendJsonString(out, value.get_ref<const std::string&>());
      return;
    case Json::value_t::boolean:
      out->append(value.get<bool>() ? "true" : "false");
      return;
    case Json::value_t::null:
      out->append("null");
      return;
    case Json::value_t::number_integer:
      AppendInteger(out, value.get<std::int64_t>());
      return;
    case Json::value_t::number_unsigned:
      AppendInteger(out, value.get<std::uint64_t>());
      return;
    default:  // floats (shortest round-trip form), binary, discarded
      AppendWithNlohmann(out, value);
      return;
  }
}

void AppendJsonString(std::string* out, std::string_view text) {
  const size_t start = out->size();
  out->push_back('"');
  if (!AppendEscaped(out, text)) {
    out->resize(start);  // invalid UTF-8: nlohmann replaces it with U+FFFD
    AppendWithNlohmann(out, Json(std::string(text)));
    return;
  }
  out->push_back('"');
}

std::string EncodeConnect(const Json& payload) {
  std::string out = "40";
  AppendJson(&out, payload);
  return out;
}

std::string EncodeConnectError(std::string_view message, const Json& data, std::string_view nsp) {
  std::string out = "44";
  if (nsp != "/") {
    out.append(nsp);
    out.push_back(',');
  }
  out += "{\"message\":";
  AppendJsonString(&out, message);
  if (!data.is_null()) {
    out += ",\"data\":";
    AppendJson(&out, data);
  }
  out.push_back('}');
  return out;
}

std::string EncodeDisconnect() {
  return "41";
}

std::string EncodeEvent(const Json& args) {
  std::string out = "42";
  AppendJson(&out, args);
  return out;
}

std::string EncodeAck(std::int64_t ack_id, const Json& args) {
  std::string out = "43";
  AppendInteger(&out, ack_id);
  AppendJson(&out, args);
  return out;
}

namespace {

// 42["<name>",<record>,"<offset>"]: the record's text is made by `append_record`.
template <typename AppendRecord>
std::string EventFrame(std::string_view event_name, size_t record_size, std::string_view offset,
                       AppendRecord append_record) {
  std::string out;
  out.reserve(8 + event_name.size() + offset.size() + record_size);
  out += "42[";
  AppendJsonString(&out, event_name);
  out.push_back(',');
  append_record(&out);
  if (!offset.empty()) {
    out.push_back(',');
    AppendJsonString(&out, offset);
  }
  out.push_back(']');
  return out;
}

}  // namespace

std::string EncodeEventFrame(std::string_view event_name, RawJson record, std::string_view offset) {
  return EventFrame(event_name, record.text.size(), offset,
                    [&](std::string* out) { out->append(record.text); });
}

std::string EncodeEventFrame(std::string_view event_name, const Json& record,
                             std::string_view offset) {
  return EventFrame(event_name, kRecordSizeGuess, offset,
                    [&](std::string* out) { AppendJson(out, record); });
}

}  // namespace agor
