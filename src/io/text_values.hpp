#pragma once
// Parsing of text values (CSV fields, CLI arguments) into typed values. Each returns nullopt (or false) when the
// whole text is not a valid value of the type; none of them throws. The numeric parsers write through an out
// parameter: they run once per CSV field, and an optional<double> returned through memory costs a stalled load.

#include <bit>
#include <cstdint>
#include <cstring>
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
// What parse_int64 and parse_double do beyond their inline fast paths (every text they accept, the same way).
bool parse_int64_general(std::string_view text, std::int64_t& out);
bool parse_double_general(std::string_view text, double& out);

// A decimal of 4 to 8 bytes with one point and digits on both sides ("0.0572", "50469.39"), read as one 64-bit
// word: no loop, so no loop exit to mispredict at a length that varies from field to field. Loads stay within
// the text (two overlapping loads of 4 bytes, or one of 8). False, with the outputs untouched, for anything else.
inline bool parse_short_decimal(const char* text, std::size_t size, std::uint64_t& mantissa, std::size_t& fraction_digits) {
  if (size < 4 || size > 8) return false;
  std::uint64_t word;
  if (size == 8) {
    std::memcpy(&word, text, 8);
  } else {
    std::uint32_t head;
    std::uint32_t tail;
    std::memcpy(&head, text, 4);
    std::memcpy(&tail, text + size - 4, 4);
    // Byte i of the word is text[i]; the bytes beyond the text are zero.
    word = head | (static_cast<std::uint64_t>(tail) << (8 * (size - 4)));
  }
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  // The first '.': a zero byte of word ^ '.'s (the exact test, with no false positives below the first hit).
  const std::uint64_t points = word ^ (kOnes * '.');
  const std::uint64_t zero_bytes = (points - kOnes) & ~points & kHighs;
  if (zero_bytes == 0) return false;
  const std::size_t point = static_cast<std::size_t>(std::countr_zero(zero_bytes)) / 8;
  if (point == 0 || point + 1 >= size) return false;
  // Close the gap of the point: the digits, in text order, in bytes 0 .. size - 2.
  const std::uint64_t below = (std::uint64_t{1} << (8 * point)) - 1;
  const std::uint64_t digits = (word & below) | ((word >> 8) & ~below);
  const std::size_t count = size - 1;
  // Leading '0' characters fill the word to eight digits, the digits moving to its top bytes.
  const std::uint64_t padded = (digits << (8 * (8 - count))) | (0x3030303030303030ULL >> (8 * count));
  // Eight digits: every byte from '0' to '9'.
  if ((((padded + 0x4646464646464646ULL) | (padded - 0x3030303030303030ULL)) & kHighs) != 0) return false;
  std::uint64_t value = padded - 0x3030303030303030ULL;
  value = (value * 10) + (value >> 8);
  value = (((value & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
           (((value >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
          32;
  mantissa = value;
  fraction_digits = size - 1 - point;
  return true;
}


// Decimal integer with optional sign, within the int64 range. Up to 18 digits after an optional '-' inline (the
// usual CSV field, parsed once per row): the call and prologue of the general path cost more than the digits.
inline bool parse_int64(std::string_view text, std::int64_t& out) {
  const std::size_t start = !text.empty() && text.front() == '-' ? 1 : 0;
  if (text.size() > start && text.size() - start <= 18) {
    std::uint64_t magnitude = 0;
    bool digits = true;
    for (std::size_t i = start; i < text.size(); ++i) {
      const unsigned digit = static_cast<unsigned>(static_cast<unsigned char>(text[i])) - '0';
      digits &= digit <= 9;
      magnitude = magnitude * 10 + digit;
    }
    if (digits) {
      out = start == 1 ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
      return true;
    }
  }
  return parse_int64_general(text, out);
}

// Decimal or scientific notation with optional sign; also nan, inf, infinity in any case (signed). Decimals of 4
// to 8 bytes after an optional '-' inline, as for parse_int64: the digits as an exact integer divided by an exact
// power of ten, one correctly rounded division, the correctly rounded value.
inline bool parse_double(std::string_view text, double& out) {
  static constexpr double kPowersOfTen[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
  if (text.size() >= 4 && text.size() <= 9) {
    const std::size_t start = text.front() == '-' ? 1 : 0;
    std::uint64_t mantissa = 0;
    std::size_t fraction_digits = 0;
    if (parse_short_decimal(text.data() + start, text.size() - start, mantissa, fraction_digits)) {
      const double value = static_cast<double>(mantissa) / kPowersOfTen[fraction_digits];
      out = start == 1 ? -value : value;
      return true;
    }
  }
  return parse_double_general(text, out);
}
// YYYY-MM-DD as days since 1970-01-01.
std::optional<std::int64_t> parse_date(std::string_view text);
// YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|+HH:MM|-HH:MM|+HHMM] as microseconds since the epoch (UTC when a zone
// is given; otherwise the wall-clock value as if UTC). Fractions beyond microseconds are truncated.
std::optional<std::int64_t> parse_timestamp_micros(std::string_view text, bool* has_zone);

}  // namespace driftgov::io
