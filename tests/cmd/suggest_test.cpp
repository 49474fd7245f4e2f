#include "cmd/suggest.h"

#include <catch2/catch.hpp>

namespace agor {
namespace {

const std::vector<std::string> kCommands = {"serve", "board",   "session", "repo",
                                            "task",  "message", "watch",   "prompt"};
const std::vector<std::string> kVerbs = {"list", "ls", "create", "add", "show", "update", "rm"};

}  // namespace

TEST_CASE("EditDistance counts inserts, deletes, substitutions and swaps", "[cmd][suggest]") {
  CHECK(EditDistance("", "") == 0);
  CHECK(EditDistance("board", "board") == 0);
  CHECK(EditDistance("bord", "board") == 1);    // insert
  CHECK(EditDistance("boardd", "board") == 1);  // delete
  CHECK(EditDistance("beard", "board") == 1);   // substitute
  CHECK(EditDistance("lsit", "list") == 1);     // swap of neighbours
  CHECK(EditDistance("", "abc") == 3);
  CHECK(EditDistance("kitten", "sitting") == 3);
}

TEST_CASE("ClosestName suggests a near command and nothing for an unrelated word",
          "[cmd][suggest]") {
  CHECK(ClosestName("bord", kCommands) == "board");
  CHECK(ClosestName("sesion", kCommands) == "session");
  CHECK(ClosestName("promt", kCommands) == "prompt");
  CHECK(ClosestName("wacth", kCommands) == "watch");
  CHECK(ClosestName("mesage", kCommands) == "message");
  CHECK(ClosestName("sess", kCommands) == "session");  // a prefix
  CHECK(ClosestName("frobnicate", kCommands).empty());
  CHECK(ClosestName("x", kCommands).empty());
  CHECK(ClosestName("", kCommands).empty());
  CHECK(ClosestName(std::string(100, 'b'), kCommands).empty());
}

TEST_CASE("ClosestName on resource verbs", "[cmd][suggest]") {
  CHECK(ClosestName("lst", kVerbs) == "list");
  CHECK(ClosestName("craete", kVerbs) == "create");
  CHECK(ClosestName("shwo", kVerbs) == "show");
  CHECK(ClosestName("updte", kVerbs) == "update");
  CHECK(ClosestName("rn", kVerbs) == "rm");
  CHECK(ClosestName("zz", kVerbs).empty());  // two edits from a two-letter verb is no typo
  CHECK(ClosestName("frob", kVerbs).empty());
}

TEST_CASE("DidYouMean is the tail of an unknown-name message", "[cmd][suggest]") {
  CHECK(DidYouMean("bord", kCommands) == ": did you mean 'board'?");
  CHECK(DidYouMean("zzzz", kCommands).empty());
}

}  // namespace agor
