// RawHttp: a tiny blocking HTTP/1.1 client over one TCP socket, for end-to-end tests of the
// server's own HTTP handling: bytes are sent exactly as given (pipelined, split, malformed) and
// responses are read one at a time by their Content-Length.
#pragma once

#include <map>
#include <string>

namespace agor::test {

class RawHttp {
 public:
  RawHttp() = default;
  ~RawHttp();
  RawHttp(const RawHttp&) = delete;
  RawHttp& operator=(const RawHttp&) = delete;

  // Opens a TCP connection to 127.0.0.1:port; false on a socket error.
  bool Connect(int port);
  bool SendRaw(const std::string& bytes);
  // Reads one response: its status, headers (names lowercased, values trimmed) and body.
  // The body spans Content-Length bytes; a response without it has no body when it is 1xx,
  // 204 or 304, otherwise the body runs to the end of the stream. False on a malformed
  // response, EOF before its end or after `timeout_ms`; leaves later bytes for the next call.
  bool ReadResponse(int* status, std::map<std::string, std::string>* headers, std::string* body,
                    int timeout_ms);
  // Reads until the server closes the connection (EOF or reset); false when it is still open
  // after `timeout_ms`. What arrives meanwhile is kept in buffered().
  bool WaitClosed(int timeout_ms);
  // Bytes received and not yet returned by ReadResponse.
  const std::string& buffered() const { return buffered_; }

 private:
  // Reads more into buffered_ until `deadline_ms`; false on EOF, error or timeout.
  bool Fill(int64_t deadline_ms);

  int fd_ = -1;
  bool eof_ = false;
  std::string buffered_;
};

}  // namespace agor::test
