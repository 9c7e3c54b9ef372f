// A property check for fuzz targets: prints what failed and aborts, so libFuzzer records the
// input as a crash and the seed replayer (a normal ctest) fails. Works without NDEBUG concerns.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace dupipe::fuzz {

inline void check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

}  // namespace dupipe::fuzz
