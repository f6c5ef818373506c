// The consolidated dashboard document (docs/export.md, docs/schemas/dashboard.schema.json).
#include <fmt/format.h>

#include <map>
#include <set>
#include <tuple>

#include "dashboard/metric_tables.hpp"
#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"
#include "driftgov/dashboard/export.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/monitor/refresh.hpp"
#include "driftgov/monitor/windows.hpp"

namespace driftgov::dashboard {
namespace {

using nlohmann::json;

// The PSI bands of drift_level (stats::psi_level, docs/statistics.md), stated in the document for its
// readers.
constexpr double kPsiModerate = 0.1;
constexpr double kPsiHigh = 0.25;

// The columns a drift point carries, as the drift_metrics table names them.
const std::vector<std::string> kDriftValues = {
    "data_type",          "drift_test",      "drift_statistic",
    "pvalue_adjusted",    "drift_threshold", "population_stability_index",
    "drift_level",        "drifted",         "drift_reason",
    "percent_null_delta", "dataset_drift",   "share_of_drifted_columns"};
// Model quality on the :table rows of profile_metrics.
const std::vector<std::string> kQualityValues = {"count",
                                                 "labelled_rows",
                                                 "quality_invalid_rows",
                                                 "accuracy_score",
                                                 "precision",
                                                 "recall",
                                                 "f1_score",
                                                 "roc_auc",
                                                 "log_loss",
                                                 "mean_squared_error",
                                                 "root_mean_squared_error",
                                                 "mean_absolute_error",
                                                 "mean_absolute_percentage_error",
                                                 "r2_score",
                                                 "mean_prediction",
                                                 "mean_label"};

std::string text_or(const json& value, const char* fallback) {
  return value.is_string() ? value.get<std::string>() : fallback;
}

json provenance(const char* table, const TableRows& rows, const json& row) {
  return {{"table", table},
          {"table_version", rows.version},
          {"refresh_id", row.value("refresh_id", json(nullptr))}};
}

// Keys of a row: granularity, slice and model id (the model id column renamed to "model_id").
struct Group {
  json granularity, slice_key, slice_value, model_id;
  auto tie() const {
    return std::make_tuple(granularity.dump(), slice_key.dump(), slice_value.dump(), model_id.dump());
  }
  bool operator<(const Group& other) const { return tie() < other.tie(); }
};

Group group_of(const json& row, const std::string& model_id_col) {
  return {row["granularity"], row["slice_key"], row["slice_value"],
          model_id_col.empty() ? json(nullptr) : row[model_id_col]};
}

json window_of(const json& row) {
  const auto& window = row["window"];
  if (!window.is_object()) return nullptr;
  return {{"start", window["start"]}, {"end", window["end"]}};
}

// A row's or point's window start; points order by it (ISO 8601 instants of one form order as text).
std::string start_of(const json& point) {
  const auto& window = point["window"];
  return window.is_object() && window["start"].is_string() ? window["start"].get<std::string>()
                                                           : std::string();
}
bool earlier(const json& a, const json& b) { return start_of(a) < start_of(b); }

json drift_point(const json& row, const TableRows& table) {
  json point = {{"window", window_of(row)}};
  if (row["window_cmp"].is_object()) point["window_cmp"] = row["window_cmp"];
  for (const auto& name : kDriftValues) {
    if (name == "data_type") continue;
    if (row.contains(name) && !row[name].is_null()) point[name] = row[name];
  }
  point["provenance"] = provenance("drift_metrics", table, row);
  return point;
}

TableRows read_output(const std::string& path, const std::string& monitor, std::vector<std::string> columns) {
  try {
    return read_table_rows(path, columns);
  } catch (const core::InputError& error) {
    throw core::InputError(
        fmt::format("monitor '{}': cannot read its table {} ({}); `driftgov monitor run {}` "
                    "writes it",
                    monitor, path, error.what(), monitor));
  }
}

json refresh_records(const TableRows& table, const std::string& monitor) {
  // Each refresh's latest state: a refresh appends RUNNING when it starts and its final row when it ends.
  json records = json::array();
  std::map<std::string, std::size_t> by_id;
  for (const auto& row : table.rows) {
    if (text_or(row["monitor_name"], "") != monitor) continue;
    json record = row;
    record.erase("monitor_name");
    record["provenance"] = {
        {"table", "refreshes"}, {"table_version", table.version}, {"refresh_id", row["refresh_id"]}};
    const auto id = text_or(row["refresh_id"], "");
    const auto found = by_id.find(id);
    if (found == by_id.end()) {
      by_id.emplace(id, records.size());
      records.push_back(std::move(record));
    } else if (record["state"] != "RUNNING" && record["state"] != "PENDING") {
      records[found->second] = std::move(record);
    }
  }
  // Oldest first (a scan yields the table's files in path order, not in commit order).
  std::stable_sort(records.begin(), records.end(), [](const json& a, const json& b) {
    return text_or(a["start_time"], "") < text_or(b["start_time"], "");
  });
  return records;
}

// The breach rules as the configuration hashes them, each with its text as written.
json breach_rules(const monitor::MonitorConfig& monitor, const json& settings) {
  json rules = settings["breach"];
  for (std::size_t i = 0; i < rules.size() && i < monitor.breach.size(); ++i)
    rules[i]["rule"] = monitor.breach[i].text;
  return rules;
}

json quality_values(const json& row) {
  json values = json::object();
  for (const auto& name : kQualityValues) {
    if (row.contains(name) && !row[name].is_null()) values[name] = row[name];
  }
  return values;
}

}  // namespace

json dashboard_document(const monitor::Config& config, const monitor::MonitorConfig& monitor,
                        const DocumentOptions& options) {
  const auto& model_id_col = monitor.model_id_col;
  const auto refreshes_path = monitor::refreshes_table(monitor);
  if (!io::local_storage().is_folder(refreshes_path + "/_delta_log")) {
    throw core::InputError(
        fmt::format("monitor '{}' has no refresh yet (no table {}): run `driftgov monitor run "
                    "{}` first",
                    monitor.name, refreshes_path, monitor.name));
  }
  const auto refresh_table = read_output(refreshes_path, monitor.name, {});
  const json refreshes = refresh_records(refresh_table, monitor.name);
  const json* latest_success = nullptr;
  for (const auto& record : refreshes) {
    if (record["state"] == "SUCCESS") latest_success = &record;
  }
  if (latest_success == nullptr) {
    throw core::InputError(
        fmt::format("monitor '{}' has no successful refresh yet ({} recorded in {}): run "
                    "`driftgov monitor run {}` first",
                    monitor.name, refreshes.size(), refreshes_path, monitor.name));
  }

  std::vector<std::string> group_columns = {"window",      "granularity", "slice_key",
                                            "slice_value", "column_name", "refresh_id"};
  if (!model_id_col.empty()) group_columns.push_back(model_id_col);
  auto drift_columns = group_columns;
  drift_columns.insert(drift_columns.end(), {"window_cmp", "drift_type"});
  drift_columns.insert(drift_columns.end(), kDriftValues.begin(), kDriftValues.end());
  auto profile_columns = group_columns;
  profile_columns.push_back("log_type");
  profile_columns.insert(profile_columns.end(), kQualityValues.begin(), kQualityValues.end());
  const auto drift = read_output(monitor::drift_metrics_table(monitor), monitor.name, drift_columns);
  const auto profile = read_output(monitor::profile_metrics_table(monitor), monitor.name, profile_columns);
  std::vector<std::string> breach_columns = {"breach_id",
                                             "rule",
                                             "metric",
                                             "drift_type",
                                             "granularity",
                                             "window",
                                             "slice_key",
                                             "slice_value",
                                             "column_name",
                                             "value",
                                             "violation_windows",
                                             "logging_table_commit_version",
                                             "refresh_id",
                                             "detected_at"};
  if (!model_id_col.empty()) breach_columns.push_back(model_id_col);
  const auto breaches = read_output(monitor::breaches_table(monitor), monitor.name, breach_columns);

  json document = {{"format", "driftgov.dashboard"},
                   {"format_version", 1},
                   {"generated_at", monitor::format_instant(options.now_us)},
                   {"driftgov_version", options.driftgov_version},
                   {"project", config.project},
                   {"target", config.target},
                   {"monitor", monitor.name},
                   {"table", monitor.table},
                   {"profile_type", monitor::to_string(monitor.profile_type)},
                   {"problem_type",
                    monitor.problem_type ? json(monitor::to_string(*monitor.problem_type)) : json(nullptr)},
                   {"model_id_col", model_id_col.empty() ? json(nullptr) : json(model_id_col)},
                   {"config_hash", monitor.config_hash},
                   {"monitor_version", (*latest_success)["monitor_version"]},
                   {"configuration", monitor::settings_json(monitor)}};
  document["thresholds"] = {{"psi_levels", {{"moderate", kPsiModerate}, {"high", kPsiHigh}}},
                            {"drift", document["configuration"]["drift"]},
                            {"breach_rules", breach_rules(monitor, document["configuration"])}};
  const auto table_entry = [](const TableRows& rows) {
    return json{{"path", rows.path}, {"version", rows.version}};
  };
  document["tables"] = {{"profile_metrics", table_entry(profile)},
                        {"drift_metrics", table_entry(drift)},
                        {"breaches", table_entry(breaches)},
                        {"refreshes", table_entry(refresh_table)}};
  document["latest_refresh"] = *latest_success;
  document["refreshes"] = refreshes;

  // Status: the newest window of every (granularity, slice, model id), against the baseline when there is
  // one.
  const std::string status_type = monitor.baseline ? "BASELINE" : "CONSECUTIVE";
  std::map<Group, std::string> newest;
  for (const auto& row : drift.rows) {
    if (row["drift_type"] != status_type) continue;
    auto& start = newest[group_of(row, model_id_col)];
    start = std::max(start, start_of(row));
  }
  std::map<Group, json> status;
  for (const auto& row : drift.rows) {
    if (row["drift_type"] != status_type) continue;
    const auto group = group_of(row, model_id_col);
    if (start_of(row) != newest[group]) continue;
    auto& entry = status[group];
    if (entry.is_null()) {
      entry = {{"granularity", group.granularity},
               {"slice_key", group.slice_key},
               {"slice_value", group.slice_value},
               {"model_id", group.model_id},
               {"drift_type", status_type},
               {"window", window_of(row)},
               {"dataset_drift", nullptr},
               {"share_of_drifted_columns", nullptr},
               {"drifted_columns", json::array()},
               {"columns", json::array()},
               {"quality", nullptr},
               {"provenance", nullptr}};
    }
    const auto column = text_or(row["column_name"], "");
    if (column == ":table") {
      entry["dataset_drift"] = row["dataset_drift"];
      entry["share_of_drifted_columns"] = row["share_of_drifted_columns"];
      entry["provenance"] = provenance("drift_metrics", drift, row);
      continue;
    }
    auto point = drift_point(row, drift);
    point.erase("window");
    point.erase("window_cmp");
    point.erase("dataset_drift");
    point.erase("share_of_drifted_columns");
    point["column"] = column;
    point["data_type"] = row["data_type"];
    if (row["drifted"] == true) entry["drifted_columns"].push_back(column);
    entry["columns"].push_back(std::move(point));
  }
  // Model quality of each status window (the :table row of profile_metrics).
  for (const auto& row : profile.rows) {
    if (row["log_type"] != "INPUT" || row["column_name"] != ":table") continue;
    const auto found = status.find(group_of(row, model_id_col));
    if (found == status.end() || start_of(row) != newest[found->first]) continue;
    auto values = quality_values(row);
    values["provenance"] = provenance("profile_metrics", profile, row);
    found->second["quality"] = std::move(values);
  }
  const auto severity = [](const json& level) { return level == "high" ? 0 : level == "moderate" ? 1 : 2; };
  document["status"] = json::array();
  for (auto& entry : status) {
    auto& columns = entry.second["columns"];
    std::stable_sort(columns.begin(), columns.end(), [&](const json& a, const json& b) {
      const auto rank_a = severity(a.value("drift_level", json(nullptr)));
      const auto rank_b = severity(b.value("drift_level", json(nullptr)));
      if (rank_a != rank_b) return rank_a < rank_b;
      return a.value("population_stability_index", -1.0) > b.value("population_stability_index", -1.0);
    });
    document["status"].push_back(std::move(entry.second));
  }

  // Trends: every window of the whole table (no slice), per granularity, drift type, model id and column.
  std::map<std::tuple<Group, std::string, std::string>, json> trends;
  for (const auto& row : drift.rows) {
    if (!row["slice_key"].is_null()) continue;
    const auto key = std::make_tuple(group_of(row, model_id_col), text_or(row["drift_type"], ""),
                                     text_or(row["column_name"], ""));
    auto& series = trends[key];
    if (series.is_null()) {
      const auto& group = std::get<0>(key);
      series = {{"granularity", group.granularity}, {"drift_type", std::get<1>(key)},
                {"model_id", group.model_id},       {"column", std::get<2>(key)},
                {"data_type", row["data_type"]},    {"points", json::array()}};
    }
    series["points"].push_back(drift_point(row, drift));
  }
  document["trends"] = json::array();
  for (auto& entry : trends) {
    auto& points = entry.second["points"];
    std::sort(points.begin(), points.end(), earlier);
    document["trends"].push_back(std::move(entry.second));
  }

  // Model quality over windows: the whole table, per granularity and model id.
  std::map<Group, json> quality;
  for (const auto& row : profile.rows) {
    if (row["log_type"] != "INPUT" || row["column_name"] != ":table" || !row["slice_key"].is_null()) continue;
    auto values = quality_values(row);
    if (!values.contains("labelled_rows")) continue;  // no label column: no quality
    const auto group = group_of(row, model_id_col);
    auto& series = quality[group];
    if (series.is_null()) {
      series = {{"granularity", group.granularity}, {"model_id", group.model_id}, {"points", json::array()}};
    }
    values["window"] = window_of(row);
    values["provenance"] = provenance("profile_metrics", profile, row);
    series["points"].push_back(std::move(values));
  }
  document["quality"] = json::array();
  for (auto& entry : quality) {
    auto& points = entry.second["points"];
    std::sort(points.begin(), points.end(), earlier);
    document["quality"].push_back(std::move(entry.second));
  }

  document["breaches"] = json::array();
  for (const auto& row : breaches.rows) {
    json breach = row;
    breach["column"] = row["column_name"];
    breach.erase("column_name");
    breach["model_id"] = model_id_col.empty() ? json(nullptr) : row[model_id_col];
    if (!model_id_col.empty() && model_id_col != "model_id") breach.erase(model_id_col);
    breach["window"] = window_of(row);
    breach["provenance"] = provenance("breaches", breaches, row);
    document["breaches"].push_back(std::move(breach));
  }
  std::sort(document["breaches"].begin(), document["breaches"].end(), [](const json& a, const json& b) {
    return std::make_tuple(a["window"].dump(), a["breach_id"].dump()) <
           std::make_tuple(b["window"].dump(), b["breach_id"].dump());
  });

  if (options.charts) {
    json charts = json::object();
    for (const auto& chart : options.charts(document)) {
      charts[chart.first] = "data:image/svg+xml;base64," + core::binary_text(chart.second);
    }
    document["charts"] = std::move(charts);
  }
  return document;
}

}  // namespace driftgov::dashboard
