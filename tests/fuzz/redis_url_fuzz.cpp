// libFuzzer target for `--broker` URLs (server/wire/redis_url.h): the input is the flag's text.
//
// Checked: a refusal is a BadRequest and leaves the output untouched; an accepted URL has a
// host, a port in 1-65535 and a database in range, and its canonical spelling parses back to
// the same address (so logs and /health show what is really used).
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/wire/redis_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  agor::RedisUrl url;
  url.host = "untouched";
  agor::Status status = agor::ParseRedisUrl(input, &url);
  if (!status.ok()) {
    if (status.code() != agor::Code::kBadRequest || url.host != "untouched") __builtin_trap();
    return 0;
  }
  if (url.host.empty() || url.port < 1 || url.port > 65535) __builtin_trap();
  if (url.db < 0 || url.db > agor::kMaxRedisDb) __builtin_trap();
  agor::RedisUrl again;
  if (!agor::ParseRedisUrl(url.ToString(), &again).ok() || !(again == url)) __builtin_trap();
  return 0;
}
