// Fuzzes the Quartz cron reader and the granularity reader: arbitrary text must give a schedule or a
// core::InputError, never a crash or a hang. A schedule that parses must reparse from its text, and its fire times
// must run forwards, in UTC and in a zone with clock changes (Europe/Berlin), around a spring and an autumn change.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "driftgov/core/error.hpp"
#include "driftgov/monitor/windows.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace monitor = driftgov::monitor;
  static const monitor::TimeZone zones[] = {monitor::TimeZone::utc(), monitor::TimeZone::named("Europe/Berlin")};
  // 2024-03-31T00:30:00Z and 2024-10-27T00:30:00Z (Berlin's clock changes at 01:00Z), and 1969-12-31T23:59:59Z.
  static const std::int64_t instants[] = {1711845000000000LL, 1729989000000000LL, -1000000LL};
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    (void)monitor::parse_granularity(input, "fuzz");
  } catch (const driftgov::core::InputError&) {
  }
  try {
    const auto schedule = monitor::CronSchedule::parse(input, "fuzz");
    if (monitor::CronSchedule::parse(schedule.text(), "again").text() != schedule.text()) __builtin_trap();
    for (const auto& zone : zones) {
      for (const std::int64_t instant : instants) {
        std::optional<std::int64_t> fire = schedule.next_fire_after(instant, zone);
        for (int step = 0; fire && step < 3; ++step) {
          const auto after = schedule.next_fire_after(*fire, zone);
          if (after && *after <= *fire) __builtin_trap();
          fire = after;
        }
      }
    }
  } catch (const driftgov::core::InputError&) {
  }
  return 0;
}
