// Exceptions thrown by launchers. Framework-neutral: the nanobind module maps them to
// Python's ValueError / TypeError / NotImplementedError / RuntimeError, the JAX FFI
// handlers to error codes. Message convention: "<entry>: '<arg>' expected <what>, got <actual>".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
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

namespace detail {
template <typename... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream s;
  (s << ... << std::forward<Parts>(parts));
  return s.str();
}
}  // namespace detail

template <typename... Parts>
[[noreturn]] void throw_error(ErrorKind kind, Parts&&... parts) {
  throw Error(kind, detail::cat(std::forward<Parts>(parts)...));
}

}  // namespace flash_rt
