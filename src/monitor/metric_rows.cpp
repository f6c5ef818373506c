#include "monitor/metric_rows.hpp"

#include <utility>

#include "driftgov/core/error.hpp"

namespace driftgov::monitor {

ColumnBuilder::ColumnBuilder(core::DataType type) : column_(type) {
  if (type.id == core::TypeId::kStruct) {
    for (const auto& child : type.children) {
      children_.emplace_back(child.type);
      column_.children.emplace_back(child.type);
    }
  } else if (type.id == core::TypeId::kList) {
    children_.emplace_back(type.children.at(0).type);
  }
}

void ColumnBuilder::mark_valid() {
  if (!column_.validity.empty()) column_.validity.push_back(1);
  ++column_.length;
}

void ColumnBuilder::null() {
  if (column_.type.id == core::TypeId::kStruct) {
    for (auto& child : children_) child.null();
    if (column_.validity.empty()) column_.validity.assign(static_cast<std::size_t>(column_.length), 1);
    column_.validity.push_back(0);
    ++column_.length;
    return;
  }
  column_.append_null();
}

void ColumnBuilder::integer(std::int64_t value) { column_.append_int(value); }
void ColumnBuilder::real(double value) { column_.append_double(value); }
void ColumnBuilder::text(std::string_view value) { column_.append_string(value); }

void ColumnBuilder::optional_real(const std::optional<double>& value) {
  if (value) real(*value);
  else null();
}
void ColumnBuilder::optional_integer(const std::optional<std::int64_t>& value) {
  if (value) integer(*value);
  else null();
}
void ColumnBuilder::optional_text(const std::optional<std::string>& value) {
  if (value) text(*value);
  else null();
}

ColumnBuilder& ColumnBuilder::child(std::size_t index) { return children_.at(index); }
void ColumnBuilder::end_struct() { mark_valid(); }

ColumnBuilder& ColumnBuilder::element() { return children_.at(0); }
void ColumnBuilder::end_list(std::int64_t count) {
  column_.offsets.push_back(column_.offsets.back() + count);
  mark_valid();
}

core::Column ColumnBuilder::finish() {
  if (column_.type.id == core::TypeId::kStruct) {
    for (std::size_t i = 0; i < children_.size(); ++i) column_.children[i] = children_[i].finish();
  } else if (column_.type.id == core::TypeId::kList) {
    column_.children.clear();
    column_.children.push_back(children_[0].finish());
  }
  return std::move(column_);
}

BatchBuilder::BatchBuilder(core::Schema schema) : schema_(std::move(schema)) {
  for (const auto& f : schema_.fields) columns_.emplace_back(f.type);
}

ColumnBuilder& BatchBuilder::operator[](std::string_view name) {
  for (std::size_t i = 0; i < schema_.fields.size(); ++i) {
    if (schema_.fields[i].name == name) return columns_[i];
  }
  throw core::InternalError(fmt::format("metric table has no column '{}'", name));
}

void BatchBuilder::end_row() {
  ++rows_;
  for (auto& column : columns_) {
    if (column.length() < rows_) column.null();  // columns the row did not set are null
    DRIFTGOV_CHECK(column.length() == rows_, "metric row set a column {} times", column.length() - rows_ + 1);
  }
}

core::RecordBatch BatchBuilder::finish() {
  core::RecordBatch batch;
  batch.schema = schema_;
  batch.num_rows = rows_;
  for (auto& column : columns_) batch.columns.push_back(column.finish());
  return batch;
}

core::Field field(std::string name, core::DataType type, bool nullable) {
  return core::Field{std::move(name), std::move(type), nullable, std::nullopt};
}

core::DataType struct_type(std::vector<core::Field> fields) {
  core::DataType type{core::TypeId::kStruct};
  type.children = std::move(fields);
  return type;
}

core::DataType list_type(core::DataType element) {
  core::DataType type{core::TypeId::kList};
  type.children.push_back(field("element", std::move(element), true));
  return type;
}

core::DataType window_type() {
  return struct_type({field("start", core::DataType::timestamp()), field("end", core::DataType::timestamp())});
}

namespace {

core::DataType macro_weighted() {
  return struct_type({field("macro", core::DataType::float64()), field("weighted", core::DataType::float64())});
}

core::DataType statistic_pvalue() {
  return struct_type({field("statistic", core::DataType::float64()), field("pvalue", core::DataType::float64())});
}

void add_group_columns(std::vector<core::Field>& fields, const std::string& model_id_col) {
  fields.push_back(field("slice_key", core::DataType::string()));
  fields.push_back(field("slice_value", core::DataType::string()));
  if (!model_id_col.empty()) fields.push_back(field(model_id_col, core::DataType::string()));
  fields.push_back(field("column_name", core::DataType::string(), false));
  fields.push_back(field("data_type", core::DataType::string()));
}

}  // namespace

core::Schema profile_metrics_schema(const std::string& model_id_col) {
  using core::DataType;
  std::vector<core::Field> f;
  f.push_back(field("window", window_type()));
  f.push_back(field("granularity", DataType::string()));
  f.push_back(field("log_type", DataType::string(), false));
  f.push_back(field("logging_table_commit_version", DataType::int64()));
  f.push_back(field("monitor_version", DataType::int64()));
  add_group_columns(f, model_id_col);
  for (const char* name : {"count", "num_nulls"}) f.push_back(field(name, DataType::int64()));
  f.push_back(field("percent_null", DataType::float64()));
  f.push_back(field("num_nan", DataType::int64()));
  f.push_back(field("percent_nan", DataType::float64()));
  f.push_back(field("num_zeros", DataType::int64()));
  f.push_back(field("percent_zeros", DataType::float64()));
  f.push_back(field("distinct_count", DataType::int64()));
  f.push_back(field("percent_distinct", DataType::float64()));
  for (const char* name : {"avg", "stddev", "min", "max", "median"}) f.push_back(field(name, DataType::float64()));
  f.push_back(field("quantiles", list_type(DataType::float64())));
  f.push_back(field("min_length", DataType::int64()));
  f.push_back(field("max_length", DataType::int64()));
  f.push_back(field("avg_length", DataType::float64()));
  f.push_back(field("frequent_items",
                    list_type(struct_type({field("item", DataType::string()), field("count", DataType::int64())}))));
  f.push_back(field("non_null_columns", list_type(DataType::string())));
  // Model quality (the :table rows of inference logs with labels).
  f.push_back(field("accuracy_score", DataType::float64()));
  f.push_back(field("precision", macro_weighted()));
  f.push_back(field("recall", macro_weighted()));
  f.push_back(field("f1_score", macro_weighted()));
  f.push_back(field("confusion_matrix",
                    list_type(struct_type({field("prediction", DataType::string()), field("label", DataType::string()),
                                           field("count", DataType::int64())}))));
  f.push_back(field("roc_auc", DataType::float64()));
  f.push_back(field("log_loss", DataType::float64()));
  for (const char* name : {"mean_squared_error", "root_mean_squared_error", "mean_absolute_error",
                           "mean_absolute_percentage_error", "r2_score"}) {
    f.push_back(field(name, DataType::float64()));
  }
  // driftgov's own columns.
  f.push_back(field("labelled_rows", DataType::int64()));
  f.push_back(field("quality_invalid_rows", DataType::int64()));  // left out of quality: non-finite or bad proba
  f.push_back(field("mean_prediction", DataType::float64()));
  f.push_back(field("mean_label", DataType::float64()));
  f.push_back(field("sketch_bound", DataType::float64()));  // rank error of quantiles/median (0 when exact)
  f.push_back(field("refresh_id", DataType::string()));    // the refresh that wrote the row
  return core::Schema{std::move(f)};
}

core::Schema drift_metrics_schema(const std::string& model_id_col) {
  using core::DataType;
  std::vector<core::Field> f;
  f.push_back(field("window", window_type()));
  f.push_back(field("window_cmp", window_type()));
  f.push_back(field("drift_type", DataType::string(), false));
  f.push_back(field("granularity", DataType::string()));
  f.push_back(field("monitor_version", DataType::int64()));
  add_group_columns(f, model_id_col);
  for (const char* name : {"count_delta", "avg_delta", "percent_null_delta", "percent_zeros_delta",
                           "percent_distinct_delta"}) {
    f.push_back(field(name, DataType::float64()));
  }
  f.push_back(field("non_null_columns_delta",
                    struct_type({field("added", DataType::int64()), field("missing", DataType::int64())})));
  f.push_back(field("js_distance", DataType::float64()));
  f.push_back(field("ks_test", statistic_pvalue()));
  f.push_back(field("wasserstein_distance", DataType::float64()));
  f.push_back(field("population_stability_index", DataType::float64()));
  f.push_back(field("chi_squared_test", statistic_pvalue()));
  f.push_back(field("tv_distance", DataType::float64()));
  f.push_back(field("l_infinity_distance", DataType::float64()));
  // driftgov's own columns.
  f.push_back(field("hellinger_distance", DataType::float64()));
  f.push_back(field("drift_test", DataType::string()));
  f.push_back(field("drift_statistic", DataType::float64()));
  f.push_back(field("pvalue_adjusted", DataType::float64()));
  f.push_back(field("drift_threshold", DataType::float64()));
  f.push_back(field("drift_level", DataType::string()));
  f.push_back(field("drifted", DataType::boolean()));
  f.push_back(field("drift_reason", DataType::string()));
  f.push_back(field("exact", DataType::boolean()));
  f.push_back(field("borderline", DataType::boolean()));
  f.push_back(field("dataset_drift", DataType::boolean()));
  f.push_back(field("share_of_drifted_columns", DataType::float64()));
  f.push_back(field("refresh_id", DataType::string()));  // the refresh that wrote the row
  return core::Schema{std::move(f)};
}

core::Schema breaches_schema(const std::string& model_id_col) {
  using core::DataType;
  std::vector<core::Field> f;
  f.push_back(field("breach_id", DataType::string(), false));
  f.push_back(field("monitor_name", DataType::string(), false));
  f.push_back(field("target", DataType::string()));
  f.push_back(field("rule", DataType::string(), false));
  f.push_back(field("metric", DataType::string(), false));
  f.push_back(field("drift_type", DataType::string()));
  f.push_back(field("granularity", DataType::string()));
  f.push_back(field("window", window_type()));
  f.push_back(field("slice_key", DataType::string()));
  f.push_back(field("slice_value", DataType::string()));
  if (!model_id_col.empty()) f.push_back(field(model_id_col, DataType::string()));
  f.push_back(field("column_name", DataType::string()));
  f.push_back(field("value", DataType::float64()));
  f.push_back(field("violation_windows", DataType::int64()));
  f.push_back(field("logging_table_commit_version", DataType::int64()));
  f.push_back(field("refresh_id", DataType::string()));
  f.push_back(field("detected_at", DataType::timestamp()));
  return core::Schema{std::move(f)};
}

core::Schema state_schema() {
  using core::DataType;
  return core::Schema{{field("log_type", DataType::string(), false), field("window_start", DataType::timestamp()),
                       field("window_end", DataType::timestamp()), field("slice_key", DataType::string()),
                       field("slice_value", DataType::string()), field("model_id", DataType::string()),
                       field("model_id_is_null", DataType::boolean()), field("profile", DataType::string()),
                       field("quality", DataType::string())}};
}

core::Schema refreshes_schema() {
  using core::DataType;
  return core::Schema{{field("refresh_id", DataType::string(), false), field("monitor_name", DataType::string()),
                       field("target", DataType::string()), field("state", DataType::string(), false),
                       field("trigger", DataType::string()), field("full_refresh", DataType::boolean()),
                       field("start_time", DataType::timestamp()), field("end_time", DataType::timestamp()),
                       field("table_version_from", DataType::int64()), field("table_version_to", DataType::int64()),
                       field("rows_read", DataType::int64()), field("windows_touched", DataType::int64()),
                       field("null_timestamp_rows", DataType::int64()), field("config_hash", DataType::string()),
                       field("monitor_version", DataType::int64()), field("driftgov_version", DataType::string()),
                       field("message", DataType::string())}};
}

}  // namespace driftgov::monitor
