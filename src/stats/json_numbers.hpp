#pragma once
// JSON has no NaN or infinity. driftgov writes them as the strings "NaN", "Infinity" and "-Infinity"
// (docs/json-formats.md) and reads them back.

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "driftgov/core/error.hpp"

namespace driftgov::stats {

inline nlohmann::json number_to_json(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

// Returns NaN for anything that is neither a number nor one of the three strings; callers validate.
inline double number_from_json(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text == "Infinity") return std::numeric_limits<double>::infinity();
    if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  if (value.is_null()) return std::numeric_limits<double>::quiet_NaN();
  return std::numeric_limits<double>::quiet_NaN();
}

// A whole JSON number from `low` to `high`; otherwise a core::InputError naming `context` and `field`. A number with a
// fraction or an exponent is refused rather than converted (converting 3e48 to an integer is undefined).
template <typename Integer>
Integer integer_from_json(const nlohmann::json& value, const std::string& context, std::string_view field,
                          Integer low = std::numeric_limits<Integer>::min(),
                          Integer high = std::numeric_limits<Integer>::max()) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<std::uint64_t>();
    if (std::cmp_greater_equal(number, low) && std::cmp_less_equal(number, high)) return static_cast<Integer>(number);
  } else if (value.is_number_integer()) {
    const auto number = value.get<std::int64_t>();
    if (std::cmp_greater_equal(number, low) && std::cmp_less_equal(number, high)) return static_cast<Integer>(number);
  }
  auto text = value.dump();
  if (text.size() > 40) text = text.substr(0, 40) + "...";
  throw core::InputError(fmt::format("{}: {} must be a whole number from {} to {}, got {}", context, field, low, high,
                                     text));
}

}  // namespace driftgov::stats
