#include "server/wire/feathers_call.h"

#include <charconv>

#include "server/wire/socketio.h"

namespace agor {
namespace {

struct MethodShape {
  FeathersMethod method;
  const char* name;
  bool has_id;
  bool has_data;
};

constexpr MethodShape kMethods[] = {
    {FeathersMethod::kFind, "find", false, false},
    {FeathersMethod::kGet, "get", true, false},
    {FeathersMethod::kCreate, "create", false, true},
    {FeathersMethod::kUpdate, "update", true, true},
    {FeathersMethod::kPatch, "patch", true, true},
    {FeathersMethod::kRemove, "remove", true, false},
};

const MethodShape* FindMethod(const std::string& name) {
  for (const MethodShape& shape : kMethods) {
    if (name == shape.name) return &shape;
  }
  return nullptr;
}

// Feathers' stripSlashes: `/boards/` -> `boards`.
std::string StripSlashes(const std::string& path) {
  const size_t begin = path.find_first_not_of('/');
  if (begin == std::string::npos) return std::string();
  const size_t end = path.find_last_not_of('/');
  return path.substr(begin, end - begin + 1);
}

// Moves element i out of args, or null when the client left it out.
Json Take(Json* args, size_t i) {
  return i < args->size() ? std::move((*args)[i]) : Json();
}

// Fills id, data and query from the arguments after the path.
Status TakeArguments(const MethodShape& shape, Json* args, FeathersCall* out) {
  const size_t query_at = 2 + (shape.has_id ? 1 : 0) + (shape.has_data ? 1 : 0);
  if (args->size() > query_at + 1) {
    return Status::BadRequest(std::string("Too many arguments for '") + shape.name + "' method");
  }
  size_t at = 2;
  if (shape.has_id) {
    out->id = Take(args, at++);
    if (!(out->id.is_string() || out->id.is_number() || out->id.is_null())) {
      return Status::BadRequest("Invalid id");
    }
  }
  if (shape.has_data) out->data = Take(args, at++);
  Json query = Take(args, query_at);
  if (query.is_null()) {
    out->query = Json::object();
  } else if (query.is_object()) {
    out->query = std::move(query);
  } else {
    return Status::BadRequest("Query must be an object");
  }
  return Status::OK();
}

void AppendAckPrefix(std::string* out, std::int64_t ack_id) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), ack_id);
  out->append("43");
  out->append(digits, result.ptr);
}

}  // namespace

const char* FeathersMethodName(FeathersMethod method) {
  for (const MethodShape& shape : kMethods) {
    if (shape.method == method) return shape.name;
  }
  return "unknown";
}

Status DecodeFeathersCall(Json event, FeathersCall* out) {
  *out = FeathersCall();
  if (!event.is_array() || event.empty() || !event[0].is_string()) {
    return Status::BadRequest("Feathers call must be an array starting with the method name");
  }
  out->method_name = event[0].get_ref<const std::string&>();
  const bool has_path = event.size() > 1 && event[1].is_string();
  if (has_path) out->path = StripSlashes(event[1].get_ref<const std::string&>());
  const MethodShape* shape = FindMethod(out->method_name);
  if (shape == nullptr) {
    std::string message = "Method '" + out->method_name + "' not allowed";
    if (has_path) message += " on service '" + out->path + "'";
    return Status::MethodNotAllowed(std::move(message));
  }
  out->method = shape->method;
  if (!has_path) return Status::BadRequest("Service path must be a string");
  return TakeArguments(*shape, &event, out);
}

std::string EncodeResultAck(std::int64_t ack_id, const Json& result) {
  std::string out;
  out.reserve(512);
  AppendAckPrefix(&out, ack_id);
  out.append("[null,");
  AppendJson(&out, result);
  out.push_back(']');
  return out;
}

std::string EncodeErrorAck(std::int64_t ack_id, const Status& error) {
  std::string out;
  out.reserve(160 + error.message().size());
  AppendAckPrefix(&out, ack_id);
  out.push_back('[');
  AppendJson(&out, error.ToJson());
  out.push_back(']');
  return out;
}

}  // namespace agor
