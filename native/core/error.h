// SPDX-License-Identifier: MIT
// Native failures are C++ exceptions carrying file:line; the binding turns every one of them into a
// JS Error, so no kernel ever aborts the process.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace lcss {

struct Error : std::runtime_error {
  explicit Error(const std::string& m) : std::runtime_error(m) {}
};

template <typename... Args>
std::string strfmt(const char* fmt, Args... args) {
  int n = std::snprintf(nullptr, 0, fmt, args...);
  std::string s(n > 0 ? size_t(n) : 0, '\0');
  if (n > 0) std::snprintf(&s[0], size_t(n) + 1, fmt, args...);
  return s;
}

inline std::string strfmt(const char* fmt) { return std::string(fmt); }

}  // namespace lcss

#define LCSS_STR2(x) #x
#define LCSS_STR(x) LCSS_STR2(x)
#define LCSS_CHECK(cond, ...)                                                           \
  do {                                                                                  \
    if (!(cond))                                                                        \
      throw ::lcss::Error(::lcss::strfmt(__VA_ARGS__) + " (" __FILE__ ":" LCSS_STR(__LINE__) ")"); \
  } while (0)
