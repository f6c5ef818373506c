#pragma once
// The monitor configuration file, driftgov.yaml (docs/monitoring.md, "Configuration"): a project, variables,
// targets (dev/staging/prod, each a lakehouse root) and monitors, shaped like a Databricks Asset Bundle and
// parsed with yaml-cpp.
//
// Loading (load_config) checks the file itself: YAML syntax, known keys (an unknown key gets a "did you mean"),
// value types, granularities, cron expressions, time zones, slicing-expression syntax, breach rules, drift
// options (DriftOptions::validate). Checking against the lakehouse (check_config_tables) opens the tables: the
// monitored table and the baseline must exist, every named column must be in the table's schema, slicing
// expressions must bind to it, and the baseline's schema must hold the monitored columns with the same kinds.
//
// Every problem is a ConfigIssue with the file, line and column (1-based) of the offending YAML node, what was
// found and what was expected; the text form is "<file>:<line>:<column>: <message>".
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "driftgov/core/error.hpp"
#include "driftgov/gov/lineage.hpp"
#include "driftgov/gov/mlflow_mirror.hpp"
#include "driftgov/gov/principals.hpp"
#include "driftgov/monitor/windows.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/profile.hpp"

namespace driftgov::monitor {

struct SourcePosition {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown (a value given on the command line)
  int column = 0;
};

struct ConfigIssue {
  SourcePosition where;
  std::string message;
  std::string text() const;  // "<file>:<line>:<column>: <message>"; "<file>: <message>" when the line is unknown
};

// Thrown by load_config and check_config_tables: every issue found (not only the first), one per line in what().
class ConfigError : public core::InputError {
 public:
  explicit ConfigError(std::vector<ConfigIssue> issues);
  const std::vector<ConfigIssue>& issues() const { return issues_; }

 private:
  std::vector<ConfigIssue> issues_;
};

enum class ProfileType { kSnapshot, kTimeSeries, kInferenceLog };
enum class ProblemType { kClassification, kRegression };
const char* to_string(ProfileType type);
const char* to_string(ProblemType type);

struct BaselineConfig {
  // Exactly one of a Delta table (path resolved like `table`, optionally at a version) or a stored profile file
  // (resolved against the configuration file's folder).
  std::string table;
  std::optional<std::int64_t> version;
  std::string profile;
  SourcePosition where;
};

struct ColumnsConfig {
  std::vector<std::string> include;  // empty: every column except the monitor's own (timestamp, model id, ...)
  std::vector<std::string> exclude;
  std::map<std::string, stats::ColumnKind> kinds;  // `kinds: {zip: categorical}`
};

enum class BreachOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };
const char* to_string(BreachOp op);

// One `breach:` entry. `metric` is `dataset_drift` (the :table row's verdict), a drift_metrics column
// (population_stability_index, js_distance, ks_test, ..., drift_level, drifted) or a profile_metrics column
// (r2_score, accuracy_score, percent_null, ...). For dataset_drift and drifted no op/value is needed (true
// fires). A rule fires for a (slice, model id, column) when `num_violation_windows` consecutive windows of one
// granularity violate it; the breach is reported at the last of them.
struct BreachRule {
  std::string metric;
  std::optional<BreachOp> op;
  std::optional<double> value;
  std::string drift_type = "BASELINE";  // drift metrics only: BASELINE | CONSECUTIVE
  int num_violation_windows = 1;
  std::vector<std::string> columns;  // empty: every column (drift and column metrics), or the :table row
  std::string text;                  // the rule as written, for messages and the breaches table
  SourcePosition where;
};

struct ScheduleConfig {
  CronSchedule cron;
  TimeZone zone = TimeZone::utc();
};

// `remediation:` of a monitor (docs/governance.md, "Remediation: the staged retraining set"): how a breach's
// retraining set is built from production tables into a development target, and how it is validated.
struct RemediationSource {
  std::string table;  // resolved like `table`, against the selected (production) target's lakehouse
  std::vector<std::string> keys;
  std::string timestamp;              // features and labels; empty for the holdout
  std::vector<std::string> columns;   // features: the columns taken; labels: the label column
  std::string position_key;           // "remediation.features[0]", for messages
};

struct Expectation {
  std::vector<std::string> columns;  // one column, or several for `unique`
  bool not_null = false;
  std::optional<double> min, max;
  std::vector<std::string> allowed;  // value texts (core::value_text)
  bool unique = false;
  std::string position_key;  // "remediation.expectations[2]"
};

// remediation.trainer: how `driftgov model train --incident` trains the incident's challenger when no
// --trainer-config is given (docs/governance.md, "The trainer of a remediation"): the fields of a trainer settings
// file (docs/evaluation.md, "Training"), `kind` in place of `trainer`. Checked when the file is loaded.
struct RemediationTrainer {
  std::string kind = "xgboost";  // xgboost | random_forest | command (an external trainer)
  std::string objective;         // built-in: binary:logistic (default) or a reg: objective
  std::string label;             // default: remediation.labels.label
  std::vector<std::string> features;  // default: every column of the set but the label
  std::optional<std::int64_t> rounds;
  std::uint64_t seed = 0;
  std::string format;                         // "" : ubj (built-in), bin (command)
  std::map<std::string, std::string> params;  // built-in: XGBoost parameters
  std::string command;                        // kind command: the shell command
  std::string problem;                        // kind command: classification (default) | regression
  SourcePosition where;
};

struct RemediationConfig {
  std::string target;             // the development target staged into
  std::string staging_lakehouse;  // its lakehouse, resolved
  std::vector<RemediationSource> features;
  RemediationSource labels;       // columns = {label}
  std::string window_text;        // "30 days"; empty: every label row
  std::int64_t window_us = 0;
  std::optional<RemediationSource> holdout;  // table and keys
  std::vector<Expectation> expectations;
  std::string slice;              // a column of the candidate; empty: the whole set is one slice
  std::int64_t min_rows_per_slice = 1;
  std::string drift_metric = "population_stability_index";  // population_stability_index | js_distance
  std::optional<double> max_drift_vs_recent;
  std::string champion_manifest;  // a training manifest (<sha256>.training.json), resolved against the file's folder
  std::string champion_table;     // or a table whose schema the candidate must match
  bool auto_stage = false;
  std::optional<RemediationTrainer> trainer;
  SourcePosition where;
};

struct MonitorConfig {
  std::string name;
  std::string table;  // resolved: an absolute path (or URI) of the Delta table
  ProfileType profile_type = ProfileType::kSnapshot;
  std::string timestamp_col;  // required for time_series and inference_log
  std::vector<Granularity> granularities;  // required for time_series and inference_log
  std::string model_id_col, prediction_col, label_col, prediction_proba_col;
  std::optional<ProblemType> problem_type;  // required for inference_log
  std::optional<BaselineConfig> baseline;
  std::vector<std::string> slicing_exprs;
  ColumnsConfig columns;
  stats::DriftOptions drift;
  std::vector<BreachRule> breach;
  std::optional<ScheduleConfig> schedule;
  std::optional<RemediationConfig> remediation;  // not part of config_hash: it does not change the metrics
  std::string output_schema = "monitoring";
  std::string output_root;  // resolved: <target lakehouse>/<output_schema>
  // SHA-256 (hex) of the monitor's resolved settings, stable across key order and formatting.
  std::string config_hash;
  SourcePosition where;  // the monitor's key
  // Where each key of the monitor was written ("table", "slicing_exprs[1]", "baseline.version", ...), for
  // check_config_tables' messages.
  std::map<std::string, SourcePosition> positions;
  // The time zone of windows: the schedule's timezone_id, or UTC.
  const TimeZone& zone() const;
};

struct TargetConfig {
  std::string name;
  std::string mode;        // development | production
  std::string lakehouse;   // resolved absolute path (or URI)
  bool is_default = false;
};

// `governance:` (docs/governance.md, "Approvals"): settings of the approval and promotion chain.
struct GovernanceConfig {
  std::int64_t approvals_required = 1;  // governance.approvals.required: distinct approvers a request needs
  std::int64_t approval_expiry_us = std::int64_t{72} * 3600 * 1000000;  // governance.approvals.expires ("72h")
  gov::MlflowConfig mlflow;  // governance.registry.mlflow: the MLflow mirror of the model registry
};

struct Config {
  std::string file;     // the configuration file as given
  std::string project;
  std::string target;   // the selected target's name
  std::map<std::string, TargetConfig> targets;
  std::map<std::string, std::string> variables;  // resolved values for the selected target
  std::vector<MonitorConfig> monitors;            // in file order
  // `principals:` (docs/governance.md): users and service principals with their public keys and roles per
  // target; empty when the file declares none.
  gov::Principals principals;
  // `lineage:` (docs/lineage.md): where OpenLineage run events go; disabled when the file has no such block.
  gov::LineageConfig lineage;
  GovernanceConfig governance;
  const TargetConfig& selected_target() const;
  // Throws core::InputError listing the monitors there are.
  const MonitorConfig& monitor(const std::string& name) const;
};

struct LoadOptions {
  std::string target;  // empty: the target with `default: true`, else the only target, else an error
  std::map<std::string, std::string> variables;  // --var k=v, overriding the target's and the defaults
};

// Reads and checks the file (see above). Relative lakehouse paths and profile files resolve against the
// configuration file's folder; `table` resolves against the target's lakehouse unless absolute or a URI.
// Throws ConfigError with every issue found; core::InputError when the file does not exist, core::IOError when
// reading it fails.
Config load_config(const std::string& path, const LoadOptions& options = {});
// The same for a configuration already in memory: `file_name` names it in messages and its folder is the one
// relative paths resolve against.
Config load_config_text(const std::string& text, const std::string& file_name, const LoadOptions& options = {});

// The monitor's resolved settings as JSON (keys sorted; positions left out): config_hash is the SHA-256 of its
// compact text (`dump()`, invalid UTF-8 replaced).
nlohmann::json settings_json(const MonitorConfig& monitor);

// Checks every monitor against its tables (see above). Throws ConfigError with every issue found.
void check_config_tables(const Config& config);
// The same for one monitor's remediation block only: its tables exist and hold the columns it names.
void check_remediation_tables(const Config& config, const MonitorConfig& monitor);

// The metrics a breach rule can name (docs/monitoring.md, "Breaches"). Drift metrics are read from the drift
// metric rows of the rule's drift_type; profile metrics from the profile metric rows (per column, or the :table
// row for the row count and model quality). A rule naming anything else is refused by load_config.
const std::set<std::string>& drift_metric_names();
const std::set<std::string>& profile_metric_names();

// Closest candidate by edit distance, for "did you mean"; empty when nothing is close.
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace driftgov::monitor
