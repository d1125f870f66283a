// SPDX-License-Identifier: MIT
// A minimal test runner for the native harness: TEST(name) registers a function, CHECK records a
// failure with file:line, and main() prints one line per test and a JSON summary that .ci/run adds
// to the suite's count. No dependency beyond the standard library, so the harness builds in every
// sanitizer configuration the addon does.
#pragma once
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace lcss_test {

struct Case {
  const char* name;
  std::function<void()> fn;
};
std::vector<Case>& registry();
void fail(const char* file, int line, const std::string& what);

struct Register {
  Register(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

}  // namespace lcss_test

#define LCSS_TEST_CAT2(a, b) a##b
#define LCSS_TEST_CAT(a, b) LCSS_TEST_CAT2(a, b)
#define TEST(name)                                                                    \
  static void LCSS_TEST_CAT(test_, name)();                                           \
  static ::lcss_test::Register LCSS_TEST_CAT(reg_, name)(#name, LCSS_TEST_CAT(test_, name)); \
  static void LCSS_TEST_CAT(test_, name)()
#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) ::lcss_test::fail(__FILE__, __LINE__, #cond);   \
  } while (0)
#define CHECK_MSG(cond, msg)                                     \
  do {                                                           \
    if (!(cond)) ::lcss_test::fail(__FILE__, __LINE__, msg);     \
  } while (0)
