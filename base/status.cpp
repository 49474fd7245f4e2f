#include "base/status.h"

namespace agor {
namespace {

struct CodeName {
  Code code;
  const char* name;
  const char* class_name;
};

// Names and classNames as @feathersjs/errors spells them. PayloadTooLarge has no Feathers
// class; it follows the same pattern.
constexpr CodeName kNames[] = {
    {Code::kOk, "OK", "ok"},
    {Code::kBadRequest, "BadRequest", "bad-request"},
    {Code::kNotAuthenticated, "NotAuthenticated", "not-authenticated"},
    {Code::kForbidden, "Forbidden", "forbidden"},
    {Code::kNotFound, "NotFound", "not-found"},
    {Code::kMethodNotAllowed, "MethodNotAllowed", "method-not-allowed"},
    {Code::kTimeout, "Timeout", "timeout"},
    {Code::kConflict, "Conflict", "conflict"},
    {Code::kPayloadTooLarge, "PayloadTooLarge", "payload-too-large"},
    {Code::kUnprocessable, "Unprocessable", "unprocessable"},
    {Code::kTooManyRequests, "TooManyRequests", "too-many-requests"},
    {Code::kGeneralError, "GeneralError", "general-error"},
    {Code::kUnavailable, "Unavailable", "unavailable"},
};

const CodeName& Lookup(Code code) {
  for (const auto& entry : kNames) {
    if (entry.code == code) return entry;
  }
  return kNames[11];  // GeneralError
}

}  // namespace

const char* Status::name() const {
  return Lookup(code_).name;
}
const char* Status::class_name() const {
  return Lookup(code_).class_name;
}

Json Status::ToJson() const {
  Json out = Json::object();
  out["name"] = name();
  out["message"] = message_;
  out["code"] = http_status();
  out["className"] = class_name();
  if (!data_.is_null()) out["data"] = data_;
  return out;
}

Status Status::FromJson(const Json& error) {
  if (!error.is_object()) return GeneralError(error.dump());
  std::string message = error.value("message", std::string("unknown error"));
  int code = 500;
  if (error.contains("code") && error["code"].is_number_integer()) code = error["code"].get<int>();
  Json data = error.contains("data") ? error["data"] : Json(nullptr);
  for (const auto& entry : kNames) {
    if (static_cast<int>(entry.code) == code && entry.code != Code::kOk) {
      return Status(entry.code, message, data);
    }
  }
  return Status(Code::kGeneralError, message, data);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(name()) + ": " + message_;
}

}  // namespace agor
