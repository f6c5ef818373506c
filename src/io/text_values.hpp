#pragma once
// Parsing of text values (CSV fields, CLI arguments) into typed values. Each returns nullopt when the whole
// text is not a valid value of the type; none of them throws.

#include <cstdint>
#include <optional>
#include <string_view>

namespace driftgov::io {

std::string_view trim_spaces(std::string_view text);
// true/false in any letter case.
std::optional<bool> parse_boolean(std::string_view text);
// Decimal integer with optional sign, within the int64 range.
std::optional<std::int64_t> parse_int64(std::string_view text);
// Decimal or scientific notation with optional sign; also nan, inf, infinity in any case (signed).
std::optional<double> parse_double(std::string_view text);
// YYYY-MM-DD as days since 1970-01-01.
std::optional<std::int64_t> parse_date(std::string_view text);
// YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM|+HHMM] as microseconds since the epoch (UTC when a zone
// is given; otherwise the wall-clock value as if UTC). Fractions beyond microseconds are truncated.
std::optional<std::int64_t> parse_timestamp_micros(std::string_view text, bool* has_zone);

}  // namespace driftgov::io
