#include "store/validator.h"

#include <catch2/catch.hpp>

#include "base/json.h"

namespace agor {
namespace {

Status Check(const char* service, const Json& data, WriteMode mode = WriteMode::kCreate) {
  Json clean;
  return ValidateWrite(*FindService(service), data, mode, &clean);
}

std::string FieldOf(const Status& s) {
  return s.data().value("field", std::string());
}

TEST_CASE("validation names the offending field", "[validator]") {
  const char* board = "11111111-2222-4333-8444-555555555555";
  struct Case {
    const char* service;
    Json data;
    const char* field;
  } cases[] = {
      {"boards", {{"name", "a"}, {"junk", 1}}, "junk"},
      {"boards", {{"name", 5}}, "name"},
      {"boards", {{"name", "a"}, {"visibility", "secret"}}, "visibility"},
      {"boards", Json::object(), "name"},
      {"boards", {{"name", nullptr}}, "name"},
      {"boards", {{"name", "a"}, {"board_id", "not-a-uuid"}}, "board_id"},
      {"sessions", {{"board_id", board}, {"agentic_tool", "vim"}}, "agentic_tool"},
      {"sessions", {{"board_id", board}, {"agent_command", "ls -l"}}, "agent_command"},
      {"sessions",
       {{"board_id", board}, {"agent_command", Json::array({"ls", 1})}},
       "agent_command"},
      {"sessions", {{"board_id", board}, {"position", {{"x", 1}}}}, "position"},
      {"tasks", {{"session_id", board}, {"duration_ms", "12"}}, "duration_ms"},
      {"messages", {{"session_id", board}}, "role"},
      {"messages", {{"session_id", board}, {"role", "user"}, {"content", 3}}, "content"},
      {"messages", {{"session_id", board}, {"role", "user"}, {"index", 1.5}}, "index"},
  };
  for (const auto& c : cases) {
    Status s = Check(c.service, c.data);
    INFO(c.service << " " << c.data.dump());
    CHECK(s.code() == Code::kBadRequest);
    CHECK(FieldOf(s) == c.field);
    CHECK(s.message().find(c.field) != std::string::npos);
  }
}

TEST_CASE("bodies that are not objects are refused", "[validator]") {
  CHECK(Check("boards", Json::array()).code() == Code::kBadRequest);
  CHECK(Check("boards", "text").code() == Code::kBadRequest);
  CHECK(Check("boards", nullptr).code() == Code::kBadRequest);
}

TEST_CASE("server-set fields are ignored, defaults applied, ids lowercased", "[validator]") {
  Json clean;
  REQUIRE(ValidateWrite(*FindService("boards"),
                        {{"name", "a"},
                         {"created_at", "1999"},
                         {"board_id", "ABCDEF01-0000-4000-8000-000000000001"}},
                        WriteMode::kCreate, &clean)
              .ok());
  CHECK_FALSE(clean.contains("created_at"));
  CHECK(clean["visibility"] == "team");
  CHECK(clean["board_id"] == "abcdef01-0000-4000-8000-000000000001");
}

TEST_CASE("patch checks only what it is given", "[validator]") {
  Json clean;
  REQUIRE(
      ValidateWrite(*FindService("boards"), {{"color", "#f00"}}, WriteMode::kPatch, &clean).ok());
  CHECK(clean == Json{{"color", "#f00"}});
  CHECK(Check("boards", {{"visibility", "nope"}}, WriteMode::kPatch).code() == Code::kBadRequest);
}

TEST_CASE("update requires the required fields and nulls the rest", "[validator]") {
  Json clean;
  REQUIRE(ValidateWrite(*FindService("repos"), {{"slug", "r"}}, WriteMode::kUpdate, &clean).ok());
  CHECK(clean["name"].is_null());
  CHECK(Check("repos", {{"name", "x"}}, WriteMode::kUpdate).code() == Code::kBadRequest);
}

TEST_CASE("content accepts strings and content blocks", "[validator]") {
  const char* s = "11111111-2222-4333-8444-555555555555";
  CHECK(Check("messages", {{"session_id", s}, {"role", "user"}, {"content", "hi"}}).ok());
  CHECK(Check("messages", {{"session_id", s},
                           {"role", "assistant"},
                           {"content", Json::array({{{"type", "text"}, {"text", "x"}}})}})
            .ok());
}

// A value `depth` arrays deep, built without parsing (as an agent's writer could hand it over).
Json Nested(int depth) {
  Json value = Json::array();
  for (int i = 1; i < depth; ++i) value = Json::array({std::move(value)});
  return value;
}

TEST_CASE("strings and JSON values must be valid UTF-8, whoever writes them", "[validator]") {
  const char* s = "11111111-2222-4333-8444-555555555555";
  Status name = Check("boards", {{"name", "a\xFF"}});
  CHECK(name.code() == Code::kBadRequest);
  CHECK(name.message() == "name must be valid UTF-8");
  CHECK(FieldOf(name) == "name");
  CHECK(
      FieldOf(Check("messages", {{"session_id", s}, {"role", "user"}, {"content", "\xC3\x28"}})) ==
      "content");
  Json blocks = Json::array({{{"type", "text"}, {"text", "ok"}}, {{"type", "text"}, {"\xFF", 1}}});
  CHECK(FieldOf(Check("messages", {{"session_id", s}, {"role", "user"}, {"content", blocks}})) ==
        "content");
  CHECK(FieldOf(Check("sessions", {{"board_id", s}, {"agent_command", {"ls", "\xFF"}}})) ==
        "agent_command");
  CHECK(Check("boards", {{"name", "caf\xC3\xA9"}}).ok());
}

TEST_CASE("JSON values nest at most as deep as the entry rule allows", "[validator]") {
  const char* s = "11111111-2222-4333-8444-555555555555";
  auto content = [&](Json value) {
    return Check("messages", {{"session_id", s}, {"role", "user"}, {"content", std::move(value)}});
  };
  CHECK(content(Nested(kMaxJsonDepth)).ok());
  Status deep = content(Nested(kMaxJsonDepth + 1));
  CHECK(deep.code() == Code::kBadRequest);
  CHECK(deep.message() == "content is nested deeper than 64 levels");
  CHECK(content(Nested(100000)).code() == Code::kBadRequest);  // checked without recursion
}

TEST_CASE("names and slugs must not be empty or blank", "[validator]") {
  struct Case {
    const char* service;
    Json data;
    const char* field;
  } cases[] = {
      {"boards", {{"name", ""}}, "name"},
      {"boards", {{"name", " \t\n"}}, "name"},
      {"boards", {{"name", "a"}, {"slug", ""}}, "slug"},
      {"repos", {{"slug", ""}}, "slug"},
      {"repos", {{"slug", "r"}, {"name", "  "}}, "name"},
  };
  for (const auto& c : cases) {
    INFO(c.service << " " << c.data.dump());
    for (WriteMode mode : {WriteMode::kCreate, WriteMode::kUpdate, WriteMode::kPatch}) {
      Status s = Check(c.service, c.data, mode);
      CHECK(s.code() == Code::kBadRequest);
      CHECK(FieldOf(s) == c.field);
      CHECK(s.message() == std::string(c.field) + " must not be empty");
    }
  }
  CHECK(Check("boards", {{"name", "a"}, {"slug", nullptr}}).ok());  // no slug at all is fine
  CHECK(Check("repos", {{"slug", "r"}, {"name", nullptr}}).ok());
}

TEST_CASE("a color is a CSS hex colour", "[validator]") {
  for (const char* good : {"#fff", "#FfFf", "#00aa11", "#00aa1180"}) {
    INFO(good);
    CHECK(Check("boards", {{"name", "a"}, {"color", good}}).ok());
  }
  for (const char* bad : {"red", "", "#", "#ff", "#fffff", "#ggg", "fff", "#00aa118", "#00aa1180f",
                          " #fff", "#fff "}) {
    INFO(bad);
    Status s = Check("boards", {{"color", bad}}, WriteMode::kPatch);
    CHECK(s.code() == Code::kBadRequest);
    CHECK(FieldOf(s) == "color");
    CHECK(s.message() == "color must be a CSS hex colour: #rgb, #rgba, #rrggbb or #rrggbbaa");
  }
}

TEST_CASE("agent_command is an argv of non-empty strings", "[validator]") {
  const char* b = "11111111-2222-4333-8444-555555555555";
  for (const Json& bad : {Json::array(), Json::array({""}), Json::array({"ls", ""}), Json("ls")}) {
    INFO(bad.dump());
    Status s =
        Check("sessions", {{"board_id", b}, {"agentic_tool", "command"}, {"agent_command", bad}});
    CHECK(s.code() == Code::kBadRequest);
    CHECK(FieldOf(s) == "agent_command");
  }
  CHECK(Check("sessions", {{"board_id", b}, {"agent_command", {"ls", "-l"}}}).ok());
}

TEST_CASE("ValidateRecord: a command session has an agent_command, other tools none",
          "[validator]") {
  const ServiceSchema& sessions = *FindService("sessions");
  Json command{{"agentic_tool", "command"}, {"agent_command", {"cat"}}, {"title", nullptr}};
  CHECK(ValidateRecord(sessions, command, nullptr).ok());
  Json bare = command;
  bare["agent_command"] = nullptr;
  Status missing = ValidateRecord(sessions, bare, nullptr);
  CHECK(missing.code() == Code::kBadRequest);
  CHECK(FieldOf(missing) == "agent_command");
  CHECK(missing.message() == "agent_command is required when agentic_tool is command");
  Json claude = command;
  claude["agentic_tool"] = "claude-code";
  Status extra = ValidateRecord(sessions, claude, Json{{"agentic_tool", "claude-code"}});
  CHECK(extra.code() == Code::kBadRequest);
  CHECK(FieldOf(extra) == "agent_command");
  CHECK(extra.message() ==
        "agent_command is only for agentic_tool command (this session's is \"claude-code\")");
  // A write that touches neither field leaves a record stored before the rule alone.
  CHECK(ValidateRecord(sessions, claude, Json{{"title", "t"}}).ok());
  CHECK(ValidateRecord(*FindService("boards"), Json{{"name", "a"}}, nullptr).ok());
}

}  // namespace
}  // namespace agor
