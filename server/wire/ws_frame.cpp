#include "server/wire/ws_frame.h"

#include <websocketpp/base64/base64.hpp>
#include <websocketpp/sha1/sha1.hpp>

namespace agor {
namespace {

uint64_t ReadBigEndian(std::string_view bytes) {
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

void AppendBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Header length and payload length of the frame starting at in; false when incomplete.
bool ParseLengths(std::string_view in, size_t* header, uint64_t* length) {
  if (in.size() < 2) return false;
  uint8_t len7 = static_cast<uint8_t>(in[1]) & 0x7F;
  size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  size_t mask = (static_cast<uint8_t>(in[1]) & 0x80) ? 4 : 0;
  *header = 2 + ext + mask;
  if (in.size() < *header) return false;
  *length = ext == 0 ? len7 : ReadBigEndian(in.substr(2, ext));
  return true;
}

// The first bytes of a final frame: opcode, mask bit and the length in 7, 16 or 64 bits.
void AppendHeader(std::string* out, uint8_t opcode, uint64_t n, uint8_t mask_bit) {
  out->push_back(static_cast<char>(0x80 | opcode));
  if (n < 126) {
    out->push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    out->push_back(static_cast<char>(mask_bit | 126));
    AppendBigEndian(out, n, 2);
  } else {
    out->push_back(static_cast<char>(mask_bit | 127));
    AppendBigEndian(out, n, 8);
  }
}

}  // namespace

size_t ParseFrame(std::string_view in, WsFrame* frame, std::string* scratch) {
  size_t header = 0;
  uint64_t length = 0;
  if (!ParseLengths(in, &header, &length)) return 0;
  uint8_t b0 = static_cast<uint8_t>(in[0]);
  frame->fin = b0 & 0x80;
  frame->masked = static_cast<uint8_t>(in[1]) & 0x80;
  frame->opcode = b0 & 0x0F;
  bool control = frame->opcode & 0x08;
  if ((b0 & 0x70) || (length >> 63) || (control && (length > 125 || !frame->fin))) {
    return std::string_view::npos;
  }
  if (in.size() - header < length) return 0;
  frame->payload = in.substr(header, length);
  if (frame->masked) {
    std::string_view key = in.substr(header - 4, 4);
    scratch->assign(frame->payload);
    for (size_t i = 0; i < scratch->size(); ++i) (*scratch)[i] ^= key[i & 3];
    frame->payload = *scratch;
  }
  return header + length;
}

bool PeekFrameLength(std::string_view in, uint64_t* length) {
  size_t header = 0;
  return ParseLengths(in, &header, length);
}

void AppendFrameHeader(std::string* out, uint8_t opcode, uint64_t payload_length) {
  AppendHeader(out, opcode, payload_length, 0);
}

void AppendClientFrame(std::string* out, uint8_t opcode, std::string_view payload,
                       uint32_t mask_key) {
  size_t n = payload.size();
  AppendHeader(out, opcode, n, 0x80);
  char key[4];
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>((mask_key >> (8 * i)) & 0xFF);
  out->append(key, 4);
  size_t start = out->size();
  out->append(payload);
  for (size_t i = 0; i < n; ++i) (*out)[start + i] ^= key[i & 3];
}

std::string WebSocketAccept(std::string_view key) {
  std::string text(key);
  text.append("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");  // RFC 6455's fixed GUID
  unsigned char hash[20];
  websocketpp::sha1::calc(text.data(), text.size(), hash);
  return websocketpp::base64_encode(hash, sizeof hash);
}

std::string MakeWebSocketKey(uint64_t seed) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  std::string key;
  // 16 random bytes are 21 full base64 digits plus one holding 2 bits, then "==".
  for (int i = 0; i < 22; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    key.push_back(kAlphabet[i == 21 ? (x & 0x3) << 4 : x & 0x3F]);
  }
  return key + "==";
}

}  // namespace agor
