// PasswordInput: how `agor login`, `agor user create` and `agor user update` read a password
// (and login an email) without ever showing or logging it.
//
// Contract:
// - --password-stdin: the whole of stdin (at most 4 KiB), one trailing "\n" or "\r\n" removed.
// - Otherwise, on a terminal (stdin is a tty): the prompt goes to stderr, echo is turned off
//   with termios while the line is read and restored afterwards (also when reading fails), and
//   a newline is printed after it. `confirm` asks a second time and refuses a mismatch.
// - Without a terminal and without --password-stdin: BadRequest "no terminal to ask the
//   password on: use --password-stdin" (the commands report it as a usage error, exit 2).
// - The password must be valid UTF-8 and not empty (BadRequest). It lives in a std::string
//   the caller clears after use; nothing here prints or logs it.
//
// Threading: the calling thread; touches fd 0 and 2.
#pragma once

#include <string>

#include "base/status.h"

namespace agor {

// Strips one trailing "\n" / "\r\n" and checks the secret (the stdin rules above); pure.
Status CleanSecret(std::string text, std::string* out);

// Reads a password per the rules above.
Status ReadPassword(bool from_stdin, const std::string& prompt, bool confirm, std::string* out);

// Reads one line (an email) from a terminal with echo, after `prompt` on stderr. BadRequest
// without a terminal.
Status AskLine(const std::string& prompt, std::string* out);

// Overwrites and empties `secret` (a password should not linger in freed memory).
void ClearSecret(std::string* secret);

}  // namespace agor
