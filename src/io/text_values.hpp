#pragma once
// Parsing of text values (CSV fields, CLI arguments) into typed values. Each returns nullopt (or false) when the
// whole text is not a valid value of the type; none of them throws. The numeric parsers write through an out
// parameter: they run once per CSV field, and an optional<double> returned through memory costs a stalled load.

#include <cstdint>
#include <optional>
#include <string_view>

namespace driftgov::io {

inline std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}
// true/false in any letter case.
std::optional<bool> parse_boolean(std::string_view text);
// Decimal integer with optional sign, within the int64 range.
bool parse_int64(std::string_view text, std::int64_t& out);
// Decimal or scientific notation with optional sign; also nan, inf, infinity in any case (signed).
bool parse_double(std::string_view text, double& out);
// YYYY-MM-DD as days since 1970-01-01.
std::optional<std::int64_t> parse_date(std::string_view text);
// YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM|+HHMM] as microseconds since the epoch (UTC when a zone
// is given; otherwise the wall-clock value as if UTC). Fractions beyond microseconds are truncated.
std::optional<std::int64_t> parse_timestamp_micros(std::string_view text, bool* has_zone);

}  // namespace driftgov::io
