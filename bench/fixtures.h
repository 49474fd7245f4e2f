// Blocking REST calls for a scenario's setup (boards, sessions, counts), run on the benchmark's
// loop with a time bound. Not for measured traffic (see Producer). `token` is presented as
// `Authorization: Bearer` ("" for none: the peer).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "bench/event_loop.h"

namespace agor::bench {

// One board and one session on it: messages posted to the session belong to the board.
struct BoardSession {
  std::string board_id;
  std::string session_id;
};

// `method path` with an optional JSON body; *result gets the parsed answer. Error for a
// transport failure, a timeout (10 s) or a status >= 400 (the answer's message included).
Status CallJson(EventLoop* loop, uint16_t port, const std::string& token, std::string_view method,
                std::string_view path, const Json* body, Json* result);

// As CallJson, for an answer that is not JSON (e.g. GET /metrics): *answer gets its body.
Status CallText(EventLoop* loop, uint16_t port, const std::string& token, std::string_view method,
                std::string_view path, const Json* body, std::string* answer);

// Creates count boards with one session each (POST /boards, POST /sessions {board_id}).
Status CreateBoardSessions(EventLoop* loop, uint16_t port, const std::string& token, int count,
                           std::vector<BoardSession>* out);

// One more session on a board (POST /sessions {board_id}).
Status CreateSession(EventLoop* loop, uint16_t port, const std::string& token,
                     const std::string& board_id, std::string* session_id);

// `total` of GET /messages?$limit=0: the rows in the database.
Status CountMessages(EventLoop* loop, uint16_t port, const std::string& token, int64_t* total);

}  // namespace agor::bench
