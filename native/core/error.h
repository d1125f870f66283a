// SPDX-License-Identifier: MIT
// Native failures are C++ exceptions carrying a kind and file:line; the binding turns every one of
// them into a JS Error whose `code` names the kind (the TS side maps it to a typed error class), so
// no kernel ever aborts the process.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace lcss {

// What went wrong, as the JS side classifies it (src/native.ts maps each to an error class).
enum class ErrorKind : int {
  Argument = 0,     // a number, size or view that a kernel cannot take (validation the TS op missed)
  Index = 1,        // a data-dependent index out of range (indexSelect, gather, ...)
  OutOfMemory = 2,  // an allocation larger than the device can hold, or one the OS refused
  Device = 3,       // a CUDA runtime failure, a device that is not there
};

inline const char* error_code(ErrorKind k) {
  switch (k) {
    case ErrorKind::Argument: return "LCSS_ARGUMENT";
    case ErrorKind::Index: return "LCSS_INDEX";
    case ErrorKind::OutOfMemory: return "LCSS_OUT_OF_MEMORY";
    case ErrorKind::Device: return "LCSS_DEVICE";
  }
  return "LCSS_ARGUMENT";
}

struct Error : std::runtime_error {
  ErrorKind kind;
  explicit Error(const std::string& m, ErrorKind k = ErrorKind::Argument) : std::runtime_error(m), kind(k) {}
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
#define LCSS_CHECK_KIND(kind, cond, ...)                                                           \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      throw ::lcss::Error(::lcss::strfmt(__VA_ARGS__) + " (" __FILE__ ":" LCSS_STR(__LINE__) ")", kind); \
  } while (0)
#define LCSS_CHECK(cond, ...) LCSS_CHECK_KIND(::lcss::ErrorKind::Argument, cond, __VA_ARGS__)
