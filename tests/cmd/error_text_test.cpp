#include "cmd/error_text.h"

#include <CLI/CLI.hpp>
#include <catch2/catch.hpp>

#include "base/status.h"

namespace agor {
namespace {

// Parses `args` (after the program name) with a small real CLI11 app and returns agor's words
// for the error CLI11 throws, or "" when parsing succeeded.
std::string ErrorFor(std::vector<std::string> args) {
  CLI::App app{"test", "agor board"};
  std::string url;
  std::string visibility;
  std::string name;
  int64_t limit = 0;
  bool json = false;
  std::vector<std::string> commands;
  app.add_option("--url", url);
  app.add_option("--visibility", visibility)->check(CLI::IsMember({"public", "private"}));
  app.add_option("--limit", limit);
  app.add_flag("--json", json);
  app.add_option("--command", commands)->allow_extra_args(false);
  app.add_option("name", name)->required();
  std::vector<std::string> argv = {"agor board"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  try {
    app.parse(static_cast<int>(raw.size()), raw.data());
  } catch (const CLI::ParseError& error) {
    return TranslateParseError(error, app.remaining(true));
  }
  return "";
}

}  // namespace

TEST_CASE("LowerFirst lowers a leading capital word, not an acronym", "[cmd][error_text]") {
  CHECK(LowerFirst("No record found for id 'x'") == "no record found for id 'x'");
  CHECK(LowerFirst("URL is bad") == "URL is bad");
  CHECK(LowerFirst("already lower") == "already lower");
  CHECK(LowerFirst("") == "");
  CHECK(LowerFirst("A") == "A");
  CHECK(LowerFirst("--board: No record") == "--board: No record");
}

TEST_CASE("CLI11's parse errors read in agor's words", "[cmd][error_text]") {
  CHECK(ErrorFor({"x", "y"}) == "unexpected argument 'y'");
  CHECK(ErrorFor({"x", "y", "z"}) == "unexpected argument 'y' (and 1 more)");
  CHECK(ErrorFor({"x", "--bogus"}) == "unexpected argument '--bogus'");
  CHECK(ErrorFor({}) == "name is required");
  CHECK(ErrorFor({"x", "--url"}) == "--url needs a value");
  CHECK(ErrorFor({"x", "--command"}) == "--command needs a value");
  CHECK(ErrorFor({"x", "--visibility", "secret"}) ==
        "--visibility: 'secret' is not one of public, private");
  CHECK(ErrorFor({"x", "--limit", "ten"}) == "--limit: cannot read 'ten'");
  CHECK(ErrorFor({"x", "--json=maybe"}) == "--json: cannot read 'maybe'");
  CHECK(ErrorFor({"x", "--limit", "3"}).empty());
}

TEST_CASE("TranslateParseError rewrites each CLI11 message shape", "[cmd][error_text]") {
  auto code = [](CLI::ExitCodes c) { return static_cast<int>(c); };
  CHECK(TranslateParseError(code(CLI::ExitCodes::ExtrasError),
                            "The following argument was not expected: x") ==
        "unexpected argument 'x'");
  CHECK(TranslateParseError(code(CLI::ExitCodes::ExtrasError),
                            "The following arguments were not expected: b a",
                            {"a", "b"}) == "unexpected argument 'a' (and 1 more)");
  CHECK(TranslateParseError(code(CLI::ExitCodes::RequiredError), "A subcommand is required") ==
        "a subcommand is required");
  CHECK(TranslateParseError(code(CLI::ExitCodes::RequiredError), "--board is required") ==
        "--board is required");
  CHECK(TranslateParseError(code(CLI::ExitCodes::ArgumentMismatch),
                            "Expected exactly 1 arguments to --url, got 0") ==
        "--url needs a value");
  CHECK(TranslateParseError(code(CLI::ExitCodes::ArgumentMismatch),
                            "Expected exactly 2 arguments to --pos, got 3") ==
        "--pos: expected exactly 2 values, got 3");
  CHECK(TranslateParseError(code(CLI::ExitCodes::ConversionError),
                            "The value x is not an allowed value for --n") ==
        "--n: 'x' is not allowed");
  CHECK(TranslateParseError(code(CLI::ExitCodes::ConversionError),
                            "--json: too many inputs for a flag") == "--json takes no value");
  CHECK(TranslateParseError(code(CLI::ExitCodes::ValidationError),
                            "--limit: must be a non-negative integer, not '-1'") ==
        "--limit: must be a non-negative integer, not '-1'");
  CHECK(TranslateParseError(code(CLI::ExitCodes::ValidationError), "--x: Value 5 not in range") ==
        "--x: value 5 not in range");
  CHECK(TranslateParseError(code(CLI::ExitCodes::HorribleError), "Something odd") ==
        "something odd");
}

}  // namespace agor

namespace agor {

TEST_CASE("WithoutLibraryText puts nlohmann's exception text in agor's words",
          "[cmd][error_text]") {
  CHECK(WithoutLibraryText("socket loop: [json.exception.type_error.316] invalid UTF-8 byte at "
                           "index 0: 0xFF") == "text that is not valid UTF-8 cannot be sent");
  CHECK(WithoutLibraryText("[json.exception.parse_error.101] parse error at line 1") ==
        "the server sent invalid JSON");
  CHECK(WithoutLibraryText("[json.exception.type_error.302] type must be string") ==
        "the server sent JSON agor cannot use");
  CHECK(WithoutLibraryText("[json.exception.") == "the server sent JSON agor cannot use");
  CHECK(WithoutLibraryText("no record found for id 'x'") == "no record found for id 'x'");
  std::string real;
  try {
    real = Json::parse("{nope").dump();  // throws
  } catch (const Json::exception& e) {
    real = e.what();
  }
  CHECK(WithoutLibraryText(real) == "the server sent invalid JSON");
}

}  // namespace agor
