// JSON-lines output of the CLI, for the end-to-end tests: JsonLines parses `out` line by line
// (every line must be complete: a REQUIRE); QuietJsonLines first checks the command exited 0
// with nothing on stderr. Header-only: it uses Catch's assertions, so only tests include it.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "base/json.h"
#include "tests/support/daemon.h"

namespace agor::test {

inline std::vector<Json> JsonLines(const std::string& out) {
  std::vector<Json> lines;
  size_t start = 0;
  for (size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(Json::parse(out.substr(start, end - start)));
  }
  REQUIRE(start == out.size());  // every line complete
  return lines;
}

inline std::vector<Json> QuietJsonLines(const RunResult& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  return JsonLines(r.out);
}

}  // namespace agor::test
