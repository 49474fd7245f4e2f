// Tests of server/agents/agent_protocol: every recorded fixture in tests/fixtures/agents parsed
// line by line into the exact events, the lines that carry nothing, malformed output, and the argv,
// executable and its variable of each tool.
#include "server/agents/agent_protocol.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace agor {
namespace {

// tests/fixtures/agents/ (tests/CMakeLists.txt defines AGOR_SOURCE_DIR).
std::string FixtureDir() {
  return std::string(AGOR_SOURCE_DIR) + "/tests/fixtures/agents/";
}

std::vector<std::string> ReadLines(const std::string& name) {
  std::ifstream in(FixtureDir() + name);
  REQUIRE(in.good());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<AgentEvent> Parse(const std::string& tool, const std::vector<std::string>& lines) {
  auto parser = MakeAgentParser(tool);
  REQUIRE(parser != nullptr);
  std::vector<AgentEvent> events;
  for (const auto& line : lines) {
    Status s = parser->ParseLine(line, &events);
    INFO(line);
    REQUIRE(s.ok());
  }
  parser->Finish(&events);
  return events;
}

// The events as plain JSON without metadata, compared key-order-insensitively.
nlohmann::json Summary(const std::vector<AgentEvent>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : events) {
    Json j = e.ToJson();
    j.erase("metadata");
    out.push_back(nlohmann::json::parse(j.dump()));
  }
  return out;
}

nlohmann::json Expected(const char* text) {
  return nlohmann::json::parse(text);
}

Json J(const char* text) {
  return Json::parse(text);
}

Status ParseOne(AgentParser* parser, const std::string& line, std::vector<AgentEvent>* out) {
  return parser->ParseLine(line, out);
}

const char* kClaudeSession = "8f3b2c1e-5d4a-4e7b-9c2f-1a6d0e9b7c35";

}  // namespace

// --- Claude Code ----------------------------------------------------------------------------

TEST_CASE("claude-code: the tool-use recording becomes the exact events") {
  auto events = Parse("claude-code", ReadLines("claude_tool_use.jsonl"));
  CHECK(Summary(events) == Expected(R"([
    {"kind":"session","sdk_session_id":"8f3b2c1e-5d4a-4e7b-9c2f-1a6d0e9b7c35"},
    {"kind":"delta","type":"thinking","stream_key":"msg_01XFDUDYJgAACzvnptvVoYEL:0",
     "chunk":"The user wants to know what is in the project directory."},
    {"kind":"message","role":"assistant","type":"thinking",
     "content":[{"type":"thinking","thinking":"The user wants to know what is in the project directory.",
                 "signature":"EqQBCkYIBxgCKkBv5mPq0c3nZcX7tLr1Y2w"}],
     "tool_uses":null,"stream_key":"msg_01XFDUDYJgAACzvnptvVoYEL:0"},
    {"kind":"delta","type":"text","stream_key":"msg_01XFDUDYJgAACzvnptvVoYEL:1","chunk":"I'll list the files"},
    {"kind":"delta","type":"text","stream_key":"msg_01XFDUDYJgAACzvnptvVoYEL:1","chunk":" in the project directory."},
    {"kind":"message","role":"assistant","type":"text",
     "content":[{"type":"text","text":"I'll list the files in the project directory."}],
     "tool_uses":null,"stream_key":"msg_01XFDUDYJgAACzvnptvVoYEL:1"},
    {"kind":"message","role":"assistant","type":"tool_use",
     "content":[{"type":"tool_use","id":"toolu_01Hq5eWkLp8c3nRz9VtYx2Bd","name":"Bash",
                 "input":{"command":"ls -la","description":"List files in the project directory"}}],
     "tool_uses":[{"id":"toolu_01Hq5eWkLp8c3nRz9VtYx2Bd","name":"Bash",
                   "input":{"command":"ls -la","description":"List files in the project directory"}}],
     "stream_key":""},
    {"kind":"message","role":"user","type":"tool_result",
     "content":[{"tool_use_id":"toolu_01Hq5eWkLp8c3nRz9VtYx2Bd","type":"tool_result",
                 "content":"total 16\ndrwxr-xr-x  4 dev dev 4096 Oct 10 12:00 .\ndrwxr-xr-x 12 dev dev 4096 Oct 10 11:58 ..\n-rw-r--r--  1 dev dev  220 Oct 10 12:00 README.md\ndrwxr-xr-x  2 dev dev 4096 Oct 10 12:00 src",
                 "is_error":false}],
     "tool_uses":null,"stream_key":""},
    {"kind":"delta","type":"text","stream_key":"msg_01Bv7rT2kQwN5pLm8sXc4HjA:0","chunk":"The project has"},
    {"kind":"delta","type":"text","stream_key":"msg_01Bv7rT2kQwN5pLm8sXc4HjA:0",
     "chunk":" a README.md and a src directory."},
    {"kind":"message","role":"assistant","type":"text",
     "content":[{"type":"text","text":"The project has a README.md and a src directory."}],
     "tool_uses":null,"stream_key":"msg_01Bv7rT2kQwN5pLm8sXc4HjA:0"},
    {"kind":"result","is_error":false,"error":""}
  ])"));
  REQUIRE(events.size() == 12);

  const Json& thinking = events[2].metadata;
  CHECK(thinking["model"] == "claude-sonnet-4-5-20250929");
  CHECK(thinking["message_id"] == "msg_01XFDUDYJgAACzvnptvVoYEL");
  CHECK(thinking["usage"]["cache_read_input_tokens"] == 13804);
  CHECK(thinking["uuid"] == "5e7f8a90-1b2c-4d3e-8f4a-5b6c7d8e9f01");
  CHECK_FALSE(thinking.contains("parent_tool_use_id"));  // null is left out
  CHECK_FALSE(thinking.contains("stop_reason"));
  CHECK(events[7].metadata == J(R"({"uuid":"9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c01"})"));

  const Json& result = events[11].metadata;
  CHECK(result["subtype"] == "success");
  CHECK(result["result"] == "The project has a README.md and a src directory.");
  CHECK(result["total_cost_usd"] == 0.0248349);
  CHECK(result["num_turns"] == 3);
  CHECK(result["duration_ms"] == 9830);
  CHECK(result["duration_api_ms"] == 11245);
  CHECK(result["usage"]["output_tokens"] == 113);
  CHECK(result["modelUsage"]["claude-sonnet-4-5-20250929"]["costUSD"] == 0.0248349);
  CHECK(result["permission_denials"] == Json::array());
}

TEST_CASE("claude-code: the error recording ends with an error result") {
  auto events = Parse("claude-code", ReadLines("claude_error.jsonl"));
  CHECK(Summary(events) == Expected(R"([
    {"kind":"session","sdk_session_id":"3c9d7e21-6a4b-4f58-9e0d-7b2a1c8f5e64"},
    {"kind":"message","role":"assistant","type":"text",
     "content":[{"type":"text","text":"Invalid API key · Please run /login"}],
     "tool_uses":null,"stream_key":""},
    {"kind":"result","is_error":true,"error":"Invalid API key · Please run /login"}
  ])"));
  REQUIRE(events.size() == 3);
  CHECK(events[1].metadata["model"] == "<synthetic>");
  CHECK(events[1].metadata["error"] == "authentication_failed");
  CHECK(events[1].metadata["stop_reason"] == "stop_sequence");
  CHECK(events[2].metadata["subtype"] == "success");
  CHECK(events[2].metadata["num_turns"] == 1);
}

TEST_CASE("claude-code: error results name their cause") {
  auto parser = MakeAgentParser("claude-code");
  std::vector<AgentEvent> events;
  REQUIRE(ParseOne(parser.get(),
                   R"({"type":"result","subtype":"error_max_turns","is_error":true,)"
                   R"js("num_turns":2,"errors":["Reached maximum number of turns (2)","x"]})js",
                   &events)
              .ok());
  REQUIRE(ParseOne(parser.get(), R"({"type":"result","subtype":"error_during_execution"})", &events)
              .ok());
  REQUIRE(ParseOne(parser.get(), R"({"type":"result","is_error":true})", &events).ok());
  REQUIRE(events.size() == 3);
  CHECK(events[0].is_error);
  CHECK(events[0].error == "Reached maximum number of turns (2); x");
  CHECK(events[0].metadata["num_turns"] == 2);
  CHECK(events[1].is_error);  // an error_* subtype even without is_error
  CHECK(events[1].error == "claude-code: run ended with error_during_execution");
  CHECK(events[2].error == "claude-code: run ended with an error");
}

TEST_CASE("claude-code: lines that carry nothing produce no event") {
  auto parser = MakeAgentParser("claude-code");
  std::vector<AgentEvent> events;
  const char* lines[] = {
      "",
      "   ",
      "\r",
      R"({"type":"system","subtype":"hook_started","hook_name":"SessionStart:startup"})",
      R"({"type":"system","subtype":"compact_boundary","session_id":"s"})",
      R"({"type":"system","subtype":"init"})",
      R"({"type":"rate_limit_event","rate_limit_info":{"status":"allowed"}})",
      R"({"type":"control_request","request_id":"r1","request":{"subtype":"can_use_tool"}})",
      R"({"type":"some_future_type","x":1})",
      R"({"no_type":true})",
      R"({"type":42})",
      R"({"type":"assistant"})",
      R"({"type":"assistant","message":"not an object"})",
      R"({"type":"user","message":{"role":"user","content":"replayed"},"isReplay":true})",
      R"({"type":"stream_event","event":{"type":"message_start","message":{"id":"msg_1"}}})",
      R"({"type":"stream_event","event":{"type":"content_block_start","index":0,)"
      R"("content_block":{"type":"tool_use","id":"t","name":"Bash","input":{}}}})",
      R"({"type":"stream_event","event":{"type":"content_block_delta","index":0,)"
      R"("delta":{"type":"input_json_delta","partial_json":"{\"a\""}}})",
      R"({"type":"stream_event","event":{"type":"content_block_delta","index":0,)"
      R"("delta":{"type":"signature_delta","signature":"abc"}}})",
      R"({"type":"stream_event","event":{"type":"content_block_delta","index":0,)"
      R"("delta":{"type":"text_delta","text":""}}})",
      R"({"type":"stream_event","event":{"type":"content_block_delta","index":"0",)"
      R"("delta":{"type":"text_delta","text":"bad index"}}})",
      R"({"type":"stream_event","event":{"type":"content_block_stop","index":0}})",
      R"({"type":"stream_event","event":{"type":"message_delta","delta":{"stop_reason":"x"}}})",
      R"({"type":"stream_event","event":{"type":"message_stop"}})",
      R"({"type":"stream_event","event":"weird"})",
  };
  for (const char* line : lines) {
    INFO(line);
    CHECK(ParseOne(parser.get(), line, &events).ok());
  }
  CHECK(Summary(events) == nlohmann::json::array());
}

TEST_CASE("claude-code: a line that is not a JSON object is an error") {
  auto parser = MakeAgentParser("claude-code");
  std::vector<AgentEvent> events;
  Status s = ParseOne(parser.get(), "Error: Input must be provided through stdin", &events);
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message() ==
        "claude-code: unparseable output line: Error: Input must be provided through stdin");
  CHECK(ParseOne(parser.get(), "[1,2]", &events).message() ==
        "claude-code: unparseable output line: [1,2]");
  CHECK(ParseOne(parser.get(), "\"text\"", &events).code() == Code::kBadRequest);
  CHECK(ParseOne(parser.get(), R"({"type":"assistant")", &events).code() == Code::kBadRequest);
  CHECK(events.empty());

  SECTION("the line is cut to its first 200 bytes") {
    s = ParseOne(parser.get(), std::string(300, 'a'), &events);
    CHECK(s.message() == "claude-code: unparseable output line: " + std::string(200, 'a'));
  }
  SECTION("without splitting a character") {
    s = ParseOne(parser.get(), std::string(199, 'a') + "\xC3\xA9tail", &events);
    CHECK(s.message() == "claude-code: unparseable output line: " + std::string(199, 'a'));
  }
  SECTION("invalid UTF-8 is replaced so the message can go into JSON") {
    s = ParseOne(parser.get(), "bad \xFF\xC3 bytes", &events);
    CHECK(s.message() ==
          "claude-code: unparseable output line: bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
    CHECK_NOTHROW(s.ToJson().dump());
  }
  SECTION("the parser stays usable") {
    REQUIRE(
        ParseOne(parser.get(), R"({"type":"system","subtype":"init","session_id":"s1"})", &events)
            .ok());
    REQUIRE(events.size() == 1);
    CHECK(events[0].sdk_session_id == "s1");
  }
}

TEST_CASE("claude-code: stream keys follow message ids and content blocks") {
  auto parser = MakeAgentParser("claude-code");
  std::vector<AgentEvent> events;
  auto delta = [](const char* parent, int index, const char* text) {
    return std::string(R"({"type":"stream_event","parent_tool_use_id":)") + parent +
           R"(,"event":{"type":"content_block_delta","index":)" + std::to_string(index) +
           R"(,"delta":{"type":"text_delta","text":")" + text + R"("}}})";
  };
  const std::vector<std::string> lines = {
      delta("null", 0, "before any message_start"),  // no message id yet: dropped
      R"({"type":"stream_event","parent_tool_use_id":null,)"
      R"("event":{"type":"message_start","message":{"id":"m1"}}})",
      delta("null", 0, "think"),
      delta("null", 1, "say"),
      // A subagent's stream (parent_tool_use_id set) keeps its own current message.
      R"({"type":"stream_event","parent_tool_use_id":"toolu_9",)"
      R"("event":{"type":"message_start","message":{"id":"m2"}}})",
      delta("\"toolu_9\"", 0, "sub"),
      delta("null", 2, "more"),
      // An older CLI printing two blocks in one assistant line: the first streamed one keys it.
      R"({"type":"assistant","message":{"id":"m1","content":[)"
      R"({"type":"thinking","thinking":"think"},{"type":"text","text":"say"}]}})",
      R"({"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"more"}]}})",
      R"({"type":"assistant","message":{"id":"m1","content":[{"type":"text","text":"late"}]}})",
      R"({"type":"assistant","parent_tool_use_id":"toolu_9",)"
      R"("message":{"id":"m2","content":[{"type":"text","text":"sub"}]}})",
      R"({"type":"assistant","message":{"content":"no id, string content"}})",
  };
  for (const auto& line : lines) {
    INFO(line);
    REQUIRE(ParseOne(parser.get(), line + "\r", &events).ok());  // CRLF output too
  }
  CHECK(Summary(events) == Expected(R"([
    {"kind":"delta","type":"text","stream_key":"m1:0","chunk":"think"},
    {"kind":"delta","type":"text","stream_key":"m1:1","chunk":"say"},
    {"kind":"delta","type":"text","stream_key":"m2:0","chunk":"sub"},
    {"kind":"delta","type":"text","stream_key":"m1:2","chunk":"more"},
    {"kind":"message","role":"assistant","type":"thinking",
     "content":[{"type":"thinking","thinking":"think"},{"type":"text","text":"say"}],
     "tool_uses":null,"stream_key":"m1:0"},
    {"kind":"message","role":"assistant","type":"text",
     "content":[{"type":"text","text":"more"}],"tool_uses":null,"stream_key":"m1:2"},
    {"kind":"message","role":"assistant","type":"text",
     "content":[{"type":"text","text":"late"}],"tool_uses":null,"stream_key":""},
    {"kind":"message","role":"assistant","type":"text",
     "content":[{"type":"text","text":"sub"}],"tool_uses":null,"stream_key":"m2:0"},
    {"kind":"message","role":"assistant","type":"text",
     "content":"no id, string content","tool_uses":null,"stream_key":""}
  ])"));
  CHECK(events[7].metadata["parent_tool_use_id"] == "toolu_9");
}

TEST_CASE("claude-code: user messages keep their content as given") {
  auto parser = MakeAgentParser("claude-code");
  std::vector<AgentEvent> events;
  REQUIRE(
      ParseOne(parser.get(),
               R"({"type":"user","message":{"role":"user","content":[{"type":"tool_result",)"
               R"("tool_use_id":"t1","content":[{"type":"text","text":"out"}],"is_error":true}]},)"
               R"("parent_tool_use_id":"toolu_p","uuid":"u1"})",
               &events)
          .ok());
  REQUIRE(
      ParseOne(parser.get(), R"({"type":"user","message":{"role":"user","content":"hi"}})", &events)
          .ok());
  REQUIRE(events.size() == 2);
  CHECK(events[0].role == "user");
  CHECK(events[0].type == "tool_result");
  CHECK(events[0].content[0]["content"][0]["text"] == "out");
  CHECK(events[0].tool_uses.is_null());
  CHECK(events[0].metadata == J(R"({"parent_tool_use_id":"toolu_p","uuid":"u1"})"));
  CHECK(events[1].type == "text");
  CHECK(events[1].content == "hi");
}

// --- Codex ----------------------------------------------------------------------------------

TEST_CASE("codex: the exec recording becomes the exact events") {
  auto events = Parse("codex", ReadLines("codex_exec.jsonl"));
  CHECK(Summary(events) == Expected(R"([
    {"kind":"session","sdk_session_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"},
    {"kind":"message","role":"assistant","type":"thinking",
     "content":"**Listing the project files**","tool_uses":null,"stream_key":""},
    {"kind":"message","role":"assistant","type":"command_execution",
     "content":[{"id":"item_1","type":"command_execution","command":"bash -lc ls",
                 "aggregated_output":"README.md\nsrc\n","exit_code":0,"status":"completed"}],
     "tool_uses":[{"id":"item_1","name":"command_execution","input":{"command":"bash -lc ls"}}],
     "stream_key":""},
    {"kind":"message","role":"assistant","type":"mcp_tool_call",
     "content":[{"id":"item_3","type":"mcp_tool_call","server":"docs","tool":"search",
                 "arguments":{"query":"usage section"},
                 "result":{"content":[{"type":"text","text":"No matches."}],"structured_content":null},
                 "error":null,"status":"completed"}],
     "tool_uses":[{"id":"item_3","name":"mcp_tool_call",
                   "input":{"server":"docs","tool":"search","arguments":{"query":"usage section"}}}],
     "stream_key":""},
    {"kind":"message","role":"assistant","type":"file_change",
     "content":[{"id":"item_4","type":"file_change","changes":[{"path":"README.md","kind":"update"}],
                 "status":"completed"}],
     "tool_uses":[{"id":"item_4","name":"file_change",
                   "input":{"changes":[{"path":"README.md","kind":"update"}]}}],
     "stream_key":""},
    {"kind":"message","role":"assistant","type":"text",
     "content":"I added a usage section to README.md.","tool_uses":null,"stream_key":""},
    {"kind":"message","role":"assistant","type":"todo_list",
     "content":[{"id":"item_2","type":"todo_list","items":[{"text":"Read README.md","completed":true},
                                                           {"text":"Add a usage section","completed":true}]}],
     "tool_uses":null,"stream_key":""},
    {"kind":"result","is_error":false,"error":""}
  ])"));
  REQUIRE(events.size() == 8);
  CHECK(events[1].metadata == J(R"({"item_id":"item_0"})"));
  CHECK(events[5].metadata == J(R"({"item_id":"item_5"})"));
  CHECK(events[7].metadata ==
        J(R"({"usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}})"));
}

TEST_CASE("codex: failures, errors and the other item types") {
  auto events = Parse(
      "codex",
      {
          R"({"type":"error","message":"Reconnecting... 1/5"})",
          R"({"type":"item.completed","item":{"id":"item_0","type":"error","message":"file not found"}})",
          R"({"type":"item.completed","item":{"id":"item_1","type":"plan","text":"1. do it"}})",
          R"({"type":"item.completed","item":{"id":"item_2","type":"web_search","query":"agor"}})",
          R"({"type":"item.completed","item":{"id":"item_3","item_type":"assistant_message","text":"old"}})",
          R"({"type":"item.completed","item":{"id":"item_4","item_type":"agent_message","text":"legacy"}})",
          R"({"type":"item.completed","item":{"id":"item_5","type":"future_item","x":1}})",
          R"({"type":"item.completed"})",
          R"({"type":"item.plan.delta","item_id":"item_1","delta":"1."})",
          R"({"type":"request_user_input","id":"t","call_id":"c","questions":[]})",
          R"({"type":"turn.failed","error":{"message":"model response stream ended unexpectedly"}})",
          R"({"type":"turn.failed"})",
      });
  CHECK(Summary(events) == Expected(R"([
    {"kind":"message","role":"system","type":"error","content":"Reconnecting... 1/5",
     "tool_uses":null,"stream_key":""},
    {"kind":"message","role":"system","type":"error","content":"file not found",
     "tool_uses":null,"stream_key":""},
    {"kind":"message","role":"assistant","type":"plan","content":"1. do it",
     "tool_uses":null,"stream_key":""},
    {"kind":"message","role":"assistant","type":"web_search",
     "content":[{"id":"item_2","type":"web_search","query":"agor"}],
     "tool_uses":[{"id":"item_2","name":"web_search","input":{"query":"agor"}}],"stream_key":""},
    {"kind":"message","role":"assistant","type":"text","content":"legacy",
     "tool_uses":null,"stream_key":""},
    {"kind":"result","is_error":true,"error":"model response stream ended unexpectedly"},
    {"kind":"result","is_error":true,"error":"codex: turn failed"}
  ])"));
}

TEST_CASE("codex: a line that is not JSON is an error") {
  auto parser = MakeAgentParser("codex");
  std::vector<AgentEvent> events;
  Status s = ParseOne(parser.get(), "Reading prompt from stdin...", &events);
  CHECK(s.code() == Code::kBadRequest);
  CHECK(s.message() == "codex: unparseable output line: Reading prompt from stdin...");
  CHECK(events.empty());
}

// --- Gemini ---------------------------------------------------------------------------------

TEST_CASE("gemini: the stream recording becomes the exact events") {
  auto events = Parse("gemini", ReadLines("gemini_stream.jsonl"));
  CHECK(Summary(events) == Expected(R"([
    {"kind":"session","sdk_session_id":"c25acda3-bd7a-4f5e-9c41-2d8e6f0a1b37"},
    {"kind":"delta","type":"text","stream_key":"gemini-1","chunk":"I'll list the files"},
    {"kind":"delta","type":"text","stream_key":"gemini-1","chunk":" in the current directory."},
    {"kind":"message","role":"assistant","type":"text",
     "content":"I'll list the files in the current directory.","tool_uses":null,
     "stream_key":"gemini-1"},
    {"kind":"message","role":"assistant","type":"tool_use",
     "content":[{"type":"tool_use","id":"list_directory-1760097602940-6f1c2a9b8d3e4",
                 "name":"list_directory","input":{"dir_path":"."}}],
     "tool_uses":[{"id":"list_directory-1760097602940-6f1c2a9b8d3e4","name":"list_directory",
                   "input":{"dir_path":"."}}],
     "stream_key":""},
    {"kind":"message","role":"user","type":"tool_result",
     "content":[{"type":"tool_result","tool_use_id":"list_directory-1760097602940-6f1c2a9b8d3e4",
                 "content":"Listed 2 item(s).","is_error":false}],
     "tool_uses":null,"stream_key":""},
    {"kind":"delta","type":"text","stream_key":"gemini-2","chunk":"The project contains"},
    {"kind":"delta","type":"text","stream_key":"gemini-2","chunk":" README.md and src/."},
    {"kind":"message","role":"assistant","type":"text",
     "content":"The project contains README.md and src/.","tool_uses":null,
     "stream_key":"gemini-2"},
    {"kind":"result","is_error":false,"error":""}
  ])"));
  REQUIRE(events.size() == 10);
  CHECK(events[3].metadata == J(R"({"model":"gemini-2.5-pro"})"));
  CHECK(events[4].metadata == J(R"({"model":"gemini-2.5-pro"})"));
  CHECK(events[5].metadata == J(R"({"status":"success"})"));
  CHECK(events[9].metadata["status"] == "success");
  CHECK(events[9].metadata["stats"]["total_tokens"] == 8712);
  CHECK(events[9].metadata["stats"]["duration_ms"] == 4392);
  CHECK(events[9].metadata["stats"]["tool_calls"] == 1);
}

TEST_CASE("gemini: errors, failed tools, whole messages and text left at EOF") {
  auto events = Parse(
      "gemini",
      {
          R"({"type":"message","role":"assistant","content":"partial","delta":true})",
          R"({"type":"error","severity":"warning","message":"Loop detected, stopping execution"})",
          R"({"type":"tool_result","tool_id":"t1","status":"error",)"
          R"("error":{"type":"FILE_NOT_FOUND","message":"no such file"}})",
          R"({"type":"message","role":"assistant","content":"a","delta":true})",
          R"({"type":"message","role":"assistant","content":"ab"})",
          R"({"type":"message","role":"assistant","content":"","delta":true})",
          R"({"type":"result","status":"error","error":{"type":"INVALID_STREAM","message":"empty"}})",
          R"({"type":"result","status":"error"})",
          R"({"type":"future_event"})",
          R"({"type":"message","role":"assistant","content":"left at EOF","delta":true})",
      });
  CHECK(Summary(events) == Expected(R"([
    {"kind":"delta","type":"text","stream_key":"gemini-1","chunk":"partial"},
    {"kind":"message","role":"assistant","type":"text","content":"partial","tool_uses":null,
     "stream_key":"gemini-1"},
    {"kind":"message","role":"system","type":"error","content":"Loop detected, stopping execution",
     "tool_uses":null,"stream_key":""},
    {"kind":"message","role":"user","type":"tool_result",
     "content":[{"type":"tool_result","tool_use_id":"t1","content":"no such file","is_error":true}],
     "tool_uses":null,"stream_key":""},
    {"kind":"delta","type":"text","stream_key":"gemini-2","chunk":"a"},
    {"kind":"message","role":"assistant","type":"text","content":"ab","tool_uses":null,
     "stream_key":"gemini-2"},
    {"kind":"result","is_error":true,"error":"empty"},
    {"kind":"result","is_error":true,"error":"gemini: run ended with an error"},
    {"kind":"delta","type":"text","stream_key":"gemini-3","chunk":"left at EOF"},
    {"kind":"message","role":"assistant","type":"text","content":"left at EOF","tool_uses":null,
     "stream_key":"gemini-3"}
  ])"));
  CHECK(events[2].metadata == J(R"({"severity":"warning"})"));
  CHECK(events[3].metadata["error"]["type"] == "FILE_NOT_FOUND");
}

TEST_CASE("gemini: a line that is not JSON is an error") {
  auto parser = MakeAgentParser("gemini");
  std::vector<AgentEvent> events;
  Status s = ParseOne(parser.get(), "Loaded cached credentials.", &events);
  CHECK(s.message() == "gemini: unparseable output line: Loaded cached credentials.");
}

// --- command --------------------------------------------------------------------------------

TEST_CASE("command: every line is one assistant text message") {
  auto events =
      Parse("command", {"echo: hello", "{\"type\":\"not parsed\"}", "", "crlf\r", "bad \xFF byte",
                        "ok \xF0\x9F\x98\x80 \xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80"});
  CHECK(Summary(events) == Expected(R"([
    {"kind":"message","role":"assistant","type":"text","content":"echo: hello","tool_uses":null,
     "stream_key":""},
    {"kind":"message","role":"assistant","type":"text","content":"{\"type\":\"not parsed\"}",
     "tool_uses":null,"stream_key":""},
    {"kind":"message","role":"assistant","type":"text","content":"","tool_uses":null,
     "stream_key":""},
    {"kind":"message","role":"assistant","type":"text","content":"crlf","tool_uses":null,
     "stream_key":""},
    {"kind":"message","role":"assistant","type":"text","content":"bad \uFFFD byte",
     "tool_uses":null,"stream_key":""},
    {"kind":"message","role":"assistant","type":"text",
     "content":"ok \uD83D\uDE00 \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD \uFFFD\uFFFD\uFFFD\uFFFD",
     "tool_uses":null,"stream_key":""}
  ])"));
  CHECK(events[0].metadata == Json::object());
}

TEST_CASE("agent parsers: one per known tool") {
  for (const char* tool : {"claude-code", "codex", "gemini", "command"}) {
    CHECK(MakeAgentParser(tool) != nullptr);
  }
  CHECK(MakeAgentParser("claude") == nullptr);
  CHECK(MakeAgentParser("") == nullptr);
}

TEST_CASE("agent events: ToJson shows the fields of the kind") {
  CHECK(AgentEvent::Session("s").ToJson() == J(R"({"kind":"session","sdk_session_id":"s"})"));
  CHECK(AgentEvent::Delta("k", "c").ToJson() ==
        J(R"({"kind":"delta","type":"text","stream_key":"k","chunk":"c"})"));
  CHECK(AgentEvent::Result(true, "boom", J(R"({"a":1})")).ToJson() ==
        J(R"({"kind":"result","is_error":true,"error":"boom","metadata":{"a":1}})"));
  CHECK(AgentEvent::Message("assistant", "text", "hi").ToJson() ==
        J(R"({"kind":"message","role":"assistant","type":"text","content":"hi",)"
          R"("tool_uses":null,"metadata":{},"stream_key":""})"));
}

// --- argv, executables ----------------------------------------------------------------------

using Argv = std::vector<std::string>;

TEST_CASE("argv: claude-code in print mode with stream-json, resumed by session id") {
  CHECK(BuildAgentArgv("claude-code", "/bin/claude", "", nullptr) ==
        Argv{"/bin/claude", "-p", "--output-format", "stream-json", "--verbose",
             "--include-partial-messages"});
  CHECK(BuildAgentArgv("claude-code", "claude", kClaudeSession, nullptr) ==
        Argv{"claude", "-p", "--output-format", "stream-json", "--verbose",
             "--include-partial-messages", std::string("--resume=") + kClaudeSession});
}

TEST_CASE("argv: codex exec --json reading the prompt from stdin, resumed by thread id") {
  CHECK(BuildAgentArgv("codex", "codex", "", nullptr) == Argv{"codex", "exec", "--json", "-"});
  CHECK(BuildAgentArgv("codex", "codex", "0199a213-81c0", nullptr) ==
        Argv{"codex", "exec", "--json", "resume", "0199a213-81c0", "-"});
}

TEST_CASE("argv: gemini with stream-json output, resumed by session id") {
  CHECK(BuildAgentArgv("gemini", "gemini", "", nullptr) ==
        Argv{"gemini", "--output-format", "stream-json"});
  CHECK(BuildAgentArgv("gemini", "/x/gemini", "c25acda3", nullptr) ==
        Argv{"/x/gemini", "--output-format", "stream-json", "--resume=c25acda3"});
}

TEST_CASE("argv: command is agent_command as is, never a shell string") {
  CHECK(BuildAgentArgv("command", "ignored", "ignored", J(R"(["/bin/echo","a b","$HOME;x"])")) ==
        Argv{"/bin/echo", "a b", "$HOME;x"});
  CHECK(BuildAgentArgv("command", "", "", J(R"([])")).empty());
  CHECK(BuildAgentArgv("command", "", "", nullptr).empty());
  CHECK(BuildAgentArgv("command", "", "", J(R"("echo hi")")).empty());
  CHECK(BuildAgentArgv("command", "", "", J(R"(["echo", 1])")).empty());
  CHECK(BuildAgentArgv("vim", "vim", "", nullptr).empty());
}

TEST_CASE("executables: AGOR_*_BIN when set, else the tool's name") {
  struct Case {
    const char* tool;
    const char* env;
    const char* name;
  };
  for (const Case& c :
       {Case{"claude-code", "AGOR_CLAUDE_BIN", "claude"}, Case{"codex", "AGOR_CODEX_BIN", "codex"},
        Case{"gemini", "AGOR_GEMINI_BIN", "gemini"}}) {
    INFO(c.tool);
    unsetenv(c.env);
    CHECK(AgentExecutable(c.tool) == c.name);
    setenv(c.env, "", 1);
    CHECK(AgentExecutable(c.tool) == c.name);
    setenv(c.env, "/opt/fake/agent.sh", 1);
    CHECK(AgentExecutable(c.tool) == "/opt/fake/agent.sh");
    unsetenv(c.env);
  }
  CHECK(AgentExecutable("command").empty());
  CHECK(AgentExecutable("other").empty());
}

TEST_CASE("executables: the variable that names each tool's executable") {
  CHECK(std::string(AgentExecutableVariable("claude-code")) == "AGOR_CLAUDE_BIN");
  CHECK(std::string(AgentExecutableVariable("codex")) == "AGOR_CODEX_BIN");
  CHECK(std::string(AgentExecutableVariable("gemini")) == "AGOR_GEMINI_BIN");
  CHECK(AgentExecutableVariable("command") == nullptr);
  CHECK(AgentExecutableVariable("other") == nullptr);
}

TEST_CASE("fixtures: the fake agents are executable") {
  for (const char* name : {"fake_agent.sh", "failing_agent.sh", "slow_agent.sh", "flood_agent.sh",
                           "echo_agent.sh", "hostile_agent.sh"}) {
    INFO(name);
    CHECK(access((FixtureDir() + name).c_str(), X_OK) == 0);
  }
}

}  // namespace agor
