#include "driftgov/monitor/remediation.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "driftgov/core/error.hpp"
#include "driftgov/core/value_text.hpp"
#include "driftgov/delta/scan.hpp"
#include "driftgov/delta/snapshot.hpp"
#include "driftgov/delta/table_writer.hpp"
#include "driftgov/io/storage.hpp"
#include "driftgov/stats/drift.hpp"
#include "driftgov/stats/profile.hpp"

namespace driftgov::monitor {
namespace {

using nlohmann::json;

constexpr std::int64_t kMicrosPerDay = 86'400'000'000LL;
constexpr std::size_t kExamples = 5;  // rows or keys shown in a failed check's detail

// A table read whole: every batch appended into one (flat columns only).
struct LoadedTable {
  std::string path;
  std::int64_t version = 0;
  core::RecordBatch rows;
  std::size_t index(const std::string& name) const { return *rows.schema.find(name); }
};

void append_flat(core::Column& out, const core::Column& in, std::int64_t row) {
  if (!in.is_valid(row)) {
    out.append_null();
    return;
  }
  const auto at = static_cast<std::size_t>(row);
  switch (in.type.id) {
    case core::TypeId::kNull:
      out.append_null();
      return;
    case core::TypeId::kFloat32:
    case core::TypeId::kFloat64:
      out.append_double(in.doubles[at]);
      return;
    case core::TypeId::kDecimal:
      out.append_decimal(in.decimals[at]);
      return;
    case core::TypeId::kString:
    case core::TypeId::kBinary:
      out.append_string(in.string_at(row));
      return;
    default:
      out.append_int(in.ints[at]);
  }
}

LoadedTable read_table(const std::string& path, std::optional<std::int64_t> version,
                       const std::vector<std::string>& columns, const std::string& context) {
  const auto snapshot = delta::Snapshot::load(path, delta::TimeTravel{version, std::nullopt});
  delta::ScanOptions options;
  options.columns = columns;
  delta::Scan scan(snapshot, options);
  LoadedTable table;
  table.path = path;
  table.version = snapshot.version();
  table.rows.schema = scan.schema();
  for (const auto& field : table.rows.schema.fields) {
    DRIFTGOV_USER_CHECK(!field.type.is_nested(), "{}: column '{}' of '{}' is {}; a retraining set takes flat columns",
                        context, field.name, path, field.type.to_string());
    table.rows.columns.emplace_back(field.type);
  }
  while (auto batch = scan.next()) {
    for (std::size_t c = 0; c < batch->columns.size(); ++c) {
      for (std::int64_t row = 0; row < batch->num_rows; ++row) append_flat(table.rows.columns[c], batch->columns[c], row);
    }
    table.rows.num_rows += batch->num_rows;
  }
  for (auto& column : table.rows.columns) column.length = table.rows.num_rows;
  return table;
}

// A timestamp or date value as microseconds since the epoch; nullopt for null.
std::optional<std::int64_t> micros_at(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row)) return std::nullopt;
  const auto value = column.ints[static_cast<std::size_t>(row)];
  if (column.type.id == core::TypeId::kDate) return value * kMicrosPerDay;
  switch (column.type.unit) {
    case core::TimeUnit::kMilli:
      return value * 1000;
    case core::TimeUnit::kMicro:
      return value;
    case core::TimeUnit::kNano:
      return value >= 0 ? value / 1000 : -((-value + 999) / 1000);
  }
  return value;
}

// The keys of a row as one text (value texts joined by 0x1f); nullopt when a key is null: a null key matches
// nothing.
std::optional<std::string> key_text(const LoadedTable& table, const std::vector<std::size_t>& key_columns,
                                    std::int64_t row) {
  std::string text;
  for (std::size_t k = 0; k < key_columns.size(); ++k) {
    const auto& column = table.rows.columns[key_columns[k]];
    if (!column.is_valid(row)) return std::nullopt;
    if (k > 0) text += '\x1f';
    text += core::value_text(column, row);
  }
  return text;
}

std::vector<std::size_t> indexes(const LoadedTable& table, const std::vector<std::string>& names) {
  std::vector<std::size_t> out;
  for (const auto& name : names) out.push_back(table.index(name));
  return out;
}

// The columns `names` of `batch` as a batch of their own.
core::RecordBatch project(const core::RecordBatch& batch, const std::vector<std::string>& names) {
  core::RecordBatch out;
  out.num_rows = batch.num_rows;
  for (const auto& name : names) {
    const auto index = *batch.schema.find(name);
    out.schema.fields.push_back(batch.schema.fields[index]);
    out.columns.push_back(batch.columns[index]);
  }
  return out;
}

stats::DatasetProfile profile_of(const MonitorConfig& monitor, const core::RecordBatch& batch,
                                 const std::vector<std::int64_t>* rows, const std::string& source) {
  stats::ProfileOptions options;
  options.kind_overrides = monitor.columns.kinds;
  stats::Profiler profiler(options);
  if (rows != nullptr) {
    profiler.consume(batch, std::span<const std::int64_t>(*rows));
  } else {
    profiler.consume(batch);
  }
  return profiler.finish(source);
}

// The per-column drift of `current` against `reference` by the compare engine (stats::compare_profiles, with the
// monitor's drift options): {column: metric value or null when the column could not be compared}.
json drift_by_column(const MonitorConfig& monitor, const stats::DatasetProfile& reference,
                     const stats::DatasetProfile& current, const std::vector<std::string>& columns,
                     const std::string& metric, double& largest) {
  largest = 0.0;
  json out = json::object();
  if (columns.empty() || reference.row_count == 0 || current.row_count == 0) return out;
  const auto report = stats::compare_profiles(reference, current, monitor.drift, columns);
  for (const auto& column : report.columns) {
    const auto found = column.metrics.find(metric);
    if (found == column.metrics.end()) {
      out[column.column_name] = nullptr;
      continue;
    }
    out[column.column_name] = found->second;
    largest = std::max(largest, found->second);
  }
  return out;
}

std::string text_of(const core::Column& column, std::int64_t row) {
  return column.is_valid(row) ? core::value_text(column, row) : std::string("null");
}

// A numeric value of a column for min/max (integers, floats, decimals as their text read back; dates and
// timestamps as their stored count); nullopt for null or a non-numeric column.
std::optional<double> number_at(const core::Column& column, std::int64_t row) {
  if (!column.is_valid(row)) return std::nullopt;
  const auto at = static_cast<std::size_t>(row);
  if (column.type.is_floating()) return column.doubles[at];
  if (column.type.id == core::TypeId::kDecimal) return std::stod(core::value_text(column, row));
  if (column.type.is_integer() || column.type.id == core::TypeId::kBoolean) return static_cast<double>(column.ints[at]);
  return std::nullopt;
}

class Stager {
 public:
  Stager(const Config& config, const MonitorConfig& monitor)
      : config_(config), monitor_(monitor), remediation_(*monitor.remediation) {}

  StagedSet run(const std::string& incident_id, std::int64_t now_us) {
    check_separation();
    check_remediation_tables(config_, monitor_);
    load();
    build();
    StagedSet staged;
    const auto folder = remediation_folder(remediation_.staging_lakehouse, monitor_.name);
    staged.table = io::join_path(folder, "candidate");
    staged.validations_table = io::join_path(folder, "validations");
    staged.rows = candidate_.num_rows;
    staged.window_start_us = window_start_;
    staged.window_end_us = window_end_;
    staged.checks = validate();
    delta::TableWriteOptions options;
    options.mode = delta::WriteMode::kOverwrite;
    options.overwrite_schema = true;
    bool supplied = false;
    const auto written = delta::write_table(
        staged.table, candidate_.schema,
        [&]() -> std::optional<core::RecordBatch> {
          if (supplied) return std::nullopt;
          supplied = true;
          return candidate_;
        },
        options);
    staged.version = written.version;
    write_checks(staged, incident_id, now_us);
    return staged;
  }

 private:
  std::string where(const std::string& key) const { return fmt::format("monitors.{}.{}", monitor_.name, key); }

  void check_separation() const {
    DRIFTGOV_USER_CHECK(remediation_.target != config_.target,
                        "{}: the retraining set of target '{}' is staged into target '{}', the same target; stage "
                        "with --target set to the production target whose tables are read",
                        where("remediation.target"), config_.target, remediation_.target);
    const auto& production = config_.selected_target().lakehouse;
    const auto& staging = remediation_.staging_lakehouse;
    const auto inside = [](const std::string& path, const std::string& root) {
      return path == root || path.starts_with(root + "/");
    };
    DRIFTGOV_USER_CHECK(!inside(staging, production) && !inside(production, staging),
                        "{}: the lakehouse of target '{}' ({}) and that of target '{}' ({}) overlap; staging never "
                        "writes into the production lakehouse",
                        where("remediation.target"), remediation_.target, staging, config_.target, production);
  }

  void load() {
    const auto& labels = remediation_.labels;
    std::vector<std::string> label_columns = labels.keys;
    label_columns.push_back(labels.timestamp);
    label_columns.insert(label_columns.end(), labels.columns.begin(), labels.columns.end());
    labels_ = read_table(labels.table, std::nullopt, label_columns, where(labels.position_key));
    for (const auto& source : remediation_.features) {
      std::vector<std::string> columns = source.keys;
      columns.push_back(source.timestamp);
      for (const auto& column : source.columns) {
        if (std::find(columns.begin(), columns.end(), column) == columns.end()) columns.push_back(column);
      }
      features_.push_back(read_table(source.table, std::nullopt, columns, where(source.position_key)));
    }
  }

  // The spine (label rows in the window) and, per feature source, the row joined to each spine row (-1: none).
  void build() {
    const auto& labels = remediation_.labels;
    const auto& label_time = labels_.rows.columns[labels_.index(labels.timestamp)];
    std::vector<std::pair<std::int64_t, std::int64_t>> timed;  // (micros, row)
    for (std::int64_t row = 0; row < labels_.rows.num_rows; ++row) {
      if (const auto micros = micros_at(label_time, row)) timed.push_back({*micros, row});
    }
    null_time_label_rows_ = labels_.rows.num_rows - static_cast<std::int64_t>(timed.size());
    window_end_ = timed.empty() ? 0 : std::max_element(timed.begin(), timed.end())->first;
    window_start_ = remediation_.window_us > 0 ? window_end_ - remediation_.window_us
                                               : std::numeric_limits<std::int64_t>::min();
    for (const auto& [micros, row] : timed) {
      if (micros > window_start_) {
        spine_.push_back(row);
        spine_time_.push_back(micros);
      }
    }
    // Output columns: the label keys and timestamp, the features in source order, the label.
    std::set<std::string> names;
    const auto add_field = [&](const core::Field& field, const std::string& key) {
      DRIFTGOV_USER_CHECK(names.insert(field.name).second,
                          "{}: column '{}' is already a column of the retraining set (the label keys, timestamp, "
                          "features and label must have distinct names)",
                          where(key), field.name);
      candidate_.schema.fields.push_back({field.name, field.type, true, std::nullopt});
    };
    const auto label_keys = indexes(labels_, labels.keys);
    for (std::size_t k = 0; k < labels.keys.size(); ++k) {
      add_field(labels_.rows.schema.fields[label_keys[k]], fmt::format("{}.keys[{}]", labels.position_key, k));
      candidate_.columns.push_back(core::take_rows(labels_.rows.columns[label_keys[k]], spine_));
    }
    add_field(labels_.rows.schema.fields[labels_.index(labels.timestamp)], labels.position_key + ".timestamp");
    candidate_.columns.push_back(core::take_rows(label_time, spine_));

    for (std::size_t s = 0; s < features_.size(); ++s) {
      const auto& source = remediation_.features[s];
      auto& table = features_[s];
      const auto feature_keys = indexes(table, source.keys);
      const auto& feature_time = table.rows.columns[table.index(source.timestamp)];
      // keys -> (micros, row) sorted by time, stable: among rows of one time the last read wins.
      std::unordered_map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> by_key;
      for (std::int64_t row = 0; row < table.rows.num_rows; ++row) {
        const auto micros = micros_at(feature_time, row);
        const auto key = key_text(table, feature_keys, row);
        if (micros && key) by_key[*key].push_back({*micros, row});
      }
      for (auto& [key, rows] : by_key) {
        std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      }
      // A null row appended at the end stands for "no feature row".
      const auto null_row = table.rows.num_rows;
      for (auto& column : table.rows.columns) column.append_null();
      std::vector<std::int64_t> joined;
      joined.reserve(spine_.size());
      for (std::size_t i = 0; i < spine_.size(); ++i) {
        const auto key = key_text(labels_, label_keys, spine_[i]);
        std::int64_t match = null_row;
        if (key) {
          const auto found = by_key.find(*key);
          if (found != by_key.end()) {
            const auto& rows = found->second;
            const auto after = std::upper_bound(rows.begin(), rows.end(), spine_time_[i],
                                                [](std::int64_t t, const auto& entry) { return t < entry.first; });
            if (after != rows.begin()) match = std::prev(after)->second;
          }
        }
        joined.push_back(match);
      }
      for (std::size_t c = 0; c < source.columns.size(); ++c) {
        const auto index = table.index(source.columns[c]);
        add_field(table.rows.schema.fields[index], fmt::format("{}.columns[{}]", source.position_key, c));
        candidate_.columns.push_back(core::take_rows(table.rows.columns[index], joined));
        feature_names_.push_back(source.columns[c]);
      }
    }
    const auto label_index = labels_.index(labels.columns.front());
    add_field(labels_.rows.schema.fields[label_index], labels.position_key + ".label");
    candidate_.columns.push_back(core::take_rows(labels_.rows.columns[label_index], spine_));
    candidate_.num_rows = static_cast<std::int64_t>(spine_.size());
  }

  const core::Column& candidate_column(const std::string& name) const {
    return candidate_.columns[*candidate_.schema.find(name)];
  }

  std::vector<StagingCheck> validate() const {
    std::vector<StagingCheck> checks;
    if (!remediation_.champion_manifest.empty() || !remediation_.champion_table.empty()) checks.push_back(check_schema());
    checks.push_back(check_rows_per_slice());
    for (const auto& expectation : remediation_.expectations) check_expectation(expectation, checks);
    if (remediation_.max_drift_vs_recent) checks.push_back(check_drift_vs_recent());
    if (auto training = check_drift_vs_training()) checks.push_back(std::move(*training));
    if (remediation_.holdout) checks.push_back(check_leakage());
    return checks;
  }

  StagingCheck check_schema() const {
    StagingCheck check{"schema", true, json::object()};
    json missing = json::array(), mismatched = json::array();
    if (!remediation_.champion_manifest.empty()) {
      const auto manifest = json::parse(io::read_file(io::local_storage(), remediation_.champion_manifest));
      std::vector<std::string> wanted = manifest.at("features").get<std::vector<std::string>>();
      wanted.push_back(manifest.at("label").get<std::string>());
      for (const auto& name : wanted) {
        if (!candidate_.schema.find(name)) missing.push_back(name);
      }
      check.detail["champion"] = remediation_.champion_manifest;
    } else {
      const auto snapshot = delta::Snapshot::load(remediation_.champion_table);
      for (const auto& field : snapshot.schema().schema.fields) {
        const auto index = candidate_.schema.find(field.name);
        if (!index) {
          missing.push_back(field.name);
        } else if (!(candidate_.schema.fields[*index].type == field.type)) {
          mismatched.push_back({{"column", field.name}, {"champion", field.type.to_string()},
                                {"candidate", candidate_.schema.fields[*index].type.to_string()}});
        }
      }
      check.detail["champion"] = remediation_.champion_table;
      check.detail["champion_version"] = snapshot.version();
    }
    check.passed = missing.empty() && mismatched.empty();
    check.detail["missing"] = missing;
    check.detail["mismatched"] = mismatched;
    return check;
  }

  StagingCheck check_rows_per_slice() const {
    StagingCheck check{"rows_per_slice", true, json::object()};
    std::map<std::string, std::int64_t> counts;
    if (remediation_.slice.empty()) {
      counts[""] = candidate_.num_rows;
    } else {
      const auto& column = candidate_column(remediation_.slice);
      for (std::int64_t row = 0; row < candidate_.num_rows; ++row) ++counts[text_of(column, row)];
    }
    json failing = json::object(), all = json::object();
    for (const auto& [slice, count] : counts) {
      all[slice.empty() ? ":all" : slice] = count;
      if (count < remediation_.min_rows_per_slice) failing[slice.empty() ? ":all" : slice] = count;
    }
    if (counts.empty() || (counts.size() == 1 && counts.begin()->second == 0)) failing[":all"] = 0;
    check.passed = failing.empty();
    check.detail = {{"slice", remediation_.slice.empty() ? json(nullptr) : json(remediation_.slice)},
                    {"min_rows_per_slice", remediation_.min_rows_per_slice}, {"rows", all}, {"failing", failing}};
    return check;
  }

  void check_expectation(const Expectation& expectation, std::vector<StagingCheck>& checks) const {
    const auto finish = [&](std::string name, std::int64_t violations, const json& examples, json extra) {
      extra["violations"] = violations;
      extra["examples"] = examples;
      checks.push_back({std::move(name), violations == 0, std::move(extra)});
    };
    if (expectation.unique) {
      std::vector<const core::Column*> columns;
      for (const auto& name : expectation.columns) columns.push_back(&candidate_column(name));
      std::unordered_map<std::string, std::int64_t> seen;
      for (std::int64_t row = 0; row < candidate_.num_rows; ++row) {
        std::string key;
        for (const auto* column : columns) key += text_of(*column, row) + '\x1f';
        ++seen[key];
      }
      std::int64_t duplicates = 0;
      json examples = json::array();
      std::vector<std::string> repeated;
      for (const auto& [key, count] : seen) {
        if (count < 2) continue;
        duplicates += count - 1;
        repeated.push_back(key);
      }
      std::sort(repeated.begin(), repeated.end());
      for (std::size_t i = 0; i < repeated.size() && i < kExamples; ++i) {
        std::string shown = repeated[i];
        shown.pop_back();
        std::replace(shown.begin(), shown.end(), '\x1f', ',');
        examples.push_back(shown);
      }
      finish(fmt::format("unique({})", fmt::join(expectation.columns, ",")), duplicates, examples,
             {{"columns", expectation.columns}});
    }
    if (expectation.columns.size() != 1) return;
    const auto& name = expectation.columns.front();
    const auto& column = candidate_column(name);
    const auto scan = [&](const std::string& rule, const auto& violates, json extra) {
      std::int64_t violations = 0;
      json examples = json::array();
      for (std::int64_t row = 0; row < candidate_.num_rows; ++row) {
        if (!violates(row)) continue;
        ++violations;
        if (examples.size() < kExamples) examples.push_back({{"row", row}, {"value", text_of(column, row)}});
      }
      extra["column"] = name;
      finish(fmt::format("{}({})", rule, name), violations, examples, std::move(extra));
    };
    if (expectation.not_null) scan("not_null", [&](std::int64_t row) { return !column.is_valid(row); }, json::object());
    for (const auto& [rule, bound] : {std::pair{"min", expectation.min}, std::pair{"max", expectation.max}}) {
      if (!bound) continue;
      const bool is_min = std::string(rule) == "min";
      const bool numeric = column.type.is_integer() || column.type.is_floating() ||
                           column.type.id == core::TypeId::kDecimal || column.type.id == core::TypeId::kBoolean;
      DRIFTGOV_USER_CHECK(numeric, "{}: {} needs a numeric column; '{}' is {}", where(expectation.position_key), rule,
                          name, column.type.to_string());
      scan(rule,
           [&, value = *bound](std::int64_t row) {
             const auto number = number_at(column, row);
             return number && (is_min ? *number < value : *number > value);
           },
           {{rule, *bound}});
    }
    if (!expectation.allowed.empty()) {
      const std::set<std::string> allowed(expectation.allowed.begin(), expectation.allowed.end());
      scan("allowed",
           [&](std::int64_t row) { return column.is_valid(row) && !allowed.contains(core::value_text(column, row)); },
           {{"allowed", expectation.allowed}});
    }
  }

  // The candidate's feature columns that `schema` also holds.
  std::vector<std::string> shared_features(const core::Schema& schema) const {
    std::vector<std::string> out;
    for (const auto& name : feature_names_) {
      if (schema.find(name)) out.push_back(name);
    }
    return out;
  }

  StagingCheck check_drift_vs_recent() const {
    StagingCheck check{"drift_vs_recent", true, json::object()};
    const auto snapshot = delta::Snapshot::load(monitor_.table);
    auto columns = shared_features(snapshot.schema().schema);
    std::vector<std::string> read = columns;
    if (!monitor_.timestamp_col.empty()) read.push_back(monitor_.timestamp_col);
    const auto recent = read_table(monitor_.table, std::nullopt, read, where("table"));
    std::vector<std::int64_t> rows;
    for (std::int64_t row = 0; row < recent.rows.num_rows; ++row) {
      if (monitor_.timestamp_col.empty()) {
        rows.push_back(row);
        continue;
      }
      const auto micros = micros_at(recent.rows.columns[recent.index(monitor_.timestamp_col)], row);
      if (micros && *micros > window_start_ && *micros <= window_end_) rows.push_back(row);
    }
    const auto reference = profile_of(monitor_, project(recent.rows, columns), &rows, monitor_.table);
    const auto current = profile_of(monitor_, project(candidate_, columns), nullptr, "candidate");
    double largest = 0.0;
    check.detail = {{"metric", remediation_.drift_metric},
                    {"threshold", *remediation_.max_drift_vs_recent},
                    {"production_table", monitor_.table},
                    {"production_version", recent.version},
                    {"production_rows", static_cast<std::int64_t>(rows.size())},
                    {"columns", drift_by_column(monitor_, reference, current, columns, remediation_.drift_metric, largest)}};
    check.detail["largest"] = largest;
    check.passed = !rows.empty() && candidate_.num_rows > 0 && largest <= *remediation_.max_drift_vs_recent;
    if (rows.empty()) check.detail["problem"] = "no production rows in the window";
    return check;
  }

  // Reported, never failing: the drift of the candidate against the old training set (the monitor's baseline
  // table, else the champion's table).
  std::optional<StagingCheck> check_drift_vs_training() const {
    std::string table;
    std::optional<std::int64_t> version;
    if (monitor_.baseline && !monitor_.baseline->table.empty()) {
      table = monitor_.baseline->table;
      version = monitor_.baseline->version;
    } else if (!remediation_.champion_table.empty()) {
      table = remediation_.champion_table;
    } else {
      return std::nullopt;
    }
    const auto snapshot = delta::Snapshot::load(table, delta::TimeTravel{version, std::nullopt});
    const auto columns = shared_features(snapshot.schema().schema);
    const auto training = read_table(table, version, columns, where("baseline"));
    const auto reference = profile_of(monitor_, training.rows, nullptr, table);
    const auto current = profile_of(monitor_, project(candidate_, columns), nullptr, "candidate");
    double largest = 0.0;
    StagingCheck check{"drift_vs_training", true, json::object()};
    check.detail = {{"metric", remediation_.drift_metric},
                    {"training_table", table},
                    {"training_version", training.version},
                    {"training_rows", training.rows.num_rows},
                    {"columns", drift_by_column(monitor_, reference, current, columns, remediation_.drift_metric, largest)},
                    {"reported_only", true}};
    check.detail["largest"] = largest;
    return check;
  }

  StagingCheck check_leakage() const {
    const auto& holdout_source = *remediation_.holdout;
    const auto holdout = read_table(holdout_source.table, std::nullopt, holdout_source.keys, where("remediation.holdout"));
    std::unordered_set<std::string> held;
    std::vector<std::size_t> holdout_keys;
    for (std::size_t k = 0; k < holdout_source.keys.size(); ++k) holdout_keys.push_back(k);
    for (std::int64_t row = 0; row < holdout.rows.num_rows; ++row) {
      if (auto key = key_text(holdout, holdout_keys, row)) held.insert(std::move(*key));
    }
    LoadedTable candidate_keys;
    candidate_keys.rows = project(candidate_, remediation_.labels.keys);
    std::set<std::string> leaked;
    std::int64_t leaked_rows = 0;
    for (std::int64_t row = 0; row < candidate_.num_rows; ++row) {
      std::vector<std::size_t> all(remediation_.labels.keys.size());
      for (std::size_t k = 0; k < all.size(); ++k) all[k] = k;
      const auto key = key_text(candidate_keys, all, row);
      if (key && held.contains(*key)) {
        ++leaked_rows;
        leaked.insert(*key);
      }
    }
    json examples = json::array();
    for (const auto& key : leaked) {
      if (examples.size() >= kExamples) break;
      std::string shown = key;
      std::replace(shown.begin(), shown.end(), '\x1f', ',');
      examples.push_back(shown);
    }
    return {"no_leakage",
            leaked.empty(),
            {{"holdout_table", holdout_source.table},
             {"holdout_version", holdout.version},
             {"holdout_keys", static_cast<std::int64_t>(held.size())},
             {"keys", holdout_source.keys},
             {"leaked_keys", static_cast<std::int64_t>(leaked.size())},
             {"leaked_rows", leaked_rows},
             {"examples", examples}}};
  }

  void write_checks(const StagedSet& staged, const std::string& incident_id, std::int64_t now_us) const {
    core::RecordBatch batch;
    batch.schema.fields = {{"candidate_version", core::DataType::int64(), false, std::nullopt},
                           {"incident_id", core::DataType::string(), true, std::nullopt},
                           {"check", core::DataType::string(), false, std::nullopt},
                           {"passed", core::DataType::boolean(), false, std::nullopt},
                           {"detail", core::DataType::string(), false, std::nullopt},
                           {"time", core::DataType::timestamp(), false, std::nullopt}};
    for (const auto& field : batch.schema.fields) batch.columns.emplace_back(field.type);
    for (const auto& check : staged.checks) {
      batch.columns[0].append_int(staged.version);
      batch.columns[1].append_string(incident_id);
      batch.columns[2].append_string(check.check);
      batch.columns[3].append_int(check.passed ? 1 : 0);
      batch.columns[4].append_string(check.detail.dump(-1, ' ', false, json::error_handler_t::replace));
      batch.columns[5].append_int(now_us);
    }
    batch.num_rows = static_cast<std::int64_t>(staged.checks.size());
    delta::TableWriteOptions options;
    options.mode = delta::WriteMode::kAppend;
    bool supplied = false;
    (void)delta::write_table(
        staged.validations_table, batch.schema,
        [&]() -> std::optional<core::RecordBatch> {
          if (supplied) return std::nullopt;
          supplied = true;
          return batch;
        },
        options);
  }

  const Config& config_;
  const MonitorConfig& monitor_;
  const RemediationConfig& remediation_;
  LoadedTable labels_;
  std::vector<LoadedTable> features_;
  std::vector<std::int64_t> spine_, spine_time_;
  std::int64_t null_time_label_rows_ = 0;
  std::int64_t window_start_ = 0, window_end_ = 0;
  core::RecordBatch candidate_;
  std::vector<std::string> feature_names_;
};

}  // namespace

bool StagedSet::passed() const {
  return std::all_of(checks.begin(), checks.end(), [](const StagingCheck& check) { return check.passed; });
}

nlohmann::json StagedSet::summary() const {
  json failed = json::array();
  for (const auto& check : checks) {
    if (!check.passed) failed.push_back(check.check);
  }
  return {{"table", table},
          {"version", version},
          {"rows", rows},
          {"window",
           {{"start_exclusive_us", window_start_us == std::numeric_limits<std::int64_t>::min() ? json(nullptr)
                                                                                                : json(window_start_us)},
            {"end_us", window_end_us}}},
          {"validations_table", validations_table},
          {"checks", static_cast<std::int64_t>(checks.size())},
          {"passed", passed()},
          {"failed", failed}};
}

std::string remediation_folder(const std::string& staging_lakehouse, const std::string& monitor) {
  return io::join_path(io::join_path(staging_lakehouse, "remediation"), monitor);
}

StagedSet stage_retraining_set(const Config& config, const MonitorConfig& monitor, const std::string& incident_id,
                               std::int64_t now_us) {
  DRIFTGOV_USER_CHECK(monitor.remediation.has_value(),
                      "{}: monitor '{}' has no remediation block (docs/monitoring-config.md, remediation)",
                      config.file, monitor.name);
  return Stager(config, monitor).run(incident_id, now_us);
}

}  // namespace driftgov::monitor
