#include "cmd/id_resolver.h"

#include <catch2/catch.hpp>

namespace agor {

TEST_CASE("ClassifyId tells ids, prefixes, short prefixes and slugs apart", "[cmd][ids]") {
  CHECK(ClassifyId("") == IdKind::kEmpty);
  CHECK(ClassifyId("1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed") == IdKind::kFullId);
  CHECK(ClassifyId("1B9D6BCD-BBFD-4B2D-9B5D-AB8DFBBD4BED") == IdKind::kFullId);
  CHECK(ClassifyId("1b9d6bcd") == IdKind::kPrefix);
  CHECK(ClassifyId("1b9d6bcd-bb") == IdKind::kPrefix);
  CHECK(ClassifyId("1b9d6bcd-") == IdKind::kPrefix);
  CHECK(ClassifyId("ab12") == IdKind::kShortHex);
  CHECK(ClassifyId("1b9d6bc") == IdKind::kShortHex);
  CHECK(ClassifyId("CAFE") == IdKind::kShortHex);
  CHECK(ClassifyId("sprint-12") == IdKind::kOther);
  CHECK(ClassifyId("1b9d6bcdbb") == IdKind::kOther);  // no dash where a UUID has one
  CHECK(ClassifyId("ab-12") == IdKind::kOther);
  CHECK(ClassifyId("../boards") == IdKind::kOther);
}

TEST_CASE("AcceptsSlug: boards and repos have slugs, the others do not", "[cmd][ids]") {
  CHECK(AcceptsSlug("boards"));
  CHECK(AcceptsSlug("repos"));
  CHECK_FALSE(AcceptsSlug("sessions"));
  CHECK_FALSE(AcceptsSlug("tasks"));
  CHECK_FALSE(AcceptsSlug("messages"));
  CHECK_FALSE(AcceptsSlug("nope"));
}

TEST_CASE("TooShortMessage says how many digits are needed", "[cmd][ids]") {
  CHECK(TooShortMessage("ab12") == "id prefix 'ab12' is too short: give at least 8 hex digits");
}

TEST_CASE("AmbiguousMessage lists the candidates with their names", "[cmd][ids]") {
  Json page = {
      {"total", 3},
      {"limit", 2},
      {"skip", 0},
      {"data",
       {{{"board_id", "abcd1234-0000-4000-8000-000000000001"}, {"name", "alpha"}},
        {{"board_id", "abcd1234-0000-4000-8000-000000000002"}, {"name", "be\x1b[31mta\nx"}}}}};
  CHECK(AmbiguousMessage("abcd1234", "boards", page) ==
        "id prefix 'abcd1234' matches 3 boards: abcd1234-0000-4000-8000-000000000001 (alpha), "
        "abcd1234-0000-4000-8000-000000000002 (be\\x1b[31mta\\x0ax) and 1 more; give more "
        "characters");
  Json sessions = {{"total", 2},
                   {"data",
                    {{{"session_id", "abcd1234-1"}, {"title", nullptr}},
                     {{"session_id", "abcd1234-2"}, {"title", std::string(50, 'x')}}}}};
  std::string line = AmbiguousMessage("abcd1234", "sessions", sessions);
  CHECK(line.find("abcd1234-1, abcd1234-2 (" + std::string(30, 'x') + "\xe2\x80\xa6)") !=
        std::string::npos);
}

}  // namespace agor
