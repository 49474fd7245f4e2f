// Status: the one error style of agor. Every module boundary (SQLite, JSON parsing, sockets,
// subprocesses) translates its failures into a Status; the wire layers render it as Feathers
// error JSON `{name, message, code, className, data?, errors?}` and the CLI as one stderr line.
//
// A Status is a small value type: copy it freely. ok() statuses carry nothing.
//
// Messages often echo outside text (an id from a path, a header): the constructor makes the
// message valid UTF-8 (invalid bytes become U+FFFD), so writing it as JSON never throws. `data`
// is kept as given; ToJsonText() writes it with invalid UTF-8 replaced.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace agor {

// ordered_json keeps keys in insertion order: records go out in column order and error JSON
// as Feathers orders it (name, message, code, className), like the stock stack.
using Json = nlohmann::ordered_json;

// The Feathers error classes agor answers with; the value is the HTTP status.
enum class Code {
  kOk = 0,
  kBadRequest = 400,
  kNotAuthenticated = 401,
  kForbidden = 403,
  kNotFound = 404,
  kMethodNotAllowed = 405,
  kTimeout = 408,
  kConflict = 409,
  kPayloadTooLarge = 413,
  kUnprocessable = 422,
  kTooManyRequests = 429,
  kGeneralError = 500,
  kUnavailable = 503,
};

class Status {
 public:
  Status() = default;
  static Status OK() { return Status(); }
  static Status BadRequest(std::string msg, Json data = nullptr) {
    return Status(Code::kBadRequest, std::move(msg), std::move(data));
  }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status MethodNotAllowed(std::string msg) {
    return Status(Code::kMethodNotAllowed, std::move(msg));
  }
  static Status Conflict(std::string msg, Json data = nullptr) {
    return Status(Code::kConflict, std::move(msg), std::move(data));
  }
  static Status Forbidden(std::string msg) { return Status(Code::kForbidden, std::move(msg)); }
  static Status PayloadTooLarge(std::string msg) {
    return Status(Code::kPayloadTooLarge, std::move(msg));
  }
  static Status GeneralError(std::string msg) {
    return Status(Code::kGeneralError, std::move(msg));
  }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }

  Status(Code code, std::string message, Json data = nullptr);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int http_status() const { return ok() ? 200 : static_cast<int>(code_); }
  const std::string& message() const { return message_; }
  const Json& data() const { return data_; }

  // Feathers' error name ("NotFound") and className ("not-found").
  const char* name() const;
  const char* class_name() const;

  // FeathersError.toJSON(): name, message, code, className, then data when set.
  Json ToJson() const;
  // ToJson() as compact text, invalid UTF-8 in data replaced: what an HTTP error body holds.
  std::string ToJsonText() const;
  // Inverse of ToJson, for clients reading a server's answer. Unknown shapes become
  // GeneralError with the text as message.
  static Status FromJson(const Json& error);

  // "NotFound: No record found for id 'x'", for logs and the CLI.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  Json data_;
};

}  // namespace agor
