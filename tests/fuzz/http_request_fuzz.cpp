// libFuzzer target for the HTTP/1.1 request parser (server/wire/http_request_parser.h), fed
// the way a connection feeds it: the bytes arrive in chunks, each chunk goes to the one
// incremental HttpRequestParser (state kept across reads), and after a complete request the
// rest of the chunk is fed again (pipelining).
//
// Input: byte 0 picks the chunk sizes (0: all at once; '1'..'9': that many bytes each, so a
// seed reads "1GET / HTTP/1.1..."; any other value: irregular sizes from a small generator
// seeded by it); the rest is the byte stream. The same stream parsed whole must give the same
// requests: a chunk boundary may never change what a request means.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/wire/http_request_parser.h"

namespace {

struct Outcome {
  std::vector<std::string> requests;  // method, path, query, headers and body of each
  bool error = false;
};

std::string Describe(const agor::HttpRequest& r) {
  std::string out = r.method + ' ' + r.path + '?' + r.query + '\n';
  for (const auto& [name, value] : r.headers) out += name + ':' + value + '\n';
  return out + '\n' + r.body;
}

// The next chunk size for rule `rule`: constant for 0 and '1'..'9', irregular otherwise.
size_t NextChunk(uint8_t rule, uint32_t* state, size_t left) {
  if (rule == 0) return left;
  if (rule >= '1' && rule <= '9') return rule - '0';
  *state = *state * 1103515245u + 12345u;
  return 1 + (*state >> 16) % 64;
}

// Feeds `chunk` to the parser, recording each complete request; false once it failed.
bool FeedChunk(agor::HttpRequestParser* parser, std::string_view chunk, Outcome* outcome) {
  while (!chunk.empty()) {
    agor::HttpParse parse = parser->Feed(chunk);
    if (parse.result == agor::HttpParse::kIncomplete) {
      if (parse.consumed != chunk.size()) __builtin_trap();  // an incomplete read takes all
      return true;
    }
    if (parse.result == agor::HttpParse::kError) {
      if (parse.error.ok() || parse.error.http_status() < 400) __builtin_trap();
      outcome->error = true;
      return false;
    }
    if (parse.consumed == 0 || parse.consumed > chunk.size()) __builtin_trap();
    outcome->requests.push_back(Describe(parser->request()));
    (void)agor::SerializeHttpResponse(agor::HttpResponse{}, parse.keep_alive);
    chunk.remove_prefix(parse.consumed);
  }
  return true;
}

Outcome Feed(std::string_view stream, uint8_t rule) {
  agor::HttpLimits limits;  // small, so the fuzzer reaches them
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 8192;
  agor::HttpRequestParser parser(&limits);
  Outcome outcome;
  uint32_t state = rule;
  for (size_t pos = 0; pos < stream.size();) {
    size_t n = std::min(NextChunk(rule, &state, stream.size() - pos), stream.size() - pos);
    if (!FeedChunk(&parser, stream.substr(pos, n), &outcome)) break;
    pos += n;
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome chunked = Feed(stream, data[0]);
  const Outcome whole = Feed(stream, 0);
  if (chunked.requests != whole.requests || chunked.error != whole.error) __builtin_trap();
  return 0;
}
