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

}  // namespace agor
