#include "server/net/redis_reply.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <utility>

namespace agor {

namespace {

struct Budget {
  size_t left;
  // Takes `bytes` from the budget; false once it is spent.
  bool Take(size_t bytes) {
    if (bytes > left) return false;
    left -= bytes;
    return true;
  }
};

Status Copy(const redisReply* r, int depth, Budget* budget, RedisReply* out);

Status CopyArray(const redisReply* r, int depth, Budget* budget, RedisReply* out) {
  out->type = RedisReply::Type::kArray;
  out->elements.reserve(std::min<size_t>(r->elements, budget->left / kRedisReplyOverhead));
  for (size_t i = 0; i < r->elements; ++i) {
    out->elements.emplace_back();
    Status status = Copy(r->element[i], depth + 1, budget, &out->elements.back());
    if (!status.ok()) return status;
  }
  return Status::OK();
}

Status Copy(const redisReply* r, int depth, Budget* budget, RedisReply* out) {
  if (depth > kMaxRedisReplyDepth) {
    return Status::GeneralError("Redis reply nested deeper than " +
                                std::to_string(kMaxRedisReplyDepth) + " levels");
  }
  size_t text = (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                       r->type == REDIS_REPLY_ERROR))
                    ? r->len
                    : 0;
  if (!budget->Take(kRedisReplyOverhead) || !budget->Take(text)) {
    return Status::GeneralError("Redis reply larger than the limit");
  }
  if (!r || r->type == REDIS_REPLY_NIL) return Status::OK();
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      *out = RedisReply::Integer(r->integer);
      return Status::OK();
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      *out = RedisReply::String(std::string(r->str, r->len));
      break;
    case REDIS_REPLY_ERROR:
      *out = RedisReply::Error(std::string(r->str, r->len));
      break;
    case REDIS_REPLY_ARRAY:
      return CopyArray(r, depth, budget, out);
    default:
      return Status::GeneralError("Redis reply of unknown type " + std::to_string(r->type));
  }
  return Status::OK();
}

}  // namespace

RedisReply RedisReply::Integer(int64_t value) {
  RedisReply r;
  r.type = Type::kInteger;
  r.integer = value;
  return r;
}

RedisReply RedisReply::String(std::string value) {
  RedisReply r;
  r.type = Type::kString;
  r.str = std::move(value);
  return r;
}

RedisReply RedisReply::Error(std::string message) {
  RedisReply r;
  r.type = Type::kError;
  r.str = std::move(message);
  return r;
}

RedisReply RedisReply::Array(std::vector<RedisReply> values) {
  RedisReply r;
  r.type = Type::kArray;
  r.elements = std::move(values);
  return r;
}

Status TranslateRedisReply(const redisReply* reply, RedisReply* out, size_t max_bytes) {
  Budget budget{max_bytes};
  RedisReply copy;
  Status status = Copy(reply, 1, &budget, &copy);
  if (status.ok()) *out = std::move(copy);
  return status;
}

}  // namespace agor
