#include "base/status.h"

#include "base/json.h"
#include "base/utf8.h"

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

Status::Status(Code code, std::string message, Json data)
    : code_(code), message_(std::move(message)), data_(std::move(data)) {
  if (!IsValidUtf8(message_)) message_ = ToValidUtf8(message_);
}

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

std::string Status::ToJsonText() const {
  return DumpJson(ToJson());
}

// Reads whatever a server answered: a field of the wrong type must not throw (value() would).
Status Status::FromJson(const Json& error) {
  if (!error.is_object()) return GeneralError(DumpJson(error));
  auto message = error.find("message");
  std::string text = message != error.end() && message->is_string() ? message->get<std::string>()
                                                                    : "unknown error";
  auto code = error.find("code");
  int number = code != error.end() && code->is_number_integer() ? code->get<int>() : 500;
  Json data = error.contains("data") ? error["data"] : Json(nullptr);
  for (const auto& entry : kNames) {
    if (static_cast<int>(entry.code) == number && entry.code != Code::kOk) {
      return Status(entry.code, text, data);
    }
  }
  return Status(Code::kGeneralError, text, data);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(name()) + ": " + message_;
}

}  // namespace agor
