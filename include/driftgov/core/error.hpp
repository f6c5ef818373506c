#pragma once
// Two kinds of failure, kept apart in type and wording (docs/architecture.md):
//  * InputError: the user's data, file, option or request is not what was expected. The message names the
//    file, row, column or field and what was expected. The CLI prints it and exits with code 2.
//  * InternalError: a broken invariant, i.e. a bug in driftgov. The CLI prints it with a request to report it.
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

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

[[noreturn]] void throw_internal(const char* file, int line, const std::string& message);

}  // namespace driftgov::core

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
