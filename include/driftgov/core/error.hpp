#pragma once
// Three kinds of failure, kept apart in type and wording (docs/architecture.md):
//  * InputError: the user's data, file, option or request is not what was expected. The message names the
//    file, row, column or field and what was expected. The CLI prints it and exits with code 2.
//  * IOError: the operating system or the storage failed an operation on a valid request (ENOSPC, EACCES, EIO,
//    a lost connection). The message names the path, the operation and the system's reason. The CLI exits 4.
//  * InternalError: a broken invariant or a misuse of the API (write after close), i.e. a bug in driftgov or
//    its caller. The CLI prints it with a request to report it and exits 1.
// Expected outcomes (a column not found in a lookup, a drift verdict) are return values, never exceptions.

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace driftgov::core {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
};

// Input that uses a feature driftgov does not implement (for example an encrypted Parquet file).
class UnsupportedError : public InputError {
 public:
  explicit UnsupportedError(const std::string& message) : InputError(message) {}
};

class IOError : public std::runtime_error {
 public:
  // `error_number` is an errno value; the message is "<path>: <operation> failed: <strerror>".
  IOError(std::string path, std::string operation, int error_number);
  // For storage failures without an errno (an object store's HTTP status): `reason` replaces strerror.
  IOError(std::string path, std::string operation, int error_number, const std::string& reason);
  const std::string& path() const { return path_; }
  const std::string& operation() const { return operation_; }
  int error_number() const { return error_number_; }

 private:
  std::string path_;
  std::string operation_;
  int error_number_;
};

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

[[noreturn]] void throw_internal(const char* file, int line, const std::string& message);
[[noreturn]] void throw_input(const std::string& message);

}  // namespace driftgov::core

// User check: a failure is the user's mistake (bad option, bad data). The message is the caller's (naming the
// file, line, column or option and what was expected) followed by the operands, e.g.
// DRIFTGOV_USER_CHECK_GE(rows, 1, "--row-group-rows") throws "--row-group-rows: expected >= 1, got 0".
#define DRIFTGOV_USER_CHECK(condition, ...)                                      \
  do {                                                                           \
    if (!(condition)) [[unlikely]] {                                             \
      ::driftgov::core::throw_input(::fmt::format(__VA_ARGS__));                 \
    }                                                                            \
  } while (false)

#define DRIFTGOV_USER_CHECK_OP(value, bound, op, ...)                                                       \
  do {                                                                                                      \
    const auto& driftgov_user_value = (value);                                                              \
    const auto& driftgov_user_bound = (bound);                                                              \
    if (!(driftgov_user_value op driftgov_user_bound)) [[unlikely]] {                                       \
      ::driftgov::core::throw_input(::fmt::format("{}: expected {} {}, got {}", ::fmt::format(__VA_ARGS__), \
                                                  #op, driftgov_user_bound, driftgov_user_value));          \
    }                                                                                                       \
  } while (false)

#define DRIFTGOV_USER_CHECK_GE(value, bound, ...) DRIFTGOV_USER_CHECK_OP(value, bound, >=, __VA_ARGS__)
#define DRIFTGOV_USER_CHECK_GT(value, bound, ...) DRIFTGOV_USER_CHECK_OP(value, bound, >, __VA_ARGS__)
#define DRIFTGOV_USER_CHECK_LE(value, bound, ...) DRIFTGOV_USER_CHECK_OP(value, bound, <=, __VA_ARGS__)
#define DRIFTGOV_USER_CHECK_LT(value, bound, ...) DRIFTGOV_USER_CHECK_OP(value, bound, <, __VA_ARGS__)
#define DRIFTGOV_USER_CHECK_EQ(value, bound, ...) DRIFTGOV_USER_CHECK_OP(value, bound, ==, __VA_ARGS__)

// Invariant check: a failure is a bug in driftgov, never a user's mistake. Prints both operands' text.
#define DRIFTGOV_CHECK(condition, ...)                                                         \
  do {                                                                                         \
    if (!(condition)) [[unlikely]] {                                                           \
      ::driftgov::core::throw_internal(__FILE__, __LINE__,                                     \
                                       std::string("check failed: " #condition " ") +          \
                                           ::fmt::format(__VA_ARGS__));                        \
    }                                                                                          \
  } while (false)

#define DRIFTGOV_CHECK_EQ(a, b)                                                                  \
  do {                                                                                           \
    const auto& driftgov_check_a = (a);                                                          \
    const auto& driftgov_check_b = (b);                                                          \
    if (!(driftgov_check_a == driftgov_check_b)) [[unlikely]] {                                  \
      ::driftgov::core::throw_internal(                                                          \
          __FILE__, __LINE__,                                                                    \
          ::fmt::format("check failed: {} == {} ({} vs {})", #a, #b, driftgov_check_a, driftgov_check_b)); \
    }                                                                                            \
  } while (false)
