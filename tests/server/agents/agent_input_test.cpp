// Tests of server/agents/agent_protocol against hostile agent output and hostile stored values:
// lines nested 100,000 deep, numbers out of range, invalid UTF-8 and NUL bytes (every error
// message valid UTF-8, the parser still usable), and sdk_session_ids that look like flags.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/utf8.h"
#include "server/agents/agent_protocol.h"

namespace agor {
namespace {

using Argv = std::vector<std::string>;

const char* const kJsonTools[] = {"claude-code", "codex", "gemini"};

std::string Deep(size_t depth, const std::string& open = "[", const std::string& close = "]") {
  std::string text;
  for (size_t i = 0; i < depth; ++i) text += open;
  for (size_t i = 0; i < depth; ++i) text += close;
  return text;
}

// Nesting of objects, as an agent would print it: {"a":{"a":…{}…}}.
std::string DeepObject(size_t depth) {
  std::string text;
  for (size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  for (size_t i = 0; i < depth; ++i) text += "}";
  return text;
}

TEST_CASE("agent input: a line nested 100,000 deep is refused unparsed") {
  for (const char* tool : kJsonTools) {
    INFO(tool);
    auto parser = MakeAgentParser(tool);
    std::vector<AgentEvent> events;
    for (const std::string& line : {Deep(100000), DeepObject(100000), Deep(65)}) {
      Status s = parser->ParseLine(line, &events);
      CHECK(s.code() == Code::kBadRequest);
      CHECK(s.message() == std::string(tool) + ": output line nested deeper than 64 levels");
    }
    // Brackets inside strings do not count; 64 levels still parse.
    std::string quoted = "{\"type\":\"x\",\"s\":\"" + std::string(1000, '[') + "\\\"[\"}";
    CHECK(parser->ParseLine(quoted, &events).ok());
    CHECK(parser->ParseLine("{\"type\":\"x\",\"d\":" + Deep(63) + "}", &events).ok());
    CHECK(events.empty());
  }
}

TEST_CASE("agent input: numbers out of range and trailing garbage are unparseable lines") {
  for (const char* tool : kJsonTools) {
    INFO(tool);
    auto parser = MakeAgentParser(tool);
    std::vector<AgentEvent> events;
    for (const char* line : {R"({"type":"result","n":1e400})", R"({"type":"x"} trailing)", "[1,2",
                             "\"just a string\"", "123"}) {
      INFO(line);
      Status s = parser->ParseLine(line, &events);
      CHECK(s.code() == Code::kBadRequest);
      CHECK(s.message().rfind(std::string(tool) + ": unparseable output line: ", 0) == 0);
    }
    CHECK(events.empty());
  }
}

TEST_CASE("agent input: invalid UTF-8 and NUL bytes give valid UTF-8 errors and messages") {
  const std::string bad[] = {std::string("{\"type\":\"\xff\"}"),
                             std::string("{\"type\":\"a\0b\"}", 15),
                             std::string("\xc3\x28 not json \xe2\x82"), std::string(300, '\xff'),
                             std::string("{\"text\":\"\xed\xa0\x80\"}")};
  for (const char* tool : kJsonTools) {
    INFO(tool);
    auto parser = MakeAgentParser(tool);
    std::vector<AgentEvent> events;
    for (const std::string& line : bad) {
      Status s = parser->ParseLine(line, &events);
      CHECK(s.code() == Code::kBadRequest);
      CHECK(IsValidUtf8(s.message()));
      CHECK(s.message().size() < 700);  // the line is quoted cut, however long
    }
    CHECK(parser->ParseLine(R"({"type":"unknown-but-fine"})", &events).ok());  // still usable
  }
  auto command = MakeAgentParser("command");
  std::vector<AgentEvent> events;
  for (const std::string& line : bad) REQUIRE(command->ParseLine(line, &events).ok());
  REQUIRE(events.size() == 5);
  for (const auto& ev : events) CHECK(IsValidUtf8(ev.content.get<std::string>()));
  CHECK(events[0].content == "{\"type\":\"\xEF\xBF\xBD\"}");
  // NUL is valid UTF-8, but no store text may hold one (PostgreSQL cannot): U+FFFD, as the
  // other unstorable bytes (this line has two: its own and the literal's end).
  CHECK(events[1].content ==
        "{\"type\":\"a\xEF\xBF\xBD"
        "b\"}\xEF\xBF\xBD");
}

TEST_CASE("sdk_session_id: only ids that cannot be read as flags are resumed") {
  for (const char* ok :
       {"8f3b2c1e-5d4a-4e7b-9c2f-1a6d0e9b7c35", "0199a213-81c0", "c25acda3", "session_1", "A"}) {
    INFO(ok);
    CHECK(IsSafeSdkSessionId(ok));
  }
  for (const std::string& bad :
       {std::string("--dangerously-skip-permissions"), std::string("-x"), std::string(""),
        std::string("a b"), std::string("a=b"), std::string("../x"), std::string("id\n--x"),
        std::string("caf\xc3\xa9"), std::string(129, 'a'), std::string("a\0b", 3)}) {
    INFO(bad);
    CHECK_FALSE(IsSafeSdkSessionId(bad));
  }
  CHECK(IsSafeSdkSessionId(std::string(128, 'a')));
}

TEST_CASE("argv: an unsafe sdk_session_id builds no argv, command ignores it") {
  for (const char* tool : kJsonTools) {
    INFO(tool);
    CHECK(BuildAgentArgv(tool, "agent", "--dangerously-skip-permissions", nullptr).empty());
    CHECK(BuildAgentArgv(tool, "agent", "-", nullptr).empty());
  }
  CHECK(BuildAgentArgv("command", "", "--x", Json::array({"/bin/echo"})) == Argv{"/bin/echo"});
  CHECK(UnsafeSdkSessionIdMessage("codex", "-x\xff") ==
        "codex: the session's sdk_session_id '-x\xEF\xBF\xBD' is not a valid resume id (1 to 128 "
        "letters, digits, '-' or '_', not starting with '-'); set it to null to start a new "
        "agent session");
}

}  // namespace
}  // namespace agor
