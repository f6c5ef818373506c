// Monitor windows and cron schedules: every expectation is a calendar fact worked out by hand (weekdays, DST dates
// of the zones' published rules) and written as a UTC wall time, converted here with the standard library's own
// calendar (std::chrono), not date.h.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "driftgov/core/error.hpp"
#include "driftgov/monitor/windows.hpp"

namespace driftgov::monitor {
namespace {

// Microseconds of the UTC wall time y-m-d h:mi:s.
std::int64_t utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count() +
                       h * 3600LL + mi * 60LL + s;
  return seconds * 1'000'000;
}

constexpr std::int64_t kHour = 3'600'000'000LL;

Granularity granularity(const char* text) { return parse_granularity(text, "granularity"); }

std::string error_of(const auto& action) {
  try {
    action();
  } catch (const core::InputError& error) {
    return error.what();
  }
  return "no error";
}

TEST(GranularityTest, AcceptsTheLakehouseSpellings) {
  EXPECT_EQ(granularity("5 minutes").text, "5 minutes");
  EXPECT_EQ(granularity("30 MINUTES").text, "30 minutes");
  EXPECT_EQ(granularity(" 1   Hour ").text, "1 hour");
  EXPECT_EQ(granularity("1 hours").text, "1 hour");
  EXPECT_EQ(granularity("1 day").unit, TimeUnit::kDay);
  EXPECT_EQ(granularity("3 week").text, "3 weeks");
  EXPECT_EQ(granularity("4 Weeks").count, 4);
  EXPECT_EQ(granularity("1 month").unit, TimeUnit::kMonth);
  EXPECT_EQ(granularity("1 years").text, "1 year");
}

TEST(GranularityTest, RefusesOthersListingTheLegalOnes) {
  for (const char* text : {"2 days", "1 fortnight", "", "60 minutes", "1", "5 weeks", "-1 day", "1 day extra"}) {
    const std::string message = error_of([&] { parse_granularity(text, "monitors[0].granularities[1]"); });
    EXPECT_NE(message.find(std::string("monitors[0].granularities[1]: expected a granularity such as '1 day'")),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(std::string("found '") + text + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("'5 minutes', '30 minutes', '1 hour', '1 day', '1 week', '2 weeks', '3 weeks', '4 weeks', "
                           "'1 month', '1 year'"),
              std::string::npos)
        << message;
  }
}

TEST(TimeZoneTest, UnknownNamesSuggestACloseOne) {
  EXPECT_EQ(error_of([] { TimeZone::named("Europe/Berln", "schedule.timezone_id"); }),
            "schedule.timezone_id: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)");
  EXPECT_EQ(error_of([] { TimeZone::named("Nowhere/Xyzzy-Quux-Plugh"); }),
            "timezone_id: unknown time zone 'Nowhere/Xyzzy-Quux-Plugh', expected an IANA name such as 'Europe/Berlin'");
  EXPECT_EQ(TimeZone::named("Europe/Berlin").id(), "Europe/Berlin");
  EXPECT_EQ(TimeZone::utc().id(), "UTC");
}

TEST(TimeZoneTest, GapsResolveAfterTheGapAndFoldsToTheEarlierInstant) {
  const auto berlin = TimeZone::named("Europe/Berlin");
  const auto local = [](int y, unsigned m, unsigned d, int h, int mi) { return utc(y, m, d, h, mi); };
  // 2024-03-31: 02:00 CET became 03:00 CEST at 01:00Z; 02:30 does not exist.
  EXPECT_EQ(berlin.to_instant(local(2024, 3, 31, 2, 30)), utc(2024, 3, 31, 1));
  EXPECT_EQ(berlin.to_instant(local(2024, 3, 31, 3, 0)), utc(2024, 3, 31, 1));
  EXPECT_EQ(berlin.to_instant(local(2024, 3, 31, 1, 59)), utc(2024, 3, 31, 0, 59));
  // 2024-10-27: 03:00 CEST became 02:00 CET at 01:00Z; 02:30 happens at 00:30Z and at 01:30Z.
  EXPECT_EQ(berlin.to_instant(local(2024, 10, 27, 2, 30)), utc(2024, 10, 27, 0, 30));
  EXPECT_EQ(berlin.to_local(utc(2024, 10, 27, 1, 30)), local(2024, 10, 27, 2, 30));
  EXPECT_EQ(berlin.to_local(utc(2024, 10, 27, 0, 30)), local(2024, 10, 27, 2, 30));
}

TEST(TimeZoneTest, InstantsOutsideTheSupportedYearsAreInputErrors) {
  const auto berlin = TimeZone::named("Europe/Berlin");
  EXPECT_NE(error_of([&] { berlin.to_local(INT64_MAX); }).find("outside the supported years 0001..9999"),
            std::string::npos);
  EXPECT_NE(error_of([&] { (void)window_of(INT64_MIN, granularity("1 day"), TimeZone::utc()); }).find("outside"),
            std::string::npos);
}

TEST(WindowTest, UtcCalendarWindows) {
  const auto zone = TimeZone::utc();
  EXPECT_EQ(window_of(utc(2024, 3, 31, 12), granularity("1 day"), zone), (Window{utc(2024, 3, 31), utc(2024, 4, 1)}));
  EXPECT_EQ(window_of(utc(2024, 3, 31, 12, 7, 3), granularity("5 minutes"), zone),
            (Window{utc(2024, 3, 31, 12, 5), utc(2024, 3, 31, 12, 10)}));
  EXPECT_EQ(window_of(utc(2024, 3, 31, 12, 30), granularity("30 minutes"), zone),
            (Window{utc(2024, 3, 31, 12, 30), utc(2024, 3, 31, 13)}));
  // 1970-01-01 was a Thursday: its week began on Monday 1969-12-29.
  EXPECT_EQ(window_of(0, granularity("1 week"), zone), (Window{utc(1969, 12, 29), utc(1970, 1, 5)}));
  // Two-week runs start on Monday 1970-01-05; the run before it began on 1969-12-22.
  EXPECT_EQ(window_of(utc(1970, 1, 5), granularity("2 weeks"), zone), (Window{utc(1970, 1, 5), utc(1970, 1, 19)}));
  EXPECT_EQ(window_of(utc(1970, 1, 5) - 1, granularity("2 weeks"), zone),
            (Window{utc(1969, 12, 22), utc(1970, 1, 5)}));
  // 2024-01-01 is a Monday, 19719 days (2817 weeks) after 1970-01-05: 2817 = 3 * 939, so a 3-week run starts there.
  EXPECT_EQ(window_of(utc(2024, 1, 2), granularity("3 weeks"), zone), (Window{utc(2024, 1, 1), utc(2024, 1, 22)}));
  EXPECT_EQ(window_of(utc(2024, 2, 15), granularity("1 month"), zone), (Window{utc(2024, 2, 1), utc(2024, 3, 1)}));
  EXPECT_EQ(window_of(utc(1969, 6, 1), granularity("1 year"), zone), (Window{utc(1969, 1, 1), utc(1970, 1, 1)}));
  EXPECT_EQ(window_of(-1, granularity("1 day"), zone), (Window{utc(1969, 12, 31), 0}));
  EXPECT_EQ(window_of(-1, granularity("1 hour"), zone), (Window{-kHour, 0}));
}

TEST(WindowTest, NeighboursTileTheTimeline) {
  const auto zone = TimeZone::named("Europe/Berlin");
  const auto month = granularity("1 month");
  const Window march = window_of(utc(2024, 3, 15), month, zone);
  EXPECT_EQ(march, (Window{utc(2024, 2, 29, 23), utc(2024, 3, 31, 22)}));
  EXPECT_EQ(previous_window(march, month, zone), (Window{utc(2024, 1, 31, 23), utc(2024, 2, 29, 23)}));
  EXPECT_EQ(next_window(march, month, zone), (Window{utc(2024, 3, 31, 22), utc(2024, 4, 30, 22)}));
}

TEST(WindowTest, DaysOnClockChangesLastAsLongAsTheWallClockSays) {
  const auto berlin = TimeZone::named("Europe/Berlin");
  const auto day = granularity("1 day");
  EXPECT_EQ(window_of(utc(2024, 3, 31, 12), day, berlin), (Window{utc(2024, 3, 30, 23), utc(2024, 3, 31, 22)}));
  EXPECT_EQ(window_of(utc(2024, 10, 27, 12), day, berlin), (Window{utc(2024, 10, 26, 22), utc(2024, 10, 27, 23)}));
  // Lord Howe Island moves its clocks by half an hour: 02:00 (+10:30) became 02:30 (+11) on 2024-10-06.
  const auto lord_howe = TimeZone::named("Australia/Lord_Howe");
  const Window short_day = window_of(utc(2024, 10, 6, 1), day, lord_howe);
  EXPECT_EQ(short_day, (Window{utc(2024, 10, 5, 13, 30), utc(2024, 10, 6, 13)}));
  // After 2037 the zone's rule still applies: New York is on EDT (-4) on 2049-07-01.
  EXPECT_EQ(window_of(utc(2049, 7, 1, 12), day, TimeZone::named("America/New_York")),
            (Window{utc(2049, 7, 1, 4), utc(2049, 7, 2, 4)}));
  // Second Sunday of March 2050 is the 13th: a 23-hour day from 05:00Z to 04:00Z.
  EXPECT_EQ(window_of(utc(2050, 3, 13, 12), day, TimeZone::named("America/New_York")),
            (Window{utc(2050, 3, 13, 5), utc(2050, 3, 14, 4)}));
}

TEST(WindowTest, RepeatedWallTimesKeepTheirLocalWindow) {
  const auto berlin = TimeZone::named("Europe/Berlin");
  // 2024-10-27: wall times 02:00-03:00 run from 00:00Z to 02:00Z; the hour window "02:00" spans both.
  const Window hour = window_of(utc(2024, 10, 27, 1, 30), granularity("1 hour"), berlin);
  EXPECT_EQ(hour, (Window{utc(2024, 10, 27, 0), utc(2024, 10, 27, 2)}));
  EXPECT_EQ(window_of(utc(2024, 10, 27, 0, 10), granularity("1 hour"), berlin), hour);
  // Five-minute windows stay five minutes: 02:30-02:35 occurs twice, as two windows.
  EXPECT_EQ(window_of(utc(2024, 10, 27, 1, 32), granularity("5 minutes"), berlin),
            (Window{utc(2024, 10, 27, 1, 30), utc(2024, 10, 27, 1, 35)}));
  EXPECT_EQ(window_of(utc(2024, 10, 27, 0, 32), granularity("5 minutes"), berlin),
            (Window{utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 0, 35)}));
  // The half hour 02:30-03:00 (CEST) ends where the clock goes back, at 01:00Z.
  EXPECT_EQ(window_of(utc(2024, 10, 27, 0, 45), granularity("30 minutes"), berlin),
            (Window{utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 1)}));
  // Spring: the half hour 03:00-03:30 CEST begins at the skip, 01:00Z; the one before is 01:30-02:00 CET.
  const auto half_hour = granularity("30 minutes");
  const Window after_skip = window_of(utc(2024, 3, 31, 1), half_hour, berlin);
  EXPECT_EQ(after_skip, (Window{utc(2024, 3, 31, 1), utc(2024, 3, 31, 1, 30)}));
  EXPECT_EQ(previous_window(after_skip, half_hour, berlin), (Window{utc(2024, 3, 31, 0, 30), utc(2024, 3, 31, 1)}));
}

std::optional<std::int64_t> next_fire(const char* expression, std::int64_t after,
                                      const TimeZone& zone = TimeZone::utc()) {
  return CronSchedule::parse(expression, "schedule.quartz_cron_expression").next_fire_after(after, zone);
}

TEST(CronScheduleTest, QuartzDayRules) {
  const auto new_year = utc(2024, 1, 1);
  EXPECT_EQ(next_fire("0 0 12 * * ?", utc(2024, 1, 1, 12)), utc(2024, 1, 2, 12));
  EXPECT_EQ(next_fire("0 0 12 * * ?", utc(2024, 1, 1, 11, 59, 59)), utc(2024, 1, 1, 12));
  // Fridays of January 2024: 5, 12, 19, 26.
  EXPECT_EQ(next_fire("0 15 10 ? * 6L", new_year), utc(2024, 1, 26, 10, 15));
  EXPECT_EQ(next_fire("0 15 10 ? * FRIL", new_year), utc(2024, 1, 26, 10, 15));
  EXPECT_EQ(next_fire("0 15 10 ? * 6#3", new_year), utc(2024, 1, 19, 10, 15));
  EXPECT_EQ(next_fire("0 15 10 ? * fri#3", new_year), utc(2024, 1, 19, 10, 15));
  // 'L' alone in day-of-week is Saturday: 2024-01-06.
  EXPECT_EQ(next_fire("0 0 0 ? * L", new_year), utc(2024, 1, 6));
  // June 1st 2024 is a Saturday: 1W moves forward to Monday the 3rd, never back into May.
  EXPECT_EQ(next_fire("0 0 9 1W * ?", utc(2024, 5, 15)), utc(2024, 6, 3, 9));
  // 2024-09-15 is a Sunday: 15W is Monday the 16th. 2024-06-30 is a Sunday and the month's last day: Friday 28th.
  EXPECT_EQ(next_fire("0 0 9 15W * ?", utc(2024, 9, 1)), utc(2024, 9, 16, 9));
  EXPECT_EQ(next_fire("0 0 9 30W * ?", utc(2024, 6, 1)), utc(2024, 6, 28, 9));
  // 31W skips months without a 31st.
  EXPECT_EQ(next_fire("0 0 9 31W * ?", utc(2024, 4, 1)), utc(2024, 5, 31, 9));
  // 2024-08-31 is a Saturday: the last weekday is Friday the 30th.
  EXPECT_EQ(next_fire("0 0 9 LW * ?", utc(2024, 8, 1)), utc(2024, 8, 30, 9));
  EXPECT_EQ(next_fire("0 0 0 L-2 2 ?", new_year), utc(2024, 2, 27));
  EXPECT_EQ(next_fire("0 0 0 L FEB ?", utc(2023, 3, 1)), utc(2024, 2, 29));
  EXPECT_EQ(next_fire("0 0 0 31 * ?", utc(2024, 4, 1)), utc(2024, 5, 31));
  // Wrapping ranges: Friday to Monday, 22:00 to 02:00. 2024-01-03 is a Wednesday, the 8th a Monday.
  EXPECT_EQ(next_fire("0 0 22-2 ? * FRI-MON", utc(2024, 1, 3)), utc(2024, 1, 5, 0));
  EXPECT_EQ(next_fire("0 0 22-2 ? * FRI-MON", utc(2024, 1, 8, 2)), utc(2024, 1, 8, 22));
  EXPECT_EQ(next_fire("0 0 22-2 ? * FRI-MON", utc(2024, 1, 8, 23)), utc(2024, 1, 12, 0));
  EXPECT_EQ(next_fire("50-10/5 * * * * ?", utc(2024, 1, 1, 0, 0, 11)), utc(2024, 1, 1, 0, 0, 50));
  EXPECT_EQ(next_fire("*/20 */15 * * * ?", utc(2024, 1, 1, 0, 0, 40)), utc(2024, 1, 1, 0, 15));
  // Years: the list ends, then nothing fires.
  EXPECT_EQ(next_fire("0 0 12 1 JAN ? 2025,2027", new_year), utc(2025, 1, 1, 12));
  EXPECT_EQ(next_fire("0 0 12 1 JAN ? 2025,2027", utc(2025, 6, 1)), utc(2027, 1, 1, 12));
  EXPECT_EQ(next_fire("0 0 12 ? * * 2020", new_year), std::nullopt);
  EXPECT_EQ(next_fire("0 0 0 30 2 ?", new_year), std::nullopt);
  EXPECT_EQ(next_fire("0 0 0 1 1 ?", utc(2199, 1, 1)), std::nullopt);
  // Before 1970.
  EXPECT_EQ(next_fire("0 0 0 1 1 ?", utc(1960, 6, 1)), utc(1961, 1, 1));
  // Fractions of a second: the next whole matching second.
  EXPECT_EQ(next_fire("* * * * * ?", utc(2024, 1, 1) + 1), utc(2024, 1, 1, 0, 0, 1));
  EXPECT_EQ(next_fire("* * * * * ?", -1), 0);
}

TEST(CronScheduleTest, ClockChanges) {
  const auto berlin = TimeZone::named("Europe/Berlin");
  // 02:30 does not exist on 2024-03-31: the schedule fires when the clock jumps, at 01:00Z (03:00 CEST).
  EXPECT_EQ(next_fire("0 30 2 * * ?", utc(2024, 3, 30, 2), berlin), utc(2024, 3, 31, 1));
  EXPECT_EQ(next_fire("0 30 2 * * ?", utc(2024, 3, 31, 1), berlin), utc(2024, 4, 1, 0, 30));
  // 02:30 happens twice on 2024-10-27: the schedule fires at the first, 00:30Z, and not again at 01:30Z.
  EXPECT_EQ(next_fire("0 30 2 * * ?", utc(2024, 10, 27), berlin), utc(2024, 10, 27, 0, 30));
  EXPECT_EQ(next_fire("0 30 2 * * ?", utc(2024, 10, 27, 0, 30), berlin), utc(2024, 10, 28, 1, 30));
  // An interval schedule fires through both passes: after 02:40 CEST (00:40Z) comes 02:00 CET (01:00Z), then 02:20
  // and 02:40 CET, then 03:00 CET (02:00Z).
  EXPECT_EQ(next_fire("0 */20 * * * ?", utc(2024, 10, 27, 0, 40), berlin), utc(2024, 10, 27, 1));
  EXPECT_EQ(next_fire("0 */20 * * * ?", utc(2024, 10, 27, 1, 10), berlin), utc(2024, 10, 27, 1, 20));
  EXPECT_EQ(next_fire("0 */20 * * * ?", utc(2024, 10, 27, 1, 40), berlin), utc(2024, 10, 27, 2));
  EXPECT_EQ(next_fire("0 30 * * * ?", utc(2024, 10, 27, 0, 30), berlin), utc(2024, 10, 27, 1, 30));
  // A list of plain values is a fixed time: 02:00 and 02:40 fire in the first pass only.
  EXPECT_EQ(next_fire("0 0,40 2,3 * * ?", utc(2024, 10, 27, 0, 40), berlin), utc(2024, 10, 27, 2));
  // Lord Howe Island's clock goes back half an hour, from 02:00 (+11) to 01:30 (+10:30), at 15:00Z on 2024-04-06.
  const auto lord_howe = TimeZone::named("Australia/Lord_Howe");
  EXPECT_EQ(next_fire("0 */15 * * * ?", utc(2024, 4, 6, 14, 45), lord_howe), utc(2024, 4, 6, 15));
  EXPECT_EQ(next_fire("0 */15 * * * ?", utc(2024, 4, 6, 15), lord_howe), utc(2024, 4, 6, 15, 15));
  EXPECT_EQ(next_fire("0 */15 * * * ?", utc(2024, 4, 6, 15, 15), lord_howe), utc(2024, 4, 6, 15, 30));
  EXPECT_EQ(next_fire("0 45 1 * * ?", utc(2024, 4, 6, 14, 45), lord_howe), utc(2024, 4, 7, 15, 15));
}

TEST(CronScheduleTest, ErrorsNameTheFieldAndWhatWasExpected) {
  const auto message = [](const char* expression) {
    return error_of([&] { CronSchedule::parse(expression, "monitors[2].schedule"); });
  };
  EXPECT_EQ(message("0 0 12 * *"),
            "monitors[2].schedule: expected a Quartz cron expression of 6 or 7 fields (seconds minutes hours "
            "day-of-month month day-of-week [year]), such as '0 0 6 * * ?', found 5 fields in '0 0 12 * *'");
  EXPECT_EQ(message("0 61 12 * * ?"), "monitors[2].schedule: field 2 (minutes): expected a value 0..59, found '61'");
  EXPECT_EQ(message("0 5,61 12 * * ?"),
            "monitors[2].schedule: field 2 (minutes): expected a value 0..59, found '61' in '5,61'");
  EXPECT_EQ(message("0 0 12 * * MON"),
            "monitors[2].schedule: field 6 (day-of-week): expected '?' when day-of-month is given (Quartz takes "
            "exactly one of day-of-month and day-of-week; the other is '?'), found 'MON'");
  EXPECT_EQ(message("0 0 12 ? * ?"),
            "monitors[2].schedule: field 4 (day-of-month): expected a day-of-month when day-of-week is '?' (exactly "
            "one of the two is '?'), found '?'");
  EXPECT_NE(message("0 0 12 ? * 2#6").find("field 6 (day-of-week): expected one of L, nL"), std::string::npos);
  EXPECT_NE(message("0 0 12 ? * 1,3L").find("field 6 (day-of-week)"), std::string::npos);
  EXPECT_NE(message("0 0 12 L,15 * ?").find("field 4 (day-of-month): expected one of L, L-n"), std::string::npos);
  EXPECT_NE(message("0 0 12 L-31 * ?").find("field 4 (day-of-month)"), std::string::npos);
  EXPECT_NE(message("0 0 L * * ?").find("field 3 (hours): expected '*', values, ranges, steps or lists ('L' is"),
            std::string::npos);
  EXPECT_NE(message("0 0 12 * JAN-FOO ?").find("field 5 (month): expected a value 1..12 or JAN..DEC, found 'FOO'"),
            std::string::npos);
  EXPECT_NE(message("0 0 12 * * ? 2030-2025").find("field 7 (year): expected a range a-b with a <= b"),
            std::string::npos);
  EXPECT_NE(message("0/0 0 12 * * ?").find("field 1 (seconds): expected a step n in 1..60 after '/'"),
            std::string::npos);
  EXPECT_NE(message("0 0 12 * * ? 1969").find("field 7 (year): expected a value 1970..2199"), std::string::npos);
}

TEST(CronScheduleTest, KeepsTheExpressionText) {
  EXPECT_EQ(CronSchedule::parse("  0 0 6 * * ?\t", "cron").text(), "0 0 6 * * ?");
}

TEST(IsDueTest, DueWhenTheScheduleFiredSinceTheLastSuccess) {
  const auto daily = CronSchedule::parse("0 0 12 * * ?", "cron");
  const auto zone = TimeZone::utc();
  EXPECT_TRUE(is_due(daily, zone, std::nullopt, utc(2024, 1, 1)));
  EXPECT_FALSE(is_due(daily, zone, utc(2024, 1, 1, 12), utc(2024, 1, 2, 11, 59, 59)));
  EXPECT_TRUE(is_due(daily, zone, utc(2024, 1, 1, 12), utc(2024, 1, 2, 12)));
  EXPECT_TRUE(is_due(daily, zone, utc(2024, 1, 1, 12), utc(2024, 3, 1)));
  EXPECT_FALSE(is_due(daily, zone, utc(2024, 1, 1, 13), utc(2024, 1, 1, 12)));
  EXPECT_FALSE(is_due(CronSchedule::parse("0 0 12 * * ? 2020", "cron"), zone, utc(2021, 1, 1), utc(2024, 1, 1)));
}

TEST(FormatInstantTest, UtcWithMicrosecondsOnlyWhenPresent) {
  EXPECT_EQ(format_instant(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_instant(utc(2026, 3, 29, 1)), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_instant(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(format_instant(utc(2024, 2, 29, 23, 59, 59) + 120), "2024-02-29T23:59:59.000120Z");
  EXPECT_EQ(format_instant(utc(10000, 1, 1)), "+10000-01-01T00:00:00Z");
}

}  // namespace
}  // namespace driftgov::monitor
