// LogEscape: outside text in a log line cannot reach the terminal raw or forge a line.
#include "base/log.h"

#include <catch2/catch.hpp>
#include <string>

namespace agor {

TEST_CASE("log escape: printable ASCII stays, every other byte is \\xNN", "[log]") {
  CHECK(LogEscape("/boards/abc-1?x=y ~") == "/boards/abc-1?x=y ~");
  CHECK(LogEscape("a\x1b[31mred\nforged\r\t") == "a\\x1b[31mred\\x0aforged\\x0d\\x09");
  CHECK(LogEscape(std::string("nul\0end", 7)) == "nul\\x00end");
  CHECK(LogEscape("del\x7f") == "del\\x7f");
  CHECK(LogEscape("caf\xc3\xa9 \xc2\x9b") == "caf\\xc3\\xa9 \\xc2\\x9b");  // C1 CSI too
  CHECK(LogEscape("\xff\xfe") == "\\xff\\xfe");                            // not UTF-8
}

TEST_CASE("log escape: a backslash cannot pass for an escape, and length is bounded", "[log]") {
  CHECK(LogEscape("\\x1b") == "\\\\x1b");
  CHECK(LogEscape(std::string(10, 'a'), 4) == "aaaa...");
  CHECK(LogEscape("abcd", 4) == "abcd");
  for (int c = 0; c < 256; ++c) {
    std::string out = LogEscape(std::string(1, static_cast<char>(c)));
    for (char o : out) CHECK((o >= 0x20 && o < 0x7f));
  }
}

}  // namespace agor
