#pragma once
// Two kinds of failure, kept apart in type and wording (docs/architecture.md):
//  * InputError: the user's data, file, option or request is not what was expected. The message names the
//    file, row, column or field and what was expected. The CLI prints it and exits with code 2.
//  * InternalError: a broken invariant, i.e. a bug in driftgov. The CLI prints it with a request to report it.
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
