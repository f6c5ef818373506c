// Stand-in for src/monitor/windows.cpp until it is merged: the parsing half of include/driftgov/monitor/windows.hpp
// (granularities, time-zone names, the shape of a Quartz cron expression), enough for the configuration loader.
// Window arithmetic and fire times are not here. Delete this file when src/monitor/windows.cpp exists.
#include <date/tz.h>
#include <fmt/format.h>

#include <cctype>
#include <sstream>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/monitor/windows.hpp"

namespace driftgov::monitor {
namespace {
constexpr const char* kLegalGranularities =
    "'5 minutes', '30 minutes', '1 hour', '1 day', '1 week', '2 weeks', '3 weeks', '4 weeks', '1 month', '1 year'";
}  // namespace

Granularity parse_granularity(std::string_view text, std::string_view context) {
  std::istringstream words{std::string(text)};
  std::string count_text, unit, rest;
  words >> count_text >> unit >> rest;
  for (auto& character : unit) character = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  if (!unit.empty() && unit.back() == 's') unit.pop_back();
  struct Legal {
    int count;
    const char* unit;
    TimeUnit id;
  };
  static const std::vector<Legal> legal = {{5, "minute", TimeUnit::kMinute}, {30, "minute", TimeUnit::kMinute},
                                           {1, "hour", TimeUnit::kHour},     {1, "day", TimeUnit::kDay},
                                           {1, "week", TimeUnit::kWeek},     {2, "week", TimeUnit::kWeek},
                                           {3, "week", TimeUnit::kWeek},     {4, "week", TimeUnit::kWeek},
                                           {1, "month", TimeUnit::kMonth},   {1, "year", TimeUnit::kYear}};
  for (const auto& entry : legal) {
    if (rest.empty() && count_text == std::to_string(entry.count) && unit == entry.unit) {
      return Granularity{entry.count, entry.id, fmt::format("{} {}{}", entry.count, entry.unit, entry.count > 1 ? "s" : "")};
    }
  }
  throw core::InputError(
      fmt::format("{}: expected a granularity such as {}, found '{}'", context, kLegalGranularities, text));
}

struct TimeZone::Impl {
  std::string id;
};
TimeZone::TimeZone() : impl_(std::make_unique<Impl>()) {}
TimeZone::TimeZone(const TimeZone& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
TimeZone& TimeZone::operator=(const TimeZone& other) {
  *impl_ = *other.impl_;
  return *this;
}
TimeZone::~TimeZone() = default;
TimeZone TimeZone::utc() {
  TimeZone zone;
  zone.impl_->id = "UTC";
  return zone;
}
TimeZone TimeZone::named(const std::string& id, std::string_view context) {
  try {
    (void)date::locate_zone(id);
  } catch (const std::runtime_error&) {
    throw core::InputError(fmt::format("{}: unknown time zone '{}'", context, id));
  }
  TimeZone zone;
  zone.impl_->id = id;
  return zone;
}
const std::string& TimeZone::id() const { return impl_->id; }
std::int64_t TimeZone::to_local(std::int64_t) const { throw core::InternalError("TimeZone::to_local: not built"); }
std::int64_t TimeZone::to_instant(std::int64_t) const { throw core::InternalError("TimeZone::to_instant: not built"); }

struct CronSchedule::Impl {
  std::string text;
};
CronSchedule::CronSchedule() : impl_(std::make_unique<Impl>()) {}
CronSchedule::CronSchedule(const CronSchedule& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
CronSchedule& CronSchedule::operator=(const CronSchedule& other) {
  *impl_ = *other.impl_;
  return *this;
}
CronSchedule::~CronSchedule() = default;
CronSchedule CronSchedule::parse(std::string_view expression, std::string_view context) {
  static const char* const names[] = {"seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year"};
  std::istringstream words{std::string(expression)};
  std::vector<std::string> fields;
  for (std::string field; words >> field;) fields.push_back(field);
  if (fields.size() < 6 || fields.size() > 7) {
    throw core::InputError(fmt::format("{}: expected 6 or 7 fields (seconds minutes hours day-of-month month "
                                       "day-of-week [year]), found '{}'", context, expression));
  }
  for (std::size_t index = 0; index < fields.size(); ++index) {
    for (const char character : fields[index]) {
      const bool name_allowed = index >= 3;  // months, day names, L and W only from day-of-month on
      if (!(std::isdigit(static_cast<unsigned char>(character)) ||
            (name_allowed && std::isalpha(static_cast<unsigned char>(character))) ||
            std::string_view(",-*/?#").find(character) != std::string_view::npos)) {
        throw core::InputError(fmt::format("{}: field {} ({}): expected a number, a name or one of , - * / ? L W #, "
                                           "found '{}'", context, index + 1, names[index], fields[index]));
      }
    }
  }
  if ((fields[3] == "?") == (fields[5] == "?")) {
    throw core::InputError(fmt::format("{}: field 6 (day-of-week): expected '?' in exactly one of day-of-month and "
                                       "day-of-week, found '{}'", context, fields[5]));
  }
  CronSchedule schedule;
  schedule.impl_->text = std::string(expression);
  return schedule;
}
const std::string& CronSchedule::text() const { return impl_->text; }
std::optional<std::int64_t> CronSchedule::next_fire_after(std::int64_t, const TimeZone&) const {
  throw core::InternalError("CronSchedule::next_fire_after: not built");
}

}  // namespace driftgov::monitor
