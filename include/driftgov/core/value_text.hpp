#pragma once
// One way to turn a column value into text (the rules, and why, are in docs/value-text.md). `driftgov cat`
// (JSON Lines and CSV) and the CSV writer print values only through these functions. Delta's log formats
// (partition values, file statistics, commit timestamps) are fixed by the Delta protocol; they call the
// primitives below with the options the protocol needs rather than the whole-value functions.
// It lives in core/ so that every layer (the statistics summaries too) prints dates and timestamps one way.
// Every function here is pure and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "driftgov/core/column.hpp"
#include "driftgov/core/types.hpp"

namespace driftgov::core {

// Days since 1970-01-01 as an ISO 8601 proleptic Gregorian date, "2024-02-29". Years outside 0000..9999 take
// the ISO 8601 expanded form with a sign and at least four digits: "+10000-01-01", "-0001-12-31".
std::string date_text(std::int64_t days);

// How a timestamp is laid out; the defaults are the rule for every output but Delta's log.
struct TimestampLayout {
  char separator = 'T';          // between date and time (Delta partition values use ' ')
  bool always_fraction = false;  // false: the fraction only when non-zero; true: always, in the unit's digits
  bool zone_suffix = true;       // a trailing 'Z' on UTC-adjusted timestamps
  // Drop whole groups of three trailing zeros from the fraction: "…:00.250" rather than "…:00.250000" for a
  // microsecond timestamp (human-readable summaries; value text keeps the unit's digits).
  bool shortest_fraction = false;
};

// A count of `unit` since 1970-01-01T00:00:00 as ISO 8601, "2024-02-29T13:05:09.250Z": the fraction has the
// unit's digits (3, 6 or 9), and a UTC-adjusted timestamp (`utc`, Delta's timestamp) ends in Z while one
// without a time zone (Delta's timestamp_ntz) has no suffix. Instants before 1970 round toward the past.
std::string timestamp_text(std::int64_t value, TimeUnit unit, bool utc, TimestampLayout layout = {});

// Shortest text that reads back as the same value in the column's own precision; integral values keep ".0"
// ("3.0", "-0.0") so that they read back as floating point; NaN, Infinity and -Infinity.
std::string floating_text(double value, bool single_precision);

// Standard base64 (RFC 4648, section 4) with '=' padding: "AP8=" for the bytes 00 ff.
std::string binary_text(std::string_view bytes);

// The text of a non-null value (the CSV field before quoting): booleans true/false, integers and decimals in
// all their digits, floating_text, date_text, timestamp_text, strings as they are, binary_text, and structs,
// lists and maps as their JSON text (append_json).
std::string value_text(const Column& column, std::int64_t row);

// Appends the JSON text of the value at `row` (null for a null): integers (of every width, unsigned 64-bit and
// decimals of scale 0) are JSON numbers with all their digits, decimals with a fraction JSON strings with exactly
// `scale` fraction digits, floating-point numbers JSON numbers except NaN, Infinity and -Infinity (JSON strings), booleans
// true/false, strings JSON strings (invalid UTF-8 replaced by U+FFFD), dates, timestamps and binary the
// strings of date_text, timestamp_text and binary_text, structs objects, lists arrays, maps objects keyed by
// the key's value_text.
void append_json(std::string& out, const Column& column, std::int64_t row);

// Appends `text` as a JSON string (quoted and escaped; invalid UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view text);

}  // namespace driftgov::core
