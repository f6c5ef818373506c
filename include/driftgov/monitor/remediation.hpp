#pragma once
// The staged retraining set of a monitor's remediation (docs/governance.md, "Remediation: the staged retraining
// set"): built from production tables, which it only reads, into the remediation target's lakehouse, and validated
// there, the checks recorded beside the data.
//
// The build: the label rows (the spine) within the window, each joined on its keys with every feature source at
// its own timestamp (point in time: the feature row of those keys with the newest timestamp <= the label row's;
// none gives nulls). It is written as a new version of the Delta table <staging>/remediation/<monitor>/candidate
// (an overwrite, so versions accumulate) and the checks as rows appended to
// <staging>/remediation/<monitor>/validations. Every table is opened, and every column found, before anything is
// written: a configuration naming a missing table or column changes nothing. The tables are read whole into
// memory (the columns named only).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/monitor/config.hpp"

namespace driftgov::monitor {

struct StagingCheck {
  std::string check;  // schema, rows_per_slice, not_null(c), min(c), max(c), allowed(c), unique(a,b), ...
  bool passed = true;
  nlohmann::json detail;  // what was measured (counts, examples, metrics)
};

struct StagedSet {
  std::string table;              // the candidate table
  std::int64_t version = -1;      // the version written
  std::int64_t rows = 0;
  // The label rows' window: start exclusive (INT64_MIN without a `window`: every row), end inclusive.
  std::int64_t window_start_us = 0, window_end_us = 0;
  std::string validations_table;
  std::vector<StagingCheck> checks;
  bool passed() const;
  // {"table", "version", "rows", "window", "validations_table", "passed", "failed": [check names]}
  nlohmann::json summary() const;
};

// <lakehouse>/remediation/<monitor>
std::string remediation_folder(const std::string& staging_lakehouse, const std::string& monitor);

// Builds, writes and validates the retraining set of `monitor` (which has a remediation block) under the
// selected target of `config`; `incident_id` is recorded with each check row. Throws core::InputError (naming
// the monitor, the key and the table) for a missing table or column, a staging target that is the selected target
// itself, clashing column names; nothing is written then. `now_us` stamps the check rows.
StagedSet stage_retraining_set(const Config& config, const MonitorConfig& monitor, const std::string& incident_id,
                               std::int64_t now_us);

}  // namespace driftgov::monitor
