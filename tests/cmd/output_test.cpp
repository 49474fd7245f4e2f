#include "cmd/output.h"

#include <catch2/catch.hpp>

namespace agor {

TEST_CASE("ChooseStyle: JSON lines off a terminal, color only on one without NO_COLOR",
          "[cmd][output]") {
  CHECK(ChooseStyle(false, false, nullptr).json);
  CHECK_FALSE(ChooseStyle(false, false, nullptr).color);
  CHECK(ChooseStyle(true, true, nullptr).json);
  CHECK_FALSE(ChooseStyle(true, true, nullptr).color);
  CHECK_FALSE(ChooseStyle(false, true, nullptr).json);
  CHECK(ChooseStyle(false, true, nullptr).color);
  CHECK(ChooseStyle(false, true, "").color);  // NO_COLOR counts only when non-empty
  CHECK_FALSE(ChooseStyle(false, true, "1").color);
}

TEST_CASE("CellText renders values, short ids and long text", "[cmd][output]") {
  Column text{"NAME", "name"};
  Column id{"ID", "board_id", Column::kShortId};
  CHECK(CellText(Json("829358af-46a4-4745-9f79-cbf70e129a46"), id) == "829358af");
  CHECK(CellText(Json(nullptr), text) == "-");
  CHECK(CellText(Json(42), text) == "42");
  CHECK(CellText(Json(true), text) == "true");
  CHECK(CellText(Json::array({"claude", "-p"}), text) == R"(["claude","-p"])");
  Column narrow{"T", "t", Column::kText, 5};
  CHECK(CellText(Json("abcde"), narrow) == "abcde");
  CHECK(CellText(Json("abcdef"), narrow) == "abcd\xe2\x80\xa6");
  CHECK(CellText(Json("\xc3\xa9t\xc3\xa9s\xc3\xa9!"), narrow) == "\xc3\xa9t\xc3\xa9s\xe2\x80\xa6");
}

TEST_CASE("FormatTable aligns columns by code points", "[cmd][output]") {
  std::vector<Column> columns = {
      {"ID", "board_id", Column::kShortId}, {"NAME", "name"}, {"SLUG", "slug"}};
  Json rows = Json::array({
      {{"board_id", "829358af-46a4-4745-9f79-cbf70e129a46"},
       {"name", "caf\xc3\xa9"},
       {"slug", nullptr}},
      {{"board_id", "85489b12-06ac-4ee7-be5f-6ba8acd52b58"}, {"name", "x"}, {"slug", "s"}},
  });
  CHECK(FormatTable(columns, rows, false) ==
        "ID        NAME  SLUG\n"
        "829358af  caf\xc3\xa9  -\n"
        "85489b12  x     s\n");
  CHECK(FormatTable(columns, Json::array(), false) == "ID  NAME  SLUG\n");
}

TEST_CASE("FormatTable makes only the header bold in color", "[cmd][output]") {
  std::vector<Column> columns = {{"A", "a"}, {"B", "b"}};
  Json rows = Json::array({{{"a", "xyz"}, {"b", "1"}}});
  CHECK(FormatTable(columns, rows, true) ==
        "\x1b[1mA\x1b[0m    \x1b[1mB\x1b[0m\n"
        "xyz  1\n");
}

TEST_CASE("FormatRecord prints aligned key: value lines in field order", "[cmd][output]") {
  Json record = {{"board_id", "b1"}, {"name", "n"}, {"position", {{"x", 1}}}, {"icon", nullptr}};
  CHECK(FormatRecord(record, false) ==
        "board_id: b1\n"
        "name:     n\n"
        "position: {\"x\":1}\n"
        "icon:     -\n");
  CHECK(FormatRecord(Json{{"k", "v"}}, true) == "\x1b[1mk:\x1b[0m v\n");
}

TEST_CASE("FormatJsonLines writes one compact object per line", "[cmd][output]") {
  Json rows = Json::array({{{"b", 1}, {"a", "x y"}}, {{"c", nullptr}}});
  CHECK(FormatJsonLines(rows) == "{\"b\":1,\"a\":\"x y\"}\n{\"c\":null}\n");
  CHECK(FormatJsonLines(Json::array()).empty());
}

TEST_CASE("Cells and keys with invalid UTF-8 show U+FFFD and keep their width", "[cmd][output]") {
  Column narrow{"T", "t", Column::kText, 3};
  CHECK(CellText(Json("\xff"), narrow) == "\xef\xbf\xbd");
  CHECK(CellText(Json("a\xc3\x28"
                      "bc"),
                 narrow) == "a\xef\xbf\xbd\xe2\x80\xa6");
  Column id{"ID", "id", Column::kShortId};
  CHECK(CellText(Json("\xf0\x9f\x98\x80" + std::string(9, 'a')), id) ==
        "\xf0\x9f\x98\x80" + std::string(7, 'a'));
  std::vector<Column> columns = {{"A", "a"}, {"B", "b"}};
  Json rows = Json::array({{{"a", "\xe2\x82"}, {"b", "1"}}});  // a truncated sequence
  CHECK(FormatTable(columns, rows, false) ==
        "A   B\n"
        "\xef\xbf\xbd\xef\xbf\xbd  1\n");
  CHECK(FormatRecord(Json{{"k\xff", "v"}, {"long", 1}}, false) ==
        "k\xef\xbf\xbd:   v\n"
        "long: 1\n");
}

TEST_CASE("TerminalSafe shows control characters instead of sending them", "[cmd][output]") {
  CHECK(TerminalSafe("evil\x1b[31mRED") == "evil\\x1b[31mRED");
  CHECK(TerminalSafe("a\nb\tc\rd") == "a\\nb\\tc\\rd");
  CHECK(TerminalSafe(std::string("nul\0bel\x07"
                                 "del\x7f",
                                 12)) == "nul\\x00bel\\x07del\\x7f");
  CHECK(TerminalSafe("csi\xc2\x9b"
                     "31m") == "csi\\u009b31m");  // C1 CSI as a code point
  CHECK(TerminalSafe("\xe2\x80\xae"
                     "txt.exe") == "\\u202etxt.exe");  // right-to-left override
  CHECK(TerminalSafe("iso\xe2\x81\xa6"
                     "x") == "iso\\u2066x");
  CHECK(TerminalSafe("\x9b"
                     "x") == "\xef\xbf\xbdx");  // a raw C1 byte is not UTF-8
  CHECK(TerminalSafe("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80") ==
        "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80");  // printable text is untouched
  CHECK(TerminalSafe("line 1\n\tline 2\r\x1b[2K", true) == "line 1\n\tline 2\\r\\x1b[2K");
}

TEST_CASE("Cells, keys and tables never carry a raw escape or line break", "[cmd][output]") {
  Column name{"NAME", "name"};
  CHECK(CellText(Json("evil\x1b[31mRED"), name) == "evil\\x1b[31mRED");
  CHECK(CellText(Json::array({"\xc2\x9b"}), name) == "[\"\\u009b\"]");
  std::vector<Column> columns = {{"ID", "id", Column::kShortId}, {"NAME", "name"}};
  Json rows = Json::array({{{"id", "0123456789"}, {"name", "two\nlines\x1b[0m"}}});
  std::string table = FormatTable(columns, rows, false);
  CHECK(table ==
        "ID        NAME\n"
        "01234567  two\\nlines\\x1b[0m\n");
  CHECK(table.find('\x1b') == std::string::npos);
  std::string record = FormatRecord(Json{{"k\x1b", "v\nw"}}, false);
  CHECK(record == "k\\x1b: v\\nw\n");
}

TEST_CASE("ChooseTerminalWidth: the terminal, else $COLUMNS, else 80", "[cmd][output]") {
  CHECK(ChooseTerminalWidth(120, "50") == 120);
  CHECK(ChooseTerminalWidth(0, "50") == 50);
  CHECK(ChooseTerminalWidth(-1, nullptr) == 80);
  for (const char* bad : {"", "0", "-5", "abc", "99999999999", "12x", "10001"}) {
    INFO(bad);
    CHECK(ChooseTerminalWidth(0, bad) == 80);
  }
}

TEST_CASE("FormatTable fits the width by narrowing the widest text column", "[cmd][output]") {
  std::vector<Column> columns = {{"ID", "id", Column::kShortId},
                                 {"NAME", "name"},
                                 {"DESCRIPTION", "description", Column::kText, 0}};
  Json rows = Json::array({{{"id", "0123456789abcdef"},
                            {"name", "a rather long board name"},
                            {"description", std::string(60, 'd')}}});
  // Unlimited: 8 + 2 + 24 + 2 + 60 = 96 columns.
  CHECK(FormatTable(columns, rows, false).find(std::string(60, 'd')) != std::string::npos);
  std::string fitted = FormatTable(columns, rows, false, 60);
  INFO(fitted);
  CHECK(fitted ==
        "ID        NAME                      DESCRIPTION\n"
        "01234567  a rather long board name  " +
            std::string(23, 'd') + "\xe2\x80\xa6\n");
  std::string narrower = FormatTable(columns, rows, false, 50);  // both text columns give way
  CHECK(narrower ==
        "ID        NAME                 DESCRIPTION\n"
        "01234567  a rather long boar\xe2\x80\xa6  " +
            std::string(18, 'd') + "\xe2\x80\xa6\n");
  // Too narrow for anything but the floors: text columns stop at max(header, 4); ids stay.
  std::string tight = FormatTable(columns, rows, false, 10);
  CHECK(tight ==
        "ID        NAME  DESCRIPTION\n"
        "01234567  a r\xe2\x80\xa6  dddddddddd\xe2\x80\xa6\n");
  CHECK(FormatTable(columns, Json::array(), false, 10) == "ID  NAME  DESCRIPTION\n");
}

}  // namespace agor
