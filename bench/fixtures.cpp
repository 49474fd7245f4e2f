#include "bench/fixtures.h"

#include "bench/http_client.h"

namespace agor::bench {
namespace {

constexpr int64_t kCallTimeoutNs = 10 * kNsPerSec;

// The record's id field, e.g. "board_id"; error when missing.
Status IdOf(const Json& record, const char* field, std::string* id) {
  if (!record.is_object() || !record.contains(field) || !record[field].is_string()) {
    return Status::GeneralError(std::string("answer without ") + field + ": " + record.dump());
  }
  *id = record[field].get<std::string>();
  return Status::OK();
}

}  // namespace

Status CallText(EventLoop* loop, uint16_t port, const std::string& token, std::string_view method,
                std::string_view path, const Json* body, std::string* answer) {
  HttpClient client(loop, port, token);
  int status = -1;
  bool sent = client.Request(method, path, body ? body->dump() : std::string(),
                             [&](int code, std::string_view text) {
                               status = code;
                               answer->assign(text);
                             });
  if (!sent) return Status::GeneralError("cannot connect: " + client.last_error());
  if (!loop->RunUntil([&] { return status >= 0; }, NowNs() + kCallTimeoutNs)) {
    return Status(Code::kTimeout, std::string(method) + " " + std::string(path) + " timed out");
  }
  std::string what = std::string(method) + " " + std::string(path) + ": ";
  if (status == 0) return Status::GeneralError(what + *answer);
  if (status >= 400) return Status::GeneralError(what + std::to_string(status) + " " + *answer);
  return Status::OK();
}

Status CallJson(EventLoop* loop, uint16_t port, const std::string& token, std::string_view method,
                std::string_view path, const Json* body, Json* result) {
  std::string answer;
  Status s = CallText(loop, port, token, method, path, body, &answer);
  if (!s.ok()) return s;
  *result = Json::parse(answer, nullptr, false);
  if (result->is_discarded()) {
    return Status::GeneralError(std::string(method) + " " + std::string(path) +
                                ": answer is not JSON");
  }
  return Status::OK();
}

Status CreateSession(EventLoop* loop, uint16_t port, const std::string& token,
                     const std::string& board_id, std::string* session_id) {
  Json session{{"board_id", board_id}, {"title", "bench session"}}, answer;
  Status s = CallJson(loop, port, token, "POST", "/sessions", &session, &answer);
  return s.ok() ? IdOf(answer, "session_id", session_id) : s;
}

Status CreateBoardSessions(EventLoop* loop, uint16_t port, const std::string& token, int count,
                           std::vector<BoardSession>* out) {
  for (int i = 0; i < count; ++i) {
    BoardSession bs;
    Json board{{"name", "bench board " + std::to_string(i)}}, answer;
    Status s = CallJson(loop, port, token, "POST", "/boards", &board, &answer);
    if (s.ok()) s = IdOf(answer, "board_id", &bs.board_id);
    if (s.ok()) s = CreateSession(loop, port, token, bs.board_id, &bs.session_id);
    if (!s.ok()) return s;
    out->push_back(std::move(bs));
  }
  return Status::OK();
}

Status CountMessages(EventLoop* loop, uint16_t port, const std::string& token, int64_t* total) {
  Json answer;
  Status s = CallJson(loop, port, token, "GET", "/messages?$limit=0", nullptr, &answer);
  if (!s.ok()) return s;
  if (!answer.contains("total") || !answer["total"].is_number_integer()) {
    return Status::GeneralError("GET /messages?$limit=0 has no total: " + answer.dump());
  }
  *total = answer["total"].get<int64_t>();
  return Status::OK();
}

}  // namespace agor::bench
