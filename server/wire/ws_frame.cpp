#include "server/wire/ws_frame.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

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

// Standard base64 (with padding) of `bytes`.
std::string Base64(const unsigned char* bytes, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(&out[0]), bytes, static_cast<int>(n));
  out.resize(static_cast<size_t>(written));
  return out;
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
  unsigned char hash[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), hash);
  return Base64(hash, sizeof hash);
}

std::string MakeWebSocketKey(uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  unsigned char bytes[16];
  for (unsigned char& b : bytes) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    b = static_cast<unsigned char>(x);
  }
  return Base64(bytes, sizeof bytes);
}

}  // namespace agor
