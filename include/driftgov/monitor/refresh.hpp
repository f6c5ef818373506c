#pragma once
// Refreshing a monitor (docs/monitoring.md): reads the monitored Delta table, cuts it into windows, slices and
// model ids, profiles each group, compares it with the baseline (BASELINE drift) and with the previous window
// (CONSECUTIVE drift), evaluates the breach rules, and writes Delta tables under <lakehouse>/<output_schema>/:
//   <monitor>_profile_metrics, <monitor>_drift_metrics   Lakehouse Monitoring's names and columns
//   <monitor>_breaches                                  one row per breach, with a stable breach_id
//   <monitor>_state                                     mergeable profiles per finest window, slice and model id
//   refreshes                                           one row per refresh state change, every monitor
// and one governance telemetry JSON document per refresh (docs/schemas/refresh-telemetry.schema.json).
//
// Incremental: the state table's txn (application id "driftgov.monitor.<name>") records the table version whose
// rows it holds. A refresh diffs the live files of that version and the current one: rows of new files merge into
// their windows' stored profiles; windows holding rows of removed files (a DELETE, MERGE, OVERWRITE, a deletion
// vector, a late label fill) are recomputed from the current version. Output rows of every touched window are
// replaced (replaceWhere on window.start). No new commit: nothing is written.
// Crash safety: the metric tables are written before the state, each commit carrying the txn of the version it
// reflects, so a refresh killed at any point leaves readable tables and the next refresh redoes the rest.
// Concurrency: a refresh holds the storage lock <output>/_driftgov/<monitor>.lock; a second refresh of the same
// monitor is refused (MonitorBusyError) or waits (RefreshOptions::wait_seconds).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "driftgov/io/source.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/config.hpp"

namespace driftgov::monitor {

class MonitorBusyError : public core::InputError {
 public:
  using core::InputError::InputError;
};

struct RefreshOptions {
  bool full = false;            // recompute everything from the table's current version
  std::string trigger = "MANUAL";  // MANUAL | SCHEDULE (monitor run --due)
  double wait_seconds = 0.0;    // wait this long for a running refresh of the same monitor before refusing
  std::optional<std::int64_t> now_us;  // the refresh's clock (tests); default: the system clock
  io::Storage* storage = nullptr;      // every table read and written; nullptr: io::local_storage()
  std::string driftgov_version = "0.1.0";
};

struct Breach {
  std::string breach_id;  // hex SHA-256 prefix of (monitor, rule, granularity, window, slice, model id, column)
  std::string rule;       // the rule as written
  std::string metric;
  std::string granularity;
  std::int64_t window_start = 0, window_end = 0;
  std::optional<std::string> slice_key, slice_value, model_id;
  std::string column_name;
  std::optional<double> value;  // the metric's value (1/0 for verdicts)
  std::string drift_type;       // BASELINE | CONSECUTIVE | "" for profile metrics
  int violation_windows = 1;
};

struct RefreshSummary {
  std::string refresh_id;
  std::string monitor;
  std::string state;  // SUCCESS | FAILED | UP_TO_DATE (no new commit: nothing written)
  bool full = false;
  std::optional<std::int64_t> version_from;  // last version processed before, if any
  std::int64_t version_to = -1;
  std::int64_t rows_read = 0;
  std::int64_t files_read = 0;
  std::int64_t null_timestamp_rows = 0;
  std::int64_t windows_touched = 0;  // output windows rewritten, all granularities
  std::int64_t windows_recomputed = 0;  // finest windows rebuilt from the table (rows removed or changed)
  std::vector<Breach> breaches;      // breaches found in the windows this refresh wrote
  nlohmann::json telemetry;
  std::string telemetry_path;
  double seconds = 0.0;
};

// Refreshes one monitor of `config` (its selected target). Throws MonitorBusyError when another refresh of the
// monitor holds the lock, core::InputError for a table or baseline that does not fit the configuration, and
// core::IOError for storage failures; a failed refresh is recorded as FAILED in the refreshes table first.
RefreshSummary refresh_monitor(const Config& config, const MonitorConfig& monitor, const RefreshOptions& options = {});

// A full refresh whose rows were read elsewhere (driftgov.spark.run_monitor, docs/python.md): each task profiles its
// share of the monitored table's rows at one version into a partial state, the state table's rows (state_schema:
// one row per finest window, slice value and model id, the profile and model quality as JSON); the driver merges
// the partial states and refreshes from them, writing what refresh_monitor writes for that version.

// What the tasks read: the monitored table's current version, and the columns a refresh reads (table order).
struct TableScan {
  std::string table;
  std::int64_t version = -1;
  std::vector<std::string> columns;
};
TableScan refresh_table_scan(const Config& config, const MonitorConfig& monitor,
                             io::Storage& storage = io::local_storage());

struct PartialState {
  core::RecordBatch rows;  // the state table's rows (state_schema), INPUT rows only
  std::int64_t rows_read = 0;
  std::int64_t null_timestamp_rows = 0;
};

// Profiles the rows of `source` (any share of the monitored table's rows at `version`, with at least the
// TableScan's columns) as refresh_monitor profiles the table's rows. Reads no storage. Throws core::InputError
// for a column that does not fit the configuration.
PartialState partial_state(const Config& config, const MonitorConfig& monitor, std::int64_t version,
                           io::Source& source);

// The merged partial states of every row of the monitored table at `version`.
struct TableState {
  std::int64_t version = -1;
  std::vector<core::RecordBatch> rows;  // state rows; rows of the same group are merged in this order
  std::int64_t rows_read = 0;
  std::int64_t null_timestamp_rows = 0;
};

// A full refresh at `state.version` from `state` instead of reading the table: the same lock, refreshes record,
// tables, state table and transaction ids as refresh_monitor with options.full (so a later incremental refresh
// continues from that version). The baseline is read by this process.
RefreshSummary refresh_monitor_from_state(const Config& config, const MonitorConfig& monitor, const TableState& state,
                                          const RefreshOptions& options = {});

// The summary as `driftgov monitor run --json` prints it per monitor (docs/cli.md; without the incidents, which
// governance adds) and driftgov.monitor.run returns it.
nlohmann::json summary_json(const RefreshSummary& summary);

// The output tables of a monitor.
std::string profile_metrics_table(const MonitorConfig& monitor);
std::string drift_metrics_table(const MonitorConfig& monitor);
std::string breaches_table(const MonitorConfig& monitor);
std::string state_table(const MonitorConfig& monitor);
std::string refreshes_table(const MonitorConfig& monitor);
// Creates the monitor's profile_metrics, drift_metrics and breaches tables, empty with their schemas, when absent
// (driftgov deploy); returns the tables created. A refresh needs none of them to exist.
std::vector<std::string> create_output_tables(const MonitorConfig& monitor);

// One refresh as the refreshes table records it (its latest state).
struct RefreshRecord {
  std::string refresh_id, monitor, target, state, trigger, message, config_hash;
  std::int64_t start_time_us = 0;
  std::optional<std::int64_t> end_time_us;
  std::optional<std::int64_t> version_from, version_to;
  std::int64_t rows_read = 0, windows_touched = 0, null_timestamp_rows = 0, monitor_version = 1;
  bool full = false;
};
// Every refresh of `monitor`, oldest first (empty when the table does not exist yet), read from `storage`.
std::vector<RefreshRecord> read_refreshes(const MonitorConfig& monitor, io::Storage& storage = io::local_storage());

}  // namespace driftgov::monitor
