#include "base/utf8.h"

#include <catch2/catch.hpp>

using agor::IsValidUtf8;
using agor::ToValidUtf8;

TEST_CASE("well-formed UTF-8 is accepted at every length") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("\xC3\xA9"));          // é
  CHECK(IsValidUtf8("\xE2\x82\xAC"));      // €
  CHECK(IsValidUtf8("\xF0\x9F\x98\x80"));  // 😀
  CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  CHECK(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
}

TEST_CASE("malformed UTF-8 is refused") {
  CHECK_FALSE(IsValidUtf8("\xFF"));
  CHECK_FALSE(IsValidUtf8("\x80"));              // stray continuation
  CHECK_FALSE(IsValidUtf8("\xC3\x28"));          // bad continuation
  CHECK_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xE2\x82"));          // truncated
  CHECK_FALSE(IsValidUtf8(std::string("ok\xF0\x9F\x98", 5)));
}

TEST_CASE("echoed text replaces each bad byte and stops at a byte budget") {
  CHECK(ToValidUtf8("a\xFF"
                    "b") ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(ToValidUtf8("\xC3\x28") == "\xEF\xBF\xBD(");
  CHECK(ToValidUtf8(std::string("a\0b", 3)) ==
        "a\xEF\xBF\xBD"
        "b");  // the store refuses NUL
  CHECK(ToValidUtf8("\xE2\x82\xAC\xE2\x82\xAC", 4) == "\xE2\x82\xAC");
  CHECK(agor::Utf8Prefix("\xE2\x82\xAC\xE2\x82\xAC", 4) == "\xE2\x82\xAC");
  CHECK(agor::Utf8CodePoints("a\xE2\x82\xAC\xF0\x9F\x98\x80") == 3);
}
