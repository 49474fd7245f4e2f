#include "cmd/error_text.h"

#include <CLI/CLI.hpp>
#include <cctype>

namespace agor {
namespace {

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The text between `open` and `close` after position `from`, or "" when either is missing.
std::string Between(const std::string& text, const std::string& open, const std::string& close,
                    size_t from = 0) {
  size_t begin = text.find(open, from);
  if (begin == std::string::npos) return "";
  begin += open.size();
  size_t end = close.empty() ? text.size() : text.find(close, begin);
  return end == std::string::npos ? "" : text.substr(begin, end - begin);
}

// "--name: Detail" -> "--name: detail"; without a name, the first letter lowered.
std::string LowerDetail(const std::string& message) {
  size_t colon = message.find(": ");
  if (colon == std::string::npos) return LowerFirst(message);
  return message.substr(0, colon + 2) + LowerFirst(message.substr(colon + 2));
}

// "a,b,c" -> "a, b, c".
std::string SpacedList(const std::string& list) {
  std::string out;
  for (char c : list) out += c == ',' ? std::string(", ") : std::string(1, c);
  return out;
}

std::string Extras(const std::string& message, const std::vector<std::string>& extras) {
  if (extras.empty()) return "unexpected argument '" + Between(message, ": ", "") + "'";
  std::string line = "unexpected argument '" + extras[0] + "'";
  if (extras.size() > 1) line += " (and " + std::to_string(extras.size() - 1) + " more)";
  return line;
}

// "Expected exactly 1 arguments to --url, got 0" / "--command: 1 required TEXT missing".
std::string Mismatch(const std::string& message) {
  std::string name = Between(message, " arguments to ", ", got ");
  if (!name.empty()) {
    std::string got = Between(message, ", got ", "");
    if (got == "0") return name + " needs a value";
    return name + ": expected " + Between(message, "Expected ", " arguments") + " values, got " +
           got;
  }
  size_t colon = message.find(':');
  if (EndsWith(message, " missing") && colon != std::string::npos) {
    return message.substr(0, colon) + " needs a value";
  }
  return LowerFirst(message);
}

std::string Conversion(const std::string& message) {
  if (StartsWith(message, "The value ")) {
    std::string value = Between(message, "The value ", " is not an allowed value for ");
    std::string name = Between(message, " is not an allowed value for ", "");
    return name + ": '" + value + "' is not allowed";
  }
  if (StartsWith(message, "Could not convert: ")) {
    std::string rest = message.substr(19);
    size_t eq = rest.find(" = ");
    if (eq != std::string::npos)
      return rest.substr(0, eq) + ": cannot read '" + rest.substr(eq + 3) + "'";
  }
  size_t flag = message.find(": too many inputs for a flag");
  if (flag != std::string::npos) return message.substr(0, flag) + " takes no value";
  return LowerDetail(message);
}

// "--visibility: secret not in {public,private}" -> "--visibility: 'secret' is not one of ...".
std::string Validation(const std::string& message) {
  size_t colon = message.find(": ");
  size_t not_in = message.rfind(" not in {");
  if (colon != std::string::npos && not_in != std::string::npos && not_in > colon &&
      message.back() == '}') {
    std::string value = message.substr(colon + 2, not_in - colon - 2);
    std::string set = message.substr(not_in + 9, message.size() - not_in - 10);
    return message.substr(0, colon) + ": '" + value + "' is not one of " + SpacedList(set);
  }
  return LowerDetail(message);
}

std::string Required(const std::string& message) {
  if (message == "A subcommand is required" ||
      StartsWith(message, "Requires at least 1 subcommand")) {
    return "a subcommand is required";
  }
  return LowerFirst(message);
}

}  // namespace

std::string LowerFirst(std::string text) {
  bool word = text.size() >= 2 && isupper(static_cast<unsigned char>(text[0])) &&
              !isupper(static_cast<unsigned char>(text[1]));
  if (word) text[0] = static_cast<char>(tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string WithoutLibraryText(const std::string& message) {
  const std::string library = "[json.exception.";
  size_t at = message.find(library);
  if (at == std::string::npos) return message;
  std::string kind = message.substr(at + library.size(), message.find(']', at) - at);
  if (StartsWith(kind, "type_error.316")) return "text that is not valid UTF-8 cannot be sent";
  if (StartsWith(kind, "parse_error.")) return "the server sent invalid JSON";
  return "the server sent JSON agor cannot use";
}

std::string TranslateParseError(int cli11_exit_code, const std::string& message,
                                const std::vector<std::string>& extras) {
  switch (static_cast<CLI::ExitCodes>(cli11_exit_code)) {
    case CLI::ExitCodes::ExtrasError:
      return Extras(message, extras);
    case CLI::ExitCodes::ArgumentMismatch:
      return Mismatch(message);
    case CLI::ExitCodes::ConversionError:
      return Conversion(message);
    case CLI::ExitCodes::ValidationError:
      return Validation(message);
    case CLI::ExitCodes::RequiredError:
      return Required(message);
    default:
      return LowerFirst(message);
  }
}

std::string TranslateParseError(const CLI::ParseError& error,
                                const std::vector<std::string>& extras) {
  return TranslateParseError(error.get_exit_code(), error.what(), extras);
}

}  // namespace agor
