#include "stats/time_values.hpp"

#include <cmath>
#include <cstdint>

#include "driftgov/core/value_text.hpp"

namespace driftgov::stats {

bool is_time_type(const core::DataType& type) {
  return type.id == core::TypeId::kDate || type.id == core::TypeId::kTimestamp;
}

std::string format_time_value(const core::DataType& type, double value) {
  if (!std::isfinite(value)) return "-";
  // A mean is not a whole number of units: round it to the nearest one.
  const auto units = static_cast<std::int64_t>(std::llround(value));
  if (type.id == core::TypeId::kDate) return core::date_text(units);
  return core::timestamp_text(units, type.unit, type.utc, core::TimestampLayout{.shortest_fraction = true});
}

}  // namespace driftgov::stats
