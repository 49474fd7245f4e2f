// Tests of server/net/redis_reply: hiredis replies (parsed by hiredis's own reader from RESP
// bytes) become owned values, and too deep or too large ones are refused, not copied.
#include "server/net/redis_reply.h"

#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace agor {
namespace {

// Parses one RESP reply with hiredis and translates it within `max_bytes`.
Status Translate(const std::string& resp, RedisReply* out, size_t max_bytes = kMaxRedisReplyBytes) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(), redisReaderFree);
  REQUIRE(redisReaderFeed(reader.get(), resp.data(), resp.size()) == REDIS_OK);
  void* reply = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &reply) == REDIS_OK);
  REQUIRE(reply != nullptr);
  Status status = TranslateRedisReply(static_cast<redisReply*>(reply), out, max_bytes);
  freeReplyObject(reply);
  return status;
}

TEST_CASE("redis reply: each RESP type becomes its owned value", "[server][net][redis]") {
  RedisReply r;
  REQUIRE(Translate("+OK\r\n", &r).ok());
  CHECK((r.is_string() && r.str == "OK"));
  REQUIRE(Translate(":-42\r\n", &r).ok());
  CHECK((r.is_integer() && r.integer == -42));
  REQUIRE(Translate("$-1\r\n", &r).ok());
  CHECK(r.is_nil());
  REQUIRE(Translate(std::string("$3\r\na\0b\r\n", 9), &r).ok());
  CHECK((r.is_string() && r.str == std::string("a\0b", 3)));
  REQUIRE(Translate("-WRONGTYPE no\r\n", &r).ok());
  CHECK((r.is_error() && r.str == "WRONGTYPE no"));
  REQUIRE(Translate("*3\r\n$1\r\nx\r\n*1\r\n:7\r\n*-1\r\n", &r).ok());
  REQUIRE(r.is_array());
  REQUIRE(r.elements.size() == 3);
  CHECK(r.elements[0].str == "x");
  CHECK(r.elements[1].elements.at(0).integer == 7);
  CHECK(r.elements[2].is_nil());
}

TEST_CASE("redis reply: nesting past the depth limit is refused", "[server][net][redis]") {
  RedisReply r;
  REQUIRE(Translate("*1\r\n*1\r\n*1\r\n:1\r\n", &r).ok());  // kMaxRedisReplyDepth levels
  CHECK(r.elements[0].elements[0].elements[0].integer == 1);
  RedisReply untouched = RedisReply::String("before");
  Status status = Translate("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", &untouched);
  CHECK(status.code() == Code::kGeneralError);
  CHECK(status.message().find("deeper than 4") != std::string::npos);
  CHECK(untouched.str == "before");
}

TEST_CASE("redis reply: a reply over the byte limit is refused, counting every value",
          "[server][net][redis]") {
  const std::string hundred = "$100\r\n" + std::string(100, 'x') + "\r\n";
  RedisReply r;
  CHECK(Translate(hundred, &r, 100 + kRedisReplyOverhead).ok());
  Status status = Translate(hundred, &r, 100 + kRedisReplyOverhead - 1);
  CHECK(status.code() == Code::kGeneralError);
  CHECK(status.message().find("larger than") != std::string::npos);
  std::string empties = "*10\r\n";
  for (int i = 0; i < 10; ++i) empties += "$0\r\n\r\n";
  CHECK(Translate(empties, &r, 11 * kRedisReplyOverhead).ok());
  CHECK_FALSE(Translate(empties, &r, 10 * kRedisReplyOverhead).ok());
}

}  // namespace
}  // namespace agor
