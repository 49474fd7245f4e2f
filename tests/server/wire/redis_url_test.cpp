// Tests of server/wire/redis_url: what `--broker` accepts, and that every refusal says why.
#include "server/wire/redis_url.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {
namespace {

RedisUrl Parse(const std::string& text) {
  RedisUrl url;
  Status status = ParseRedisUrl(text, &url);
  INFO(text << " -> " << status.ToString());
  REQUIRE(status.ok());
  return url;
}

// The refusal's message, which must be a BadRequest naming the URL problem.
std::string Refusal(const std::string& text) {
  RedisUrl url;
  url.host = "untouched";
  Status status = ParseRedisUrl(text, &url);
  INFO(text);
  REQUIRE(status.code() == Code::kBadRequest);
  CHECK(url.host == "untouched");
  CHECK(status.message().find("invalid Redis URL") != std::string::npos);
  return status.message();
}

TEST_CASE("redis url: host, port and database are read, with Redis's defaults",
          "[server][wire][redis]") {
  RedisUrl url = Parse("redis://127.0.0.1:6380");
  CHECK(url.host == "127.0.0.1");
  CHECK(url.port == 6380);
  CHECK(url.db == 0);

  url = Parse("redis://cache.internal");
  CHECK(url.host == "cache.internal");
  CHECK(url.port == 6379);

  url = Parse("redis://[::1]:7000/3");
  CHECK(url.host == "::1");
  CHECK(url.port == 7000);
  CHECK(url.db == 3);

  CHECK(Parse("REDIS://localhost:1/").port == 1);
  CHECK(Parse("redis://localhost:65535/0").port == 65535);
}

TEST_CASE("redis url: the canonical spelling parses back to the same address",
          "[server][wire][redis]") {
  for (const char* text : {"redis://localhost", "redis://10.0.0.1:7/9", "redis://[fe80::1]:6379"}) {
    RedisUrl url = Parse(text);
    CHECK(Parse(url.ToString()) == url);
  }
  CHECK(Parse("redis://[::1]").ToString() == "redis://[::1]:6379/0");
}

TEST_CASE("redis url: refusals name what is wrong", "[server][wire][redis]") {
  CHECK(Refusal("http://localhost:6379").find("scheme") != std::string::npos);
  CHECK(Refusal("localhost:6379").find("scheme") != std::string::npos);
  CHECK(Refusal("redis://").find("no host") != std::string::npos);
  CHECK(Refusal("redis://:6379").find("no host") != std::string::npos);
  CHECK(Refusal("redis://h:0").find("port") != std::string::npos);
  CHECK(Refusal("redis://h:65536").find("port") != std::string::npos);
  CHECK(Refusal("redis://h:").find("port") != std::string::npos);
  CHECK(Refusal("redis://h:+1").find("port") != std::string::npos);
  CHECK(Refusal("redis://h:63 79").find("port") != std::string::npos);
  CHECK(Refusal("redis://user:secret@h:6379").find("credentials") != std::string::npos);
  CHECK(Refusal("redis://h:6379?db=1").find("query") != std::string::npos);
  CHECK(Refusal("redis://h:6379#x").find("fragment") != std::string::npos);
  CHECK(Refusal("redis://h/abc").find("database") != std::string::npos);
  CHECK(Refusal("redis://h/1/2").find("database") != std::string::npos);
  CHECK(Refusal("redis://h/-1").find("database") != std::string::npos);
  CHECK(Refusal("redis://h/99999999").find("database") != std::string::npos);
  CHECK(Refusal("redis://999.1.1.1").find("IPv4") != std::string::npos);
  CHECK(Refusal("redis://::1").find("host") != std::string::npos);
  CHECK(Refusal("redis://[::1").find("]") != std::string::npos);
  CHECK(Refusal("redis://[nope]").find("IPv6") != std::string::npos);
  CHECK(Refusal("redis://[::1]x").find("after the host") != std::string::npos);
  CHECK(Refusal("redis://bad_host").find("host name") != std::string::npos);
  CHECK(Refusal("redis://-bad.example").find("host name") != std::string::npos);
  CHECK(Refusal("redis://a..b").find("host name") != std::string::npos);
  CHECK(Refusal("redis://" + std::string(254, 'a')).find("253") != std::string::npos);
  CHECK(Refusal("redis://h/" + std::string(2000, '0')).find("1024") != std::string::npos);
  CHECK(Refusal(std::string("redis://h\0x", 10)).find("host") != std::string::npos);
}

}  // namespace
}  // namespace agor
