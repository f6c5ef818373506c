#pragma once
// Time for monitors (docs/monitoring.md, "Windows" and "Scheduling"): Lakehouse Monitoring granularities, the
// windows they cut a timeline into (aligned in a time zone; weeks start on Monday, months are calendar months),
// and Quartz cron schedules with the "is a refresh due" rule of `driftgov monitor run --due`.
//
// Instants are microseconds since 1970-01-01T00:00:00Z (the unit of Delta timestamps), as std::int64_t.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace driftgov::monitor {

enum class TimeUnit { kMinute, kHour, kDay, kWeek, kMonth, kYear };

// One of Lakehouse Monitoring's granularity strings: "5 minutes", "30 minutes", "1 hour", "1 day",
// "1 week" .. "4 weeks", "1 month", "1 year" (singular and plural unit names both accepted, case-insensitive,
// one or more spaces). `text` is the canonical spelling written to the metric tables' `granularity` column.
struct Granularity {
  int count = 1;
  TimeUnit unit = TimeUnit::kDay;
  std::string text;  // canonical: "1 day", "2 weeks", "30 minutes"
  friend bool operator==(const Granularity& a, const Granularity& b) { return a.count == b.count && a.unit == b.unit; }
};

// Throws core::InputError "<context>: expected a granularity such as ..., found '<text>'" listing the legal ones.
Granularity parse_granularity(std::string_view text, std::string_view context);

// An IANA time zone (the system's tzdata, read through date.h), or UTC. The system tzdata lists transitions through
// 2037; for a zone that still changes its clocks then, later years repeat the transitions of the listed year whose
// March 1 falls on the same weekday (which gives the zone's current rule, e.g. "last Sunday of March"). Instants and
// local times must lie in the years 0001..9999: outside, the functions throw core::InputError. Copies are cheap;
// every function is const and thread-safe.
class TimeZone {
 public:
  static TimeZone utc();
  // Throws core::InputError "<context>: unknown time zone '<id>'" (with a close name when there is one).
  static TimeZone named(const std::string& id, std::string_view context = "timezone_id");
  const std::string& id() const;
  // Local wall-clock microseconds (since the local 1970-01-01T00:00) of an instant, and back. Back resolves a
  // wall time in a gap to the instant after the gap, and an ambiguous one to the earlier instant.
  std::int64_t to_local(std::int64_t instant_us) const;
  std::int64_t to_instant(std::int64_t local_us) const;
  // The UTC offset in force at an instant and the instants [begin, end) it holds for (UTC: one period over the
  // supported range). Instants must lie in the years 0001..9999 (core::InputError otherwise).
  struct Period {
    std::int64_t begin = 0;
    std::int64_t end = 0;
    std::int64_t offset_us = 0;  // local minus UTC
  };
  Period period_at(std::int64_t instant_us) const;
  TimeZone(const TimeZone&);
  TimeZone& operator=(const TimeZone&);
  ~TimeZone();

 private:
  TimeZone();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A half-open interval [start, end) of instants.
struct Window {
  std::int64_t start = 0;
  std::int64_t end = 0;
  friend bool operator==(const Window&, const Window&) = default;
  friend auto operator<=>(const Window&, const Window&) = default;
};

// The window holding `instant`. Windows are aligned to local midnight (days and longer), the local hour (hours)
// or multiples of `count` minutes since local midnight; N-week windows are N-week runs of Monday-started weeks
// counted from Monday 1970-01-05; months and years are calendar months and years (N-month runs counted from
// January 1970). Window boundaries are local wall times converted to instants, so a day window on a DST change
// lasts 23 or 25 hours (23.5 on Lord Howe Island). Precisely: the window is the longest run of instants around
// `instant` whose local wall times all lie in one local window. A boundary in a gap falls where the clock jumps;
// when the clock goes back inside a local window, the window holds both passes (the hour "02:00" of an autumn
// change in Europe lasts two hours), and when it goes back past the window's start, each pass is its own window
// (the five minutes "02:30" come twice).
Window window_of(std::int64_t instant_us, const Granularity& granularity, const TimeZone& zone);
// The windows just before and after `window` (a window returned by window_of with the same arguments).
Window previous_window(const Window& window, const Granularity& granularity, const TimeZone& zone);
Window next_window(const Window& window, const Granularity& granularity, const TimeZone& zone);

// A Quartz cron expression: "sec min hour day-of-month month day-of-week [year]" with , - / * ? L W # and
// month/day names (JAN..DEC, SUN..SAT; day-of-week 1 = Sunday as in Quartz), case-insensitive. Exactly one of
// day-of-month and day-of-week is '?'. As in Quartz: a range a-b with a > b wraps past the field's maximum
// (FRI-MON, 22-2); L, L-n, LW and nW (day-of-month) and nL and n#k (day-of-week) stand alone in their field;
// years are 1970..2199 (no year field: every year up to 2199). docs/monitoring-time.md has the rules.
class CronSchedule {
 public:
  // Throws core::InputError "<context>: field <n> (<name>): expected ..., found '<text>'".
  static CronSchedule parse(std::string_view expression, std::string_view context);
  const std::string& text() const;
  // The first fire time strictly after `instant_us`, in `zone`; nullopt when there is none (a year list in the
  // past, or nothing before 2200). Fire times are the matching wall times converted by TimeZone::to_instant: a
  // wall time the clock skips fires once when the clock jumps; a wall time the clock repeats fires at its first
  // occurrence and, for an interval schedule ('*', '-' or '/' in seconds, minutes or hours), at its second too.
  std::optional<std::int64_t> next_fire_after(std::int64_t instant_us, const TimeZone& zone) const;
  CronSchedule(const CronSchedule&);
  CronSchedule& operator=(const CronSchedule&);
  ~CronSchedule();

 private:
  CronSchedule();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `monitor run --due`: a monitor is due when its schedule fired at least once in (last_success, now]; a monitor
// that never succeeded is due. Many missed fire times still make one refresh (catch up once).
bool is_due(const CronSchedule& schedule, const TimeZone& zone, std::optional<std::int64_t> last_success_us,
            std::int64_t now_us);

// "2026-03-29T01:00:00Z" (UTC, microseconds shown only when not zero).
std::string format_instant(std::int64_t instant_us);

}  // namespace driftgov::monitor
