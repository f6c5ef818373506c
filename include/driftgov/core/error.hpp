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

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace driftgov::core {

// An option of the library named in a message: a field of an options struct (DriftOptions::alpha is "alpha",
// CsvOptions::infer_rows is "csv.infer_rows"), optionally one entry of a map-valued option (`key`, e.g. the column
// of kind_overrides) and a value suggested for it. The library spells it `field`, `field['key']` or
// `field['key'] = value` (a field with "[]", as "columns[].bins", takes the key there: columns['x'].bins); a front end with its own names for the options (the CLI's flags) spells it its own way
// through InputError::message_with, so no front end has to rewrite message text.
struct OptionName {
  OptionName(std::string field_name, std::string entry_key = {}, std::string suggested_value = {})
      : field(std::move(field_name)), key(std::move(entry_key)), value(std::move(suggested_value)) {}
  std::string field;
  std::string key;
  std::string value;
};
std::string to_string(const OptionName& option);

class InputError : public std::runtime_error {
 public:
  // A piece of a message: text, or the name of an option.
  using Piece = std::variant<std::string, OptionName>;

  explicit InputError(const std::string& message) : std::runtime_error(message) {}
  // A message naming options: what() spells each option by its field name (see OptionName).
  explicit InputError(std::vector<Piece> pieces);

  // The options the message names, in order (empty for a message built from plain text).
  std::vector<OptionName> options() const;
  // The message with every option spelled by `spell` (what() itself when the message names no option).
  std::string message_with(const std::function<std::string(const OptionName&)>& spell) const;

 private:
  std::vector<Piece> pieces_;
};

// An InputError whose message names options: each argument is text (std::string, const char*) or an OptionName,
// e.g. option_error(OptionName{"alpha"}, " must be in (0, 1), got 1.5").
template <typename... Parts>
InputError option_error(Parts&&... parts) {
  return InputError(std::vector<InputError::Piece>{InputError::Piece(std::forward<Parts>(parts))...});
}

// The option's lower bound, worded as DRIFTGOV_USER_CHECK_GE words it: "csv.infer_rows: expected >= 1, got 0".
template <typename Value, typename Bound>
void check_option_at_least(const Value& value, const Bound& bound, const OptionName& option) {
  if (!(value >= bound)) throw option_error(option, fmt::format(": expected >= {}, got {}", bound, value));
}

// Input that uses a feature driftgov does not implement (for example an encrypted Parquet file).
class UnsupportedError : public InputError {
 public:
  explicit UnsupportedError(const std::string& message) : InputError(message) {}
  explicit UnsupportedError(std::vector<Piece> pieces) : InputError(std::move(pieces)) {}
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
