#include "driftgov/core/number_text.hpp"

#include <fmt/format.h>

#include <cmath>
#include <exception>

#include "driftgov/core/error.hpp"

namespace driftgov::core {

double parse_finite_number(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(value)) {
    throw InputError(fmt::format("{}: expected a number, got '{}'", what, text));
  }
  return value;
}

}  // namespace driftgov::core
