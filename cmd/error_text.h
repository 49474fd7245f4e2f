// ErrorText: the words of the CLI's one error style, `agor: <message>` in lower case, for the
// messages the CLI did not write itself: CLI11's parse errors and the server's Feathers
// messages.
//
// Contract:
// - TranslateParseError rewrites CLI11's English ("The following argument was not expected: x",
//   "Expected exactly 1 arguments to --url, got 0", "--visibility: x not in {a,b}") into agor's
//   ("unexpected argument 'x'", "--url needs a value", "--visibility: 'x' is not one of a, b").
//   A message it does not know keeps its words with its first letter lowered.
// - WithoutLibraryText replaces a message that quotes nlohmann's exception text.
// - LowerFirst lowers a leading capital that starts a word ("No record found" -> "no record
//   found"), never an acronym ("URL ...") or anything past the first letter.
// - Pure functions (no I/O), tested directly.
//
// Threading: none (pure).
#pragma once

#include <string>
#include <vector>

namespace CLI {
class ParseError;
}

namespace agor {

// "No record found" -> "no record found"; "URL x" and "" stay as they are.
std::string LowerFirst(std::string text);

// `message` unless it carries nlohmann's text ("[json.exception.type_error.316] invalid UTF-8
// byte ..."), which is for programmers: then what went wrong in agor's words (text that is not
// UTF-8 cannot be sent; the server sent invalid JSON; JSON agor cannot use).
std::string WithoutLibraryText(const std::string& message);

// CLI11's message for a ParseError of exit code `cli11_exit_code` (CLI::ExitCodes) in agor's
// words. `extras` are the unexpected arguments in the order typed (CLI11's own message lists
// them backwards); may be empty.
std::string TranslateParseError(int cli11_exit_code, const std::string& message,
                                const std::vector<std::string>& extras = {});

// The same for a caught error; `extras` as above.
std::string TranslateParseError(const CLI::ParseError& error,
                                const std::vector<std::string>& extras = {});

}  // namespace agor
