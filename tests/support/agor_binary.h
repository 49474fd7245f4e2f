// The agor binary the end-to-end tests start: $AGOR_BINARY when set, else the one built beside
// them. The sanitizer stage of `make test` runs the normal build's e2e tests against its ASan
// daemon this way, instead of compiling every test again under ASan: the daemon and the CLI
// are what must run sanitized, not the test code.
//
// Force-included into every e2e translation unit (tests/CMakeLists.txt), so `AGOR_BINARY`
// reads the same as the compile-time path it replaces.
#pragma once

#include <cstdlib>

inline const char* AgorBinaryPath() {
  const char* env = std::getenv("AGOR_BINARY");
  return env && *env ? env : AGOR_BUILT_BINARY;
}

#define AGOR_BINARY AgorBinaryPath()
