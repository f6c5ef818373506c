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

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<bool> parse_boolean(std::string_view text) {
  if (equals_ignore_case(text, "true")) return true;
  if (equals_ignore_case(text, "false")) return false;
  return std::nullopt;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  const auto result = fast_float::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec == std::errc() && result.ptr == text.data() + text.size()) return value;
  // fast_float accepts nan/inf/infinity; also accept the spellings other tools write.
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && body.front() == '-') {
    negative = true;
    body.remove_prefix(1);
  }
  if (equals_ignore_case(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (equals_ignore_case(body, "inf") || equals_ignore_case(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  return std::nullopt;
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
