#include "cmd/password_input.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/utf8.h"

namespace agor {
namespace {

constexpr size_t kMaxSecretBytes = 4096;

Status NoTerminal() {
  return Status::BadRequest("no terminal to ask the password on: use --password-stdin");
}

// Reads fd 0 up to a newline (not kept) or end of input, at most kMaxSecretBytes.
Status ReadLine(std::string* out, bool whole_input) {
  char c = 0;
  while (out->size() <= kMaxSecretBytes) {
    ssize_t n = read(0, &c, 1);
    if (n < 0 && errno == EINTR) return Status(Code::kBadRequest, "interrupted");
    if (n < 0) return Status::GeneralError(std::string("cannot read stdin: ") + strerror(errno));
    if (n == 0) return Status::OK();
    if (c == '\n' && !whole_input) return Status::OK();
    out->push_back(c);
  }
  return Status::BadRequest("the password is longer than 4 KiB");
}

// One line from the terminal with echo off; echo comes back whatever happens.
Status ReadHidden(const std::string& prompt, std::string* out) {
  struct termios saved;
  if (tcgetattr(0, &saved) != 0) return NoTerminal();
  struct termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  fprintf(stderr, "%s", prompt.c_str());
  fflush(stderr);
  tcsetattr(0, TCSAFLUSH, &quiet);
  Status status = ReadLine(out, false);
  tcsetattr(0, TCSAFLUSH, &saved);
  return status;
}

}  // namespace

void ClearSecret(std::string* secret) {
  volatile char* bytes = secret->data();
  for (size_t i = 0; i < secret->size(); ++i) bytes[i] = 0;
  secret->clear();
}

Status CleanSecret(std::string text, std::string* out) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  Status status;
  if (text.empty()) status = Status::BadRequest("the password is empty");
  if (text.size() > kMaxSecretBytes) status = Status::BadRequest("the password is too long");
  if (status.ok() && !IsValidUtf8(text)) status = Status::BadRequest("the password is not UTF-8");
  if (status.ok()) out->swap(text);
  ClearSecret(&text);
  return status;
}

Status ReadPassword(bool from_stdin, const std::string& prompt, bool confirm, std::string* out) {
  std::string text;
  Status status;
  if (from_stdin) {
    status = ReadLine(&text, true);
  } else if (!isatty(0)) {
    return NoTerminal();
  } else {
    status = ReadHidden(prompt, &text);
    std::string again;
    if (status.ok() && confirm) status = ReadHidden("again: ", &again);
    if (status.ok() && confirm && again != text) {
      status = Status::BadRequest("the passwords differ");
    }
    ClearSecret(&again);
  }
  if (status.ok()) status = CleanSecret(text, out);
  ClearSecret(&text);
  return status;
}

Status AskLine(const std::string& prompt, std::string* out) {
  if (!isatty(0)) return Status::BadRequest("no terminal to ask on: give --email");
  fprintf(stderr, "%s", prompt.c_str());
  fflush(stderr);
  out->clear();
  Status status = ReadLine(out, false);
  if (!out->empty() && out->back() == '\r') out->pop_back();
  if (status.ok() && out->empty()) status = Status::BadRequest("nothing typed");
  if (status.ok() && !IsValidUtf8(*out)) status = Status::BadRequest("not valid UTF-8");
  return status;
}

}  // namespace agor
