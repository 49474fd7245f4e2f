#include "cmd/message_feed.h"

#include <catch2/catch.hpp>

namespace agor {

TEST_CASE("MessageRow shows index, role, type and the content's text on one row",
          "[cmd][message]") {
  Json text = {{"index", 3}, {"role", "assistant"}, {"type", "text"}, {"content", "hello"}};
  CHECK(MessageRow(text) == "3      assistant  text          hello");
  Json blocks = {{"index", 12},
                 {"role", "assistant"},
                 {"type", nullptr},
                 {"content",
                  {{{"type", "text"}, {"text", "a"}},
                   {{"type", "tool_use"}, {"name", "Bash"}},
                   {{"type", "text"}, {"text", "b"}}}}};
  CHECK(MessageRow(blocks) == "12     assistant  -             a b");
  Json tools = {{"index", 4},
                {"role", "assistant"},
                {"type", "tool_use"},
                {"content", {{{"type", "tool_use"}, {"name", "Bash"}}}}};
  CHECK(MessageRow(tools) ==
        "4      assistant  tool_use      [{\"type\":\"tool_use\",\"name\":\"Bash\"}]");
  std::string long_text(300, 'x');
  Json cut = {{"index", 0}, {"role", "user"}, {"content", long_text}};
  std::string row = MessageRow(cut);
  CHECK(row.size() < 200);  // cut to one screen line's worth
  CHECK(row.find('\n') == std::string::npos);
}

}  // namespace agor
