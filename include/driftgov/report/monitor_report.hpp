#pragma once
// A monitor's report (docs/report.md): reads its metric tables (<monitor>_drift_metrics, _profile_metrics,
// _breaches) through delta::Scan and fills a ReportData. Reads only; the tables are whatever the last refresh
// committed.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "driftgov/monitor/config.hpp"
#include "driftgov/report/report.hpp"

namespace driftgov::report {

struct MonitorReportOptions {
  std::string granularity;  // empty: the monitor's first granularity
  std::optional<std::int64_t> from_us, to_us;  // windows starting in [from, to)
  // The slice the report is about (the whole table when unset); the other slices are listed in the Slices section.
  std::optional<std::pair<std::string, std::string>> slice;
  std::string model_id = "*";  // with model_id_col: the model whose drift is shown
  std::string metric = "population_stability_index";  // any numeric column of the drift metrics table
  std::size_t top_n = 5;
};

// Throws core::InputError for an unknown granularity, metric or slice (naming the ones there are). A monitor that
// never wrote its tables gives a ReportData with empty_reason set, as does a range with no window.
ReportData monitor_report(const monitor::MonitorConfig& monitor, const MonitorReportOptions& options);

}  // namespace driftgov::report
