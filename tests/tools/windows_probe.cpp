// Evaluates monitor windows and cron schedules for the Python test suite: one JSON request per line on stdin, one
// JSON result per line on stdout, so a test can compare thousands of instants with zoneinfo in one process.
// Instants are microseconds since 1970-01-01T00:00:00Z.
//
//   {"op":"window","zone":Z,"granularity":G,"instants":[...]}  -> {"windows":[[start,end],...],
//                                                                   "previous":[[s,e],...],"next":[[s,e],...]}
//   {"op":"local","zone":Z,"instants":[...]}                     -> {"local":[...]}
//   {"op":"to_instant","zone":Z,"locals":[...]}                  -> {"instants":[...]}
//   {"op":"cron","zone":Z,"expression":E,"instants":[...]}       -> {"fires":[instant or null,...]}
//   {"op":"parse_cron","expression":E}                           -> {"text":...}
// Z is an IANA name or "UTC". A request that fails yields {"error": "..."} and the probe goes on with the next line.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/monitor/windows.hpp"

namespace {

using nlohmann::json;
namespace monitor = driftgov::monitor;

monitor::TimeZone zone_of(const json& request) {
  const auto id = request.value("zone", std::string("UTC"));
  return id == "UTC" ? monitor::TimeZone::utc() : monitor::TimeZone::named(id, "zone");
}

json pair(const monitor::Window& window) { return json::array({window.start, window.end}); }

json evaluate(const json& request) {
  const auto op = request.at("op").get<std::string>();
  if (op == "window") {
    const auto zone = zone_of(request);
    const auto granularity = monitor::parse_granularity(request.at("granularity").get<std::string>(), "granularity");
    json windows = json::array(), previous = json::array(), next = json::array();
    for (const auto& instant : request.at("instants")) {
      const auto window = monitor::window_of(instant.get<std::int64_t>(), granularity, zone);
      windows.push_back(pair(window));
      previous.push_back(pair(monitor::previous_window(window, granularity, zone)));
      next.push_back(pair(monitor::next_window(window, granularity, zone)));
    }
    return json{{"windows", windows}, {"previous", previous}, {"next", next}, {"granularity", granularity.text}};
  }
  if (op == "local") {
    const auto zone = zone_of(request);
    json local = json::array();
    for (const auto& instant : request.at("instants")) local.push_back(zone.to_local(instant.get<std::int64_t>()));
    return json{{"local", local}};
  }
  if (op == "to_instant") {
    const auto zone = zone_of(request);
    json instants = json::array();
    for (const auto& local : request.at("locals")) instants.push_back(zone.to_instant(local.get<std::int64_t>()));
    return json{{"instants", instants}};
  }
  if (op == "cron") {
    const auto zone = zone_of(request);
    const auto schedule = monitor::CronSchedule::parse(request.at("expression").get<std::string>(), "expression");
    json fires = json::array();
    for (const auto& instant : request.at("instants")) {
      const auto fire = schedule.next_fire_after(instant.get<std::int64_t>(), zone);
      fires.push_back(fire ? json(*fire) : json(nullptr));
    }
    return json{{"fires", fires}};
  }
  if (op == "parse_cron") {
    return json{{"text", monitor::CronSchedule::parse(request.at("expression").get<std::string>(), "expression").text()}};
  }
  return json{{"error", "unknown op '" + op + "'"}};
}

}  // namespace

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    json result;
    try {
      result = evaluate(json::parse(line));
    } catch (const std::exception& error) {
      result = json{{"error", error.what()}};
    }
    std::cout << result.dump() << '\n' << std::flush;
  }
  return 0;
}
