// Exceptions thrown by launchers. Framework-neutral: the nanobind module maps them to
// Python's ValueError / TypeError / NotImplementedError / RuntimeError, the JAX FFI
// handlers to error codes. Message convention: "<entry>: '<arg>' expected <what>, got <actual>".
#pragma once

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace flash_rt {

enum class ErrorKind { kValue, kType, kNotImplemented, kRuntime };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message) : std::runtime_error(std::move(message)), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// An address printed in hex: `Hex{ptr_as_int}`.
struct Hex {
  std::uintptr_t value;
};

namespace detail {
// Message building without iostreams: a Python process may hold a second libstdc++ (wheels
// built with a toolchain that links it statically), and two copies of the locale machinery
// behind std::ostream crash. snprintf and std::to_string need no locale facets.
inline void append(std::string& s, std::string_view v) { s.append(v); }
inline void append(std::string& s, const char* v) { s.append(v ? v : "(null)"); }
inline void append(std::string& s, const std::string& v) { s.append(v); }
inline void append(std::string& s, char v) { s.push_back(v); }
inline void append(std::string& s, Hex v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v.value));
  s.append(buf);
}
template <typename T>
  requires std::is_arithmetic_v<T>
void append(std::string& s, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(v));
    s.append(buf);
  } else {
    s.append(std::to_string(v));
  }
}

template <typename... Parts>
std::string cat(Parts&&... parts) {
  std::string s;
  (append(s, std::forward<Parts>(parts)), ...);
  return s;
}
}  // namespace detail

template <typename... Parts>
[[noreturn]] void throw_error(ErrorKind kind, Parts&&... parts) {
  throw Error(kind, detail::cat(std::forward<Parts>(parts)...));
}

}  // namespace flash_rt
