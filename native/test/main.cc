// SPDX-License-Identifier: MIT
// Runs every registered test (or those whose name contains argv[1]) and writes
// {"numPassedTests":N,"numFailedTests":M,"success":bool} to $LCSS_TEST_JSON when set.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "harness.h"

namespace lcss_test {

std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}

static int g_failures = 0;
void fail(const char* file, int line, const std::string& what) {
  ++g_failures;
  if (g_failures <= 20) std::fprintf(stderr, "    FAILED %s:%d: %s\n", file, line, what.c_str());
}

}  // namespace lcss_test

int main(int argc, char** argv) {
  using namespace lcss_test;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int passed = 0, failed = 0;
  for (const Case& c : registry()) {
    if (filter && !std::strstr(c.name, filter)) continue;
    const int before = g_failures;
    const auto t0 = std::chrono::steady_clock::now();
    try {
      c.fn();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      fail(__FILE__, __LINE__, "uncaught non-standard exception");
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const bool ok = g_failures == before;
    (ok ? passed : failed)++;
    std::fprintf(stderr, "  %s %s (%.0f ms)\n", ok ? "ok  " : "FAIL", c.name, ms);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  if (const char* out = std::getenv("LCSS_TEST_JSON")) {
    if (FILE* f = std::fopen(out, "w")) {
      std::fprintf(f, "{\"numPassedTests\":%d,\"numFailedTests\":%d,\"success\":%s}\n", passed, failed, failed ? "false" : "true");
      std::fclose(f);
    }
  }
  return failed ? 1 : 0;
}
