#include "io/text_values.hpp"

#include <fast_float/fast_float.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>

namespace driftgov::io {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != b[i]) return false;
  }
  return true;
}

bool read_digits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += count;
  out = value;
  return true;
}

std::optional<std::int64_t> days_from_civil(int year, int month, int day) {
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date}.time_since_epoch().count();
}

}  // namespace

std::optional<bool> parse_boolean(std::string_view text) {
  if (equals_ignore_case(text, "true")) return true;
  if (equals_ignore_case(text, "false")) return false;
  return std::nullopt;
}

namespace {

// Up to 18 decimal digits cannot overflow an int64.
constexpr std::size_t kSafeDigits = 18;

// Reads the digits at text[pos...]; stops at the first non-digit. Returns how many it read (at most `limit`,
// beyond which the caller takes the general path).
std::size_t read_decimal_digits(std::string_view text, std::size_t pos, std::size_t limit, std::uint64_t& value) {
  std::size_t count = 0;
  while (pos + count < text.size() && count <= limit) {
    const auto digit = static_cast<unsigned>(text[pos + count]) - '0';
    if (digit > 9) break;
    value = value * 10 + digit;
    ++count;
  }
  return count;
}

}  // namespace

bool parse_int64_general(std::string_view text, std::int64_t& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  // Short decimal integers, the usual CSV case, directly; from_chars for the rest (and the int64 bounds).
  const bool negative = text.front() == '-';
  const std::size_t start = negative ? 1 : 0;
  std::uint64_t magnitude = 0;
  const std::size_t digits = read_decimal_digits(text, start, kSafeDigits, magnitude);
  if (digits > 0 && digits <= kSafeDigits && start + digits == text.size()) {
    out = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
    return true;
  }
  std::int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return false;
  out = value;
  return true;
}

bool parse_double_general(std::string_view text, double& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  // Plain decimals ([-]digits[.digits], at most 18 digits): the integer of all digits is exact, and so is the
  // power of ten up to 1e22, so one correctly rounded division gives the correctly rounded value, which is what
  // fast_float returns for the same text (its own fast path does the same).
  {
    static constexpr double kPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                              1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const bool negative = text.front() == '-';
    std::size_t pos = negative ? 1 : 0;
    std::uint64_t mantissa = 0;
    const std::size_t whole_digits = read_decimal_digits(text, pos, kSafeDigits, mantissa);
    pos += whole_digits;
    std::size_t fraction_digits = 0;
    if (pos + 1 < text.size() && text[pos] == '.' && whole_digits <= kSafeDigits) {
      fraction_digits = read_decimal_digits(text, pos + 1, kSafeDigits - whole_digits, mantissa);
      pos += 1 + fraction_digits;
    }
    if (whole_digits > 0 && pos == text.size() && whole_digits + fraction_digits <= kSafeDigits &&
        mantissa <= (std::uint64_t{1} << 53)) {
      const double value = static_cast<double>(mantissa) / kPowersOfTen[fraction_digits];
      out = negative ? -value : value;
      return true;
    }
  }
  double value = 0;
  const auto result = fast_float::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec == std::errc() && result.ptr == text.data() + text.size()) {
    out = value;
    return true;
  }
  // fast_float accepts nan/inf/infinity; also accept the spellings other tools write.
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && body.front() == '-') {
    negative = true;
    body.remove_prefix(1);
  }
  if (equals_ignore_case(body, "nan")) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (equals_ignore_case(body, "inf") || equals_ignore_case(body, "infinity")) {
    out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  return false;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!read_digits(text, pos, 4, year)) return std::nullopt;
  ++pos;
  if (!read_digits(text, pos, 2, month)) return std::nullopt;
  ++pos;
  if (!read_digits(text, pos, 2, day)) return std::nullopt;
  return days_from_civil(year, month, day);
}

std::optional<std::int64_t> parse_timestamp_micros(std::string_view text, bool* has_zone) {
  *has_zone = false;
  if (text.size() < 16) return std::nullopt;
  auto days = parse_date(text.substr(0, 10));
  if (!days || (text[10] != 'T' && text[10] != ' ')) return std::nullopt;
  std::size_t pos = 11;
  int hour = 0, minute = 0, second = 0;
  if (!read_digits(text, pos, 2, hour) || pos >= text.size() || text[pos] != ':') return std::nullopt;
  ++pos;
  if (!read_digits(text, pos, 2, minute)) return std::nullopt;
  std::int64_t micros_fraction = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!read_digits(text, pos, 2, second)) return std::nullopt;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      std::size_t digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 6) micros_fraction = micros_fraction * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
      for (std::size_t d = digits; d < 6; ++d) micros_fraction *= 10;
    }
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    const char zone = text[pos];
    if (zone == 'Z' || zone == 'z') {
      ++pos;
      *has_zone = true;
    } else if (zone == '+' || zone == '-') {
      ++pos;
      int zone_hours = 0, zone_minutes = 0;
      if (!read_digits(text, pos, 2, zone_hours)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!read_digits(text, pos, 2, zone_minutes)) return std::nullopt;
      offset_seconds = (zone_hours * 3600 + zone_minutes * 60) * (zone == '+' ? 1 : -1);
      *has_zone = true;
    }
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t seconds = *days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * 1000000 + micros_fraction;
}

}  // namespace driftgov::io
