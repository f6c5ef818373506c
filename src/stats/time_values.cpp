#include "stats/time_values.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdint>

namespace driftgov::stats {

bool is_time_type(const core::DataType& type) {
  return type.id == core::TypeId::kDate || type.id == core::TypeId::kTimestamp;
}

std::string format_time_value(const core::DataType& type, double value) {
  if (!std::isfinite(value)) return "-";
  using namespace std::chrono;
  const auto civil = [](std::int64_t days) {
    const year_month_day date{sys_days{std::chrono::days{days}}};
    return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                       static_cast<unsigned>(date.day()));
  };
  const auto units = static_cast<std::int64_t>(std::llround(value));
  if (type.id == core::TypeId::kDate) return civil(units);
  std::int64_t per_second = 1'000'000;
  int digits = 6;
  if (type.unit == core::TimeUnit::kMilli) {
    per_second = 1'000;
    digits = 3;
  } else if (type.unit == core::TimeUnit::kNano) {
    per_second = 1'000'000'000;
    digits = 9;
  }
  constexpr std::int64_t kSecondsPerDay = 86'400;
  // Floor division keeps instants before 1970 on the right day.
  const auto floor_divide = [](std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); };
  const std::int64_t seconds = floor_divide(units, per_second);
  const std::int64_t fraction = units - seconds * per_second;
  const std::int64_t days = floor_divide(seconds, kSecondsPerDay);
  const std::int64_t in_day = seconds - days * kSecondsPerDay;
  std::string text = fmt::format("{}T{:02}:{:02}:{:02}", civil(days), in_day / 3600, in_day / 60 % 60, in_day % 60);
  if (fraction != 0) {
    std::string digits_text = fmt::format("{:0{}}", fraction, digits);
    // Milli-, micro- or nanoseconds, whichever is the shortest exact form.
    while (digits_text.size() > 3 && digits_text.ends_with("000")) digits_text.resize(digits_text.size() - 3);
    text += "." + digits_text;
  }
  if (type.utc) text += "Z";
  return text;
}

}  // namespace driftgov::stats
