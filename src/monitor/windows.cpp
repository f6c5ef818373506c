#include "driftgov/monitor/windows.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "driftgov/core/error.hpp"
#include "driftgov/core/text_distance.hpp"
#include "driftgov/core/value_text.hpp"

namespace driftgov::monitor {

namespace {

using std::chrono::microseconds;
using Micros = std::int64_t;

constexpr Micros kSecond = 1'000'000;
constexpr Micros kMinute = 60 * kSecond;
constexpr Micros kHour = 60 * kMinute;
constexpr Micros kDay = 24 * kHour;
// Monday 1970-01-05, the first day of week run 0, in days since 1970-01-01.
constexpr std::int64_t kFirstMonday = 4;
// Instants and wall times are kept within years 1..9999 so that offsets and window ends never overflow and the
// calendar arithmetic of date.h stays in its range.
constexpr Micros kEarliest = -62135596800LL * kSecond;  // 0001-01-01T00:00:00Z
constexpr Micros kLatest = 253402300799LL * kSecond;    // 9999-12-31T23:59:59Z
// The system tzdata ("fat" files) lists transitions through this year; later ones follow from the zone's rule.
constexpr int kLastListedYear = 2037;

Micros floor_div(Micros value, Micros divisor) {
  Micros quotient = value / divisor;
  if ((value % divisor != 0) && ((value < 0) != (divisor < 0))) --quotient;
  return quotient;
}

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

void check_range(Micros value, const char* what) {
  if (value < kEarliest || value > kLatest) {
    throw core::InputError(fmt::format("{} {} is outside the supported years 0001..9999", what, value));
  }
}

date::sys_days sys_day(Micros local_us) { return date::sys_days(date::days(floor_div(local_us, kDay))); }
Micros micros_of(date::sys_days day) { return static_cast<Micros>(day.time_since_epoch().count()) * kDay; }

struct LegalGranularity {
  int count;
  TimeUnit unit;
  const char* text;
};
constexpr std::array<LegalGranularity, 10> kLegalGranularities{{{5, TimeUnit::kMinute, "5 minutes"},
                                                                 {30, TimeUnit::kMinute, "30 minutes"},
                                                                 {1, TimeUnit::kHour, "1 hour"},
                                                                 {1, TimeUnit::kDay, "1 day"},
                                                                 {1, TimeUnit::kWeek, "1 week"},
                                                                 {2, TimeUnit::kWeek, "2 weeks"},
                                                                 {3, TimeUnit::kWeek, "3 weeks"},
                                                                 {4, TimeUnit::kWeek, "4 weeks"},
                                                                 {1, TimeUnit::kMonth, "1 month"},
                                                                 {1, TimeUnit::kYear, "1 year"}}};

std::optional<TimeUnit> unit_named(const std::string& word) {
  static const std::array<std::pair<const char*, TimeUnit>, 6> kUnits{{{"minute", TimeUnit::kMinute},
                                                                       {"hour", TimeUnit::kHour},
                                                                       {"day", TimeUnit::kDay},
                                                                       {"week", TimeUnit::kWeek},
                                                                       {"month", TimeUnit::kMonth},
                                                                       {"year", TimeUnit::kYear}}};
  for (const auto& [name, unit] : kUnits) {
    if (word == name || word == std::string(name) + "s") return unit;
  }
  return std::nullopt;
}

// The local window [start, end) (local wall-clock microseconds) holding the local time `local`.
std::pair<Micros, Micros> local_window(Micros local, const Granularity& granularity) {
  const Micros day_start = floor_div(local, kDay) * kDay;
  switch (granularity.unit) {
    case TimeUnit::kMinute: {
      const Micros length = granularity.count * kMinute;
      const Micros start = day_start + floor_div(local - day_start, length) * length;
      return {start, start + length};
    }
    case TimeUnit::kHour: {
      const Micros start = floor_div(local, kHour) * kHour;
      return {start, start + granularity.count * kHour};
    }
    case TimeUnit::kDay:
      return {day_start, day_start + granularity.count * kDay};
    case TimeUnit::kWeek: {
      const std::int64_t run_days = 7 * static_cast<std::int64_t>(granularity.count);
      const std::int64_t day = floor_div(local, kDay);
      const std::int64_t first = kFirstMonday + floor_div(day - kFirstMonday, run_days) * run_days;
      return {first * kDay, (first + run_days) * kDay};
    }
    case TimeUnit::kMonth:
    case TimeUnit::kYear: {
      const date::year_month_day ymd(sys_day(local));
      const std::int64_t months_per_window = granularity.unit == TimeUnit::kYear ? 12LL * granularity.count
                                                                                  : granularity.count;
      const std::int64_t month_index =
          (static_cast<int>(ymd.year()) - 1970) * 12LL + static_cast<unsigned>(ymd.month()) - 1;
      const std::int64_t first = floor_div(month_index, months_per_window) * months_per_window;
      const auto month_start = [](std::int64_t index) {
        const date::year_month_day start{date::year(static_cast<int>(1970 + floor_div(index, 12))),
                                         date::month(static_cast<unsigned>(index - floor_div(index, 12) * 12 + 1)),
                                         date::day(1)};
        return micros_of(date::sys_days(start));
      };
      return {month_start(first), month_start(first + months_per_window)};
    }
  }
  core::throw_internal(__FILE__, __LINE__, "unknown time unit");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Granularity

Granularity parse_granularity(std::string_view text, std::string_view context) {
  const auto fail = [&]() -> core::InputError {
    std::string legal;
    for (const auto& entry : kLegalGranularities) legal += fmt::format("{}'{}'", legal.empty() ? "" : ", ", entry.text);
    return core::InputError(fmt::format("{}: expected a granularity such as '1 day' (one of {}), found '{}'", context,
                                        legal, text));
  };
  std::vector<std::string> words;
  std::string word;
  for (const char c : text) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  if (words.size() != 2 || words[0].size() > 3 ||
      !std::all_of(words[0].begin(), words[0].end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw fail();
  }
  const int count = std::stoi(words[0]);
  const auto unit = unit_named(lower(words[1]));
  if (!unit) throw fail();
  for (const auto& entry : kLegalGranularities) {
    if (entry.count == count && entry.unit == *unit) return Granularity{count, *unit, entry.text};
  }
  throw fail();
}

// ---------------------------------------------------------------------------------------------------------------
// TimeZone

struct TimeZone::Impl {
  std::string id;
  const date::time_zone* zone = nullptr;  // nullptr: UTC
  // The system tzdata lists a zone's transitions only through 2037 (date.h does not read the rule that follows
  // them). A zone whose last listed transition falls in 2037 still changes its clocks: later years repeat the
  // transitions of a listed year (see period_at).
  bool repeats_rules = false;

  TimeZone::Period listed_period(Micros instant) const {
    const auto info = zone->get_info(date::sys_time<microseconds>(microseconds(instant)));
    const auto to_micros = [](date::sys_seconds time) {
      const auto seconds = time.time_since_epoch().count();
      // date.h marks the first and last periods with the extremes of sys_seconds.
      if (seconds <= kEarliest / kSecond) return kEarliest;
      if (seconds > kLatest / kSecond) return kLatest + 1;
      return static_cast<Micros>(seconds) * kSecond;
    };
    return {to_micros(info.begin), to_micros(info.end), static_cast<Micros>(info.offset.count()) * kSecond};
  }
};

TimeZone::TimeZone() : impl_(std::make_unique<Impl>()) {}
TimeZone::TimeZone(const TimeZone& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
TimeZone& TimeZone::operator=(const TimeZone& other) {
  if (this != &other) *impl_ = *other.impl_;
  return *this;
}
TimeZone::~TimeZone() = default;

TimeZone TimeZone::utc() {
  TimeZone zone;
  zone.impl_->id = "UTC";
  return zone;
}

namespace {

// The zone or link name closest to `id` (case-insensitively, at most a few edits away), or "".
std::string close_zone_name(const std::string& id) {
  const auto& database = date::get_tzdb();
  const std::string wanted = lower(id);
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(3, wanted.size() / 4) + 1;
  const auto consider = [&](const std::string& name) {
    const std::size_t distance = core::edit_distance(wanted, lower(name));
    if (distance < best_distance) {
      best_distance = distance;
      best = name;
    }
  };
  for (const auto& zone : database.zones) consider(zone.name());
  return best;
}

}  // namespace

TimeZone TimeZone::named(const std::string& id, std::string_view context) {
  TimeZone zone;
  zone.impl_->id = id;
  try {
    zone.impl_->zone = date::locate_zone(id);
    const auto last = zone.impl_->zone->get_info(date::sys_days(date::year(9999) / 1 / 1));
    zone.impl_->repeats_rules = date::year_month_day(date::floor<date::days>(last.begin)).year() ==
                                date::year(kLastListedYear);
  } catch (const std::runtime_error&) {
    const std::string close = close_zone_name(id);
    throw core::InputError(fmt::format("{}: unknown time zone '{}'{}", context, id,
                                       close.empty() ? ", expected an IANA name such as 'Europe/Berlin'"
                                                     : fmt::format(" (did you mean '{}'?)", close)));
  }
  return zone;
}

const std::string& TimeZone::id() const { return impl_->id; }

namespace {

Micros start_of_march(int year) { return micros_of(date::sys_days(date::year(year) / date::March / 1)); }

}  // namespace

// Beyond the listed transitions, the year from March 1 of year Y to the end of February of Y+1 (UTC) takes the
// transitions of the latest listed year Y' in 2030..2037 whose March 1 falls on the same weekday, moved by whole
// weeks: rules such as "last Sunday of March" or "first Sunday of October" then give the same transitions (Jan-Feb
// dates follow March 1 of the year before by the same number of days in every year).
TimeZone::Period TimeZone::period_at(std::int64_t instant_us) const {
  check_range(instant_us, "instant");
  if (impl_->zone == nullptr) return {kEarliest, kLatest + 1, 0};
  const Micros horizon = start_of_march(kLastListedYear + 1);
  if (!impl_->repeats_rules || instant_us < horizon) {
    Period period = impl_->listed_period(instant_us);
    if (impl_->repeats_rules && period.end > horizon) period.end = horizon;
    return period;
  }
  const date::year_month_day day{sys_day(instant_us)};
  const int year = static_cast<int>(day.year()) - (day.month() < date::March ? 1 : 0);
  const Micros year_start = start_of_march(year);
  const Micros year_end = year + 1 > 9999 ? kLatest + 1 : start_of_march(year + 1);
  const date::weekday weekday{date::sys_days(date::year(year) / date::March / 1)};
  int listed = kLastListedYear;
  while (date::weekday{date::sys_days(date::year(listed) / date::March / 1)} != weekday) --listed;
  const Micros shift = year_start - start_of_march(listed);
  const Period period = impl_->listed_period(instant_us - shift);
  return {std::max(period.begin + shift, year_start), std::min(period.end + shift, year_end), period.offset_us};
}

std::int64_t TimeZone::to_local(std::int64_t instant_us) const { return instant_us + period_at(instant_us).offset_us; }

// Walks the offset periods that may hold `local_us - offset` (offsets stay within a day and a few hours of UTC),
// earliest first: the first period holding it gives the earlier of two instants in a fold; a local time that falls
// between two periods' local times is in a gap and resolves to the instant the second period begins.
std::int64_t TimeZone::to_instant(std::int64_t local_us) const {
  check_range(local_us, "local time");
  if (impl_->zone == nullptr) return local_us;
  constexpr Micros kReach = 27 * kHour;
  const Micros last = std::min(local_us + kReach, kLatest);
  for (Period period = period_at(std::max(local_us - kReach, kEarliest));;) {
    const Micros candidate = local_us - period.offset_us;
    if (candidate >= period.begin && candidate < period.end) return candidate;
    if (period.end > last) break;
    const Period next = period_at(period.end);
    if (candidate >= period.end && local_us < period.end + next.offset_us) return period.end;
    period = next;
  }
  core::throw_internal(__FILE__, __LINE__,
                       fmt::format("no instant of time zone '{}' for local time {}", impl_->id, local_us));
}

// ---------------------------------------------------------------------------------------------------------------
// Windows

// The window is the longest run of instants around `instant_us` whose local wall times all lie in one local window
// [local_start, local_end). Within one offset period local time runs with the instants, so each end of the run is
// found period by period: it is where the local time reaches a window bound, or an offset change that leaves it.
Window window_of(std::int64_t instant_us, const Granularity& granularity, const TimeZone& zone) {
  const TimeZone::Period here = zone.period_at(instant_us);
  const auto local_bounds = local_window(instant_us + here.offset_us, granularity);
  const auto local_start = local_bounds.first;
  const auto local_end = local_bounds.second;
  const auto outside = [&](Micros local) { return local < local_start || local >= local_end; };
  Window window;
  for (TimeZone::Period period = here;;) {
    if (local_start - period.offset_us > period.begin) {
      window.start = local_start - period.offset_us;
      break;
    }
    const TimeZone::Period before = period.begin > kEarliest ? zone.period_at(period.begin - 1) : period;
    if (before.begin == period.begin || outside(period.begin - 1 + before.offset_us)) {
      window.start = period.begin;
      break;
    }
    period = before;
  }
  for (TimeZone::Period period = here;;) {
    if (local_end - period.offset_us < period.end) {
      window.end = local_end - period.offset_us;
      break;
    }
    const TimeZone::Period after = period.end <= kLatest ? zone.period_at(period.end) : period;
    if (after.end == period.end || outside(period.end + after.offset_us)) {
      window.end = period.end;
      break;
    }
    period = after;
  }
  return window;
}

Window previous_window(const Window& window, const Granularity& granularity, const TimeZone& zone) {
  return window_of(window.start - 1, granularity, zone);
}

Window next_window(const Window& window, const Granularity& granularity, const TimeZone& zone) {
  return window_of(window.end, granularity, zone);
}

// ---------------------------------------------------------------------------------------------------------------
// Cron schedules

namespace {

constexpr int kFirstCronYear = 1970;
constexpr int kLastCronYear = 2199;

struct CronField {
  const char* name;
  int min;
  int max;
  const char* expected;  // the values, as an error message words them
};
constexpr std::array<CronField, 7> kCronFields{{
    {"seconds", 0, 59, "0..59"},
    {"minutes", 0, 59, "0..59"},
    {"hours", 0, 23, "0..23"},
    {"day-of-month", 1, 31, "1..31"},
    {"month", 1, 12, "1..12 or JAN..DEC"},
    {"day-of-week", 1, 7, "1..7 (1 = Sunday) or SUN..SAT"},
    {"year", kFirstCronYear, kLastCronYear, "1970..2199"},
}};
constexpr std::array<const char*, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> kWeekdayNames{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

// How the day is chosen: by day-of-month (a set, L-n, LW, nW) or by day-of-week (a set, nL, n#k).
enum class DayRule { kDaysOfMonth, kLastDayMinus, kLastWeekday, kNearestWeekday, kWeekdays, kLastOfWeekday, kNthWeekday };

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts(1);
  for (const char c : text) {
    if (c == separator) {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.size() <= 9 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Parses one field (upper-cased) of a cron expression; errors name the field and what was found.
class FieldParser {
 public:
  FieldParser(std::string_view context, int number, std::string text)
      : context_(context), number_(number), field_(kCronFields[static_cast<std::size_t>(number - 1)]),
        text_(std::move(text)) {}

  [[noreturn]] void fail(const std::string& expected, std::string_view found) const {
    throw core::InputError(fmt::format("{}: field {} ({}): expected {}, found '{}'{}", context_, number_, field_.name,
                                       expected, found, found == text_ ? "" : fmt::format(" in '{}'", text_)));
  }

  // A value: a number, or a month or weekday name.
  int value(std::string_view token) const {
    const auto names_of = [&]() -> std::pair<const char* const*, std::size_t> {
      if (number_ == 5) return {kMonthNames.data(), kMonthNames.size()};
      if (number_ == 6) return {kWeekdayNames.data(), kWeekdayNames.size()};
      return {nullptr, 0};
    };
    int result = -1;
    if (all_digits(token)) {
      result = std::stoi(std::string(token));
    } else {
      const auto [names, count] = names_of();
      for (std::size_t i = 0; i < count; ++i) {
        if (token == names[i]) result = static_cast<int>(i) + 1;
      }
      if (result < 0) fail(fmt::format("a value {}", field_.expected), token);
    }
    if (result < field_.min || result > field_.max) fail(fmt::format("a value {}", field_.expected), token);
    return result;
  }

  // A list of '*', values, ranges a-b (wrapping past the maximum when a > b, except for years) and steps
  // (*/n, a/n, a-b/n). Returns the set, indexed by value - min.
  std::vector<bool> list() const {
    const int size = field_.max - field_.min + 1;
    std::vector<bool> set(static_cast<std::size_t>(size), false);
    const std::string grammar = fmt::format("'*', a value {}, a range a-b, a step such as */n or a/n, or a list of these",
                                            field_.expected);
    for (const std::string& item : split(text_, ',')) {
      if (item.empty()) fail(grammar, item);
      const auto slash = item.find('/');
      const std::string range = item.substr(0, slash);
      int step = 1;
      if (slash != std::string::npos) {
        const std::string step_text = item.substr(slash + 1);
        if (!all_digits(step_text) || std::stoi(step_text) < 1 || std::stoi(step_text) > size) {
          fail(fmt::format("a step n in 1..{} after '/'", size), item);
        }
        step = std::stoi(step_text);
      }
      int first = field_.min;
      int last = field_.max;
      if (range != "*") {
        const auto dash = range.find('-');
        first = value(range.substr(0, dash));
        if (dash != std::string::npos) {
          last = value(range.substr(dash + 1));
        } else if (slash == std::string::npos) {
          last = first;
        }
        if (first > last && number_ == 7) fail("a range a-b with a <= b", item);
      }
      const int span = (last - first + size) % size;  // a range wraps past the maximum when first > last
      for (int offset = 0; offset <= span; offset += step) {
        set[static_cast<std::size_t>((first - field_.min + offset) % size)] = true;
      }
    }
    return set;
  }

  const std::string& text() const { return text_; }

  // The text with month and weekday names blotted out by '0's (JUL holds an 'L', WED a 'W'), for finding the
  // special characters.
  std::string symbols() const {
    std::string result = text_;
    const auto blot = [&](const auto& names) {
      for (const char* name : names) {
        for (auto at = result.find(name); at != std::string::npos; at = result.find(name, at)) result.replace(at, 3, "000");
      }
    };
    if (number_ == 5) blot(kMonthNames);
    if (number_ == 6) blot(kWeekdayNames);
    return result;
  }

 private:
  std::string_view context_;
  int number_;
  const CronField& field_;
  std::string text_;
};

template <std::size_t N>
std::bitset<N> to_bits(const std::vector<bool>& set, int min) {
  std::bitset<N> bits;
  for (std::size_t i = 0; i < set.size(); ++i) bits[i + static_cast<std::size_t>(min)] = set[i];
  return bits;
}

}  // namespace

struct CronSchedule::Impl {
  std::string text;
  std::bitset<60> seconds;
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<13> months;          // 1..12
  std::bitset<32> days_of_month;   // 1..31, DayRule::kDaysOfMonth
  std::bitset<8> days_of_week;     // 1..7 (1 = Sunday), DayRule::kWeekdays
  std::vector<bool> years;         // kFirstCronYear.., empty: every year
  DayRule rule = DayRule::kDaysOfMonth;
  int day_argument = 0;            // L-n: n; nW: n; nL and n#k: the weekday n
  int nth = 0;                     // n#k: k
  // An interval schedule ('*', '-' or '/' in seconds, minutes or hours) fires through both passes of a wall-clock
  // hour that repeats; a fixed-time schedule ("0 30 2 * * ?") fires once, at the first pass.
  bool interval = false;

  // Day-of-month: a list, or one of L, L-n, LW, nW alone. Day-of-week: a list, or one of L, nL, n#k alone.
  void parse_day_of_month(const FieldParser& field);
  void parse_day_of_week(const FieldParser& field);

  bool year_allowed(int year) const {
    if (years.empty()) return year <= kLastCronYear;
    return year >= kFirstCronYear && year <= kLastCronYear && years[static_cast<std::size_t>(year - kFirstCronYear)];
  }

  bool day_matches(const date::year_month_day& ymd) const {
    const int day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    const int last = static_cast<int>(static_cast<unsigned>(date::year_month_day_last(ymd.year(), date::month_day_last(ymd.month())).day()));
    const auto weekday_of = [&](int of_day) {  // 1 = Sunday .. 7 = Saturday
      return static_cast<int>(date::weekday(date::sys_days(ymd.year() / ymd.month() / of_day)).c_encoding()) + 1;
    };
    switch (rule) {
      case DayRule::kDaysOfMonth:
        return days_of_month[static_cast<std::size_t>(day)];
      case DayRule::kLastDayMinus:
        return day == last - day_argument;
      case DayRule::kLastWeekday: {
        const int weekday = weekday_of(last);
        return day == (weekday == 7 ? last - 1 : weekday == 1 ? last - 2 : last);
      }
      case DayRule::kNearestWeekday: {
        // The weekday nearest to day n, without leaving the month (1W on a Saturday is Monday the 3rd).
        const int target = day_argument;
        if (target > last) return false;
        const int weekday = weekday_of(target);
        int chosen = target;
        if (weekday == 7) chosen = target == 1 ? 3 : target - 1;
        if (weekday == 1) chosen = target == last ? target - 2 : target + 1;
        return day == chosen;
      }
      case DayRule::kWeekdays:
        return days_of_week[static_cast<std::size_t>(weekday_of(day))];
      case DayRule::kLastOfWeekday:
        return weekday_of(day) == day_argument && day + 7 > last;
      case DayRule::kNthWeekday:
        return weekday_of(day) == day_argument && (day - 1) / 7 + 1 == nth;
    }
    return false;
  }

  // The first wall time (whole seconds, local microseconds) at or after `wall` that the expression matches.
  std::optional<Micros> next_match(Micros wall) const {
    while (true) {
      const std::int64_t day_number = floor_div(wall, kDay);
      const date::sys_days day{date::days(day_number)};
      const date::year_month_day ymd(day);
      const int year = static_cast<int>(ymd.year());
      if (year > kLastCronYear) return std::nullopt;
      if (!year_allowed(year)) {
        wall = micros_of(date::sys_days(date::year(year + 1) / 1 / 1));
        continue;
      }
      if (!months[static_cast<unsigned>(ymd.month())]) {
        wall = micros_of(date::sys_days((ymd.year() / ymd.month() + date::months(1)) / 1));
        continue;
      }
      if (day_matches(ymd)) {
        const Micros time = wall - day_number * kDay;
        const int hour = static_cast<int>(time / kHour);
        const int minute = static_cast<int>(time % kHour / kMinute);
        const int second = static_cast<int>(time % kMinute / kSecond);
        for (int h = hour; h < 24; ++h) {
          if (!hours[static_cast<std::size_t>(h)]) continue;
          for (int m = h == hour ? minute : 0; m < 60; ++m) {
            if (!minutes[static_cast<std::size_t>(m)]) continue;
            for (int s = h == hour && m == minute ? second : 0; s < 60; ++s) {
              if (seconds[static_cast<std::size_t>(s)]) return day_number * kDay + h * kHour + m * kMinute + s * kSecond;
            }
          }
        }
      }
      wall = (day_number + 1) * kDay;
    }
  }
};

CronSchedule::CronSchedule() : impl_(std::make_unique<Impl>()) {}
CronSchedule::CronSchedule(const CronSchedule& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
CronSchedule& CronSchedule::operator=(const CronSchedule& other) {
  if (this != &other) *impl_ = *other.impl_;
  return *this;
}
CronSchedule::~CronSchedule() = default;

const std::string& CronSchedule::text() const { return impl_->text; }

CronSchedule CronSchedule::parse(std::string_view expression, std::string_view context) {
  std::vector<std::string> fields;
  std::string current;
  for (const char c : expression) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!current.empty()) fields.push_back(std::move(current));
      current.clear();
    } else {
      current += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  if (!current.empty()) fields.push_back(std::move(current));
  if (fields.size() != 6 && fields.size() != 7) {
    throw core::InputError(fmt::format(
        "{}: expected a Quartz cron expression of 6 or 7 fields (seconds minutes hours day-of-month month "
        "day-of-week [year]), such as '0 0 6 * * ?', found {} field{} in '{}'",
        context, fields.size(), fields.size() == 1 ? "" : "s", expression));
  }
  CronSchedule schedule;
  Impl& impl = *schedule.impl_;
  std::string text(expression);
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  impl.text = text;
  impl.interval = std::any_of(fields.begin(), fields.begin() + 3,
                              [](const std::string& field) { return field.find_first_of("*-/") != std::string::npos; });
  const auto field = [&](int number) { return FieldParser(context, number, fields[static_cast<std::size_t>(number - 1)]); };
  for (int number : {1, 2, 3, 5, 7}) {
    if (number == 7 && fields.size() == 6) break;
    const FieldParser parser = field(number);
    if (const auto symbols = parser.symbols(); symbols.find_first_of("?LW#") != std::string::npos) {
      const char special = symbols[symbols.find_first_of("?LW#")];
      parser.fail(fmt::format("'*', values, ranges, steps or lists ('{}' is allowed only in {})", special,
                              special == '#' ? "day-of-week" : special == 'W' ? "day-of-month" : "day-of-month and day-of-week"),
                  parser.text());
    }
    const auto set = parser.list();
    switch (number) {
      case 1: impl.seconds = to_bits<60>(set, 0); break;
      case 2: impl.minutes = to_bits<60>(set, 0); break;
      case 3: impl.hours = to_bits<24>(set, 0); break;
      case 5: impl.months = to_bits<13>(set, 1); break;
      default: impl.years = set; break;
    }
  }
  const bool any_day_of_month = fields[3] == "?";
  const bool any_day_of_week = fields[5] == "?";
  if (any_day_of_month == any_day_of_week) {
    field(any_day_of_month ? 4 : 6)
        .fail(any_day_of_month ? "a day-of-month when day-of-week is '?' (exactly one of the two is '?')"
                               : "'?' when day-of-month is given (Quartz takes exactly one of day-of-month and "
                                 "day-of-week; the other is '?')",
              fields[any_day_of_month ? 3 : 5]);
  }
  if (any_day_of_week) {
    impl.parse_day_of_month(field(4));
  } else {
    impl.parse_day_of_week(field(6));
  }
  return schedule;
}


void CronSchedule::Impl::parse_day_of_month(const FieldParser& field) {
  const std::string& text = field.text();
  if (text.find_first_of("LW") == std::string::npos) {
    if (text.find_first_of("?#") != std::string::npos) {
      field.fail("'*', days 1..31, ranges, steps or lists, or one of L, L-n, LW, nW ('?' alone; '#' belongs to "
                 "day-of-week)",
                 text);
    }
    rule = DayRule::kDaysOfMonth;
    days_of_month = to_bits<32>(field.list(), 1);
    return;
  }
  const std::string special = "one of L, L-n (n in 0..30), LW or nW (n in 1..31), alone (Quartz does not combine "
                              "them with other days)";
  if (text == "L") {
    rule = DayRule::kLastDayMinus;
    day_argument = 0;
  } else if (text == "LW") {
    rule = DayRule::kLastWeekday;
  } else if (text.size() > 2 && text.starts_with("L-") && all_digits(text.substr(2)) && std::stoi(text.substr(2)) <= 30) {
    rule = DayRule::kLastDayMinus;
    day_argument = std::stoi(text.substr(2));
  } else if (text.size() > 1 && text.back() == 'W' && all_digits(text.substr(0, text.size() - 1)) &&
             std::stoi(text) >= 1 && std::stoi(text) <= 31) {
    rule = DayRule::kNearestWeekday;
    day_argument = std::stoi(text);
  } else {
    field.fail(special, text);
  }
}

void CronSchedule::Impl::parse_day_of_week(const FieldParser& field) {
  const std::string& text = field.text();
  const std::string symbols = field.symbols();
  if (symbols.find_first_of("?W") != std::string::npos) {
    field.fail("'*', days 1..7 (1 = Sunday) or SUN..SAT, ranges, steps or lists, or one of nL, n#k alone ('?' "
               "alone; 'W' belongs to day-of-month)",
               text);
  }
  const std::string special = "one of L, nL (the last weekday n of the month) or n#k (the k-th weekday n, k in 1..5), "
                              "alone (Quartz does not combine them with other days)";
  if (text == "L") {  // Quartz: 'L' alone in day-of-week is 7, Saturday
    rule = DayRule::kWeekdays;
    days_of_week.reset();
    days_of_week[7] = true;
  } else if (const auto hash = text.find('#'); hash != std::string::npos) {
    const std::string occurrence = text.substr(hash + 1);
    if (symbols.find_first_of(",-/L*") != std::string::npos || hash == 0 || !all_digits(occurrence) ||
        std::stoi(occurrence) < 1 || std::stoi(occurrence) > 5) {
      field.fail(special, text);
    }
    rule = DayRule::kNthWeekday;
    day_argument = field.value(text.substr(0, hash));
    nth = std::stoi(occurrence);
  } else if (symbols.back() == 'L') {
    if (symbols.find_first_of(",-/*") != std::string::npos || symbols.find('L') != symbols.size() - 1) {
      field.fail(special, text);
    }
    rule = DayRule::kLastOfWeekday;
    day_argument = field.value(text.substr(0, text.size() - 1));
  } else if (symbols.find('L') != std::string::npos) {
    field.fail(special, text);
  } else {
    rule = DayRule::kWeekdays;
    days_of_week = to_bits<8>(field.list(), 1);
  }
}

namespace {

Micros ceil_to_second(Micros value) { return -floor_div(-value, kSecond) * kSecond; }

}  // namespace

// Fire times are the matching wall times of `zone`, converted by TimeZone::to_instant: a wall time in a gap fires at
// the first instant after the gap, a repeated wall time fires at its first occurrence. That conversion never runs
// backwards, so the first matching wall time whose instant is after `instant_us` is the first such fire. An
// interval schedule also fires in the second pass of repeated wall times: those instants are searched for in the
// folds between `instant_us` and that first fire (or the next two days when there is none).
std::optional<std::int64_t> CronSchedule::next_fire_after(std::int64_t instant_us, const TimeZone& zone) const {
  std::optional<Micros> first_pass;
  for (Micros wall = floor_div(zone.to_local(instant_us), kSecond) * kSecond + kSecond;;) {
    const auto match = impl_->next_match(wall);
    if (!match) break;
    const Micros fire = zone.to_instant(*match);
    if (fire > instant_us) {
      first_pass = fire;
      break;
    }
    wall = *match + kSecond;  // a wall time repeated by a fold that already fired in its first occurrence
  }
  if (!impl_->interval) return first_pass;
  const Micros limit = first_pass ? *first_pass : std::min(instant_us + 2 * kDay, kLatest);
  // A fold ends its period's first `fold` microseconds: the wall times there were already shown once.
  for (TimeZone::Period period = zone.period_at(std::max(instant_us - kDay, kEarliest)); period.begin < limit;) {
    if (period.begin > kEarliest) {
      const Micros fold = zone.period_at(period.begin - 1).offset_us - period.offset_us;
      const Micros from = std::max(period.begin, instant_us + 1);
      const Micros to = std::min({period.begin + fold, period.end, limit});
      if (fold > 0 && from < to) {
        const auto match = impl_->next_match(ceil_to_second(from + period.offset_us));
        if (match && *match - period.offset_us < to) return *match - period.offset_us;
      }
    }
    if (period.end > kLatest) break;
    period = zone.period_at(period.end);
  }
  return first_pass;
}

bool is_due(const CronSchedule& schedule, const TimeZone& zone, std::optional<std::int64_t> last_success_us,
            std::int64_t now_us) {
  if (!last_success_us) return true;
  if (*last_success_us >= now_us) return false;
  const auto fire = schedule.next_fire_after(*last_success_us, zone);
  return fire && *fire <= now_us;
}

std::string format_instant(std::int64_t instant_us) {
  return core::timestamp_text(instant_us, core::TimeUnit::kMicro, /*utc=*/true);
}

}  // namespace driftgov::monitor
