#pragma once
// Dates and timestamps as ISO 8601 text for human-readable output (tables, notes, the `*_iso` JSON fields), through
// core::date_text and core::timestamp_text (one formatter for every output).
// Profiles hold them as numbers (days since 1970-01-01; counts of the type's unit since the epoch).

#include <string>

#include "driftgov/core/types.hpp"

namespace driftgov::stats {

// True for date and timestamp columns.
bool is_time_type(const core::DataType& type);

// `value` in the type's unit as ISO text: "2024-03-01" for dates, "2024-03-01T10:00:00Z" for UTC timestamps
// (fractional seconds only when present; no "Z" for timestamps without time zone). A value that is not a whole
// number of units (a mean) is rounded to the nearest unit. Non-finite values print as "-".
std::string format_time_value(const core::DataType& type, double value);

}  // namespace driftgov::stats
