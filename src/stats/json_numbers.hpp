#pragma once
// JSON has no NaN or infinity. driftgov writes them as the strings "NaN", "Infinity" and "-Infinity"
// (docs/json-formats.md) and reads them back.

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

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

}  // namespace driftgov::stats
