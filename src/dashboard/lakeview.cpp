// A Databricks AI/BI (Lakeview) dashboard over the monitor's metric tables (docs/export.md, "Lakeview").
// Datasets are Spark SQL over [catalog.]schema.<monitor>_drift_metrics and _profile_metrics; pages hold the
// charts of the report: the PSI summary table, PSI over windows (against the baseline and the previous
// window), the features x windows heatmap, drift-level bins and model quality over windows. The grid is 6
// columns wide.
#include <fmt/format.h>

#include "driftgov/dashboard/export.hpp"
#include "driftgov/report/chart.hpp"

namespace driftgov::dashboard {
namespace {

using nlohmann::json;

std::string quoted_identifier(const std::string& name) {
  std::string out = "`";
  for (const char c : name) {
    out += c;
    if (c == '`') out += '`';
  }
  return out + "`";
}

std::string table_name(const LakeviewOptions& options, const std::string& schema, const std::string& table) {
  std::string name = options.catalog.empty() ? "" : quoted_identifier(options.catalog) + ".";
  return name + quoted_identifier(schema) + "." + quoted_identifier(table);
}

// Splits SQL into Lakeview's queryLines: one string per line, each but the last ending in a newline.
json query_lines(const std::string& sql) {
  json lines = json::array();
  std::size_t begin = 0;
  while (begin < sql.size()) {
    const auto end = sql.find('\n', begin);
    if (end == std::string::npos) {
      lines.push_back(sql.substr(begin));
      break;
    }
    lines.push_back(sql.substr(begin, end - begin + 1));
    begin = end + 1;
  }
  return lines;
}

json field(const std::string& name, const std::string& expression) {
  return {{"name", name}, {"expression", expression}};
}

json position(int x, int y, int width, int height) {
  return {{"x", x}, {"y", y}, {"width", width}, {"height", height}};
}

json frame(const std::string& title) { return {{"showTitle", true}, {"title", title}}; }

json chart_widget(const std::string& name, const std::string& dataset, json fields, bool disaggregated,
                  json spec, json where) {
  return {{"widget",
           {{"name", name},
            {"queries", json::array({{{"name", "main_query"},
                                      {"query",
                                       {{"datasetName", dataset},
                                        {"fields", std::move(fields)},
                                        {"disaggregated", disaggregated}}}}})},
            {"spec", std::move(spec)}}},
          {"position", std::move(where)}};
}

json axis(const std::string& field_name, const char* scale, const std::string& title) {
  return {{"fieldName", field_name},
          {"scale", {{"type", scale}}},
          {"displayName", title},
          {"axis", {{"title", title}}}};
}

json line_chart(const std::string& name, const std::string& dataset, const std::string& y_field,
                const std::string& y_title, const std::string& color_field, const std::string& color_title,
                const std::string& title, json where) {
  const auto y_name = "avg(" + y_field + ")";
  json spec = {
      {"version", 3},
      {"widgetType", "line"},
      {"encodings",
       {{"x", axis("window_start", "temporal", "Window start (UTC)")},
        {"y", axis(y_name, "quantitative", y_title)},
        {"color",
         {{"fieldName", color_field}, {"scale", {{"type", "categorical"}}}, {"displayName", color_title}}}}},
      {"frame", frame(title)}};
  return chart_widget(name, dataset,
                      {field("window_start", "`window_start`"), field(color_field, "`" + color_field + "`"),
                       field(y_name, "AVG(`" + y_field + "`)")},
                      false, std::move(spec), std::move(where));
}

json table_column(const std::string& name, const std::string& title, const char* type, int order) {
  const bool number = std::string_view(type) != "string" && std::string_view(type) != "boolean";
  return {{"fieldName", name},
          {"displayName", title},
          {"title", title},
          {"type", type},
          {"displayAs", number ? "number" : "string"},
          {"visible", true},
          {"order", order}};
}

}  // namespace

json lakeview_dashboard(const monitor::MonitorConfig& monitor, const LakeviewOptions& options) {
  const auto schema = options.schema.empty() ? monitor.output_schema : options.schema;
  const auto drift_table = table_name(options, schema, monitor.name + "_drift_metrics");
  const auto profile_table = table_name(options, schema, monitor.name + "_profile_metrics");
  const bool models = !monitor.model_id_col.empty();
  const auto model_column = models ? quoted_identifier(monitor.model_id_col) : std::string();
  const auto all_models = [&](const std::string& alias) {
    return models ? fmt::format(" AND {}{} = '*'", alias, model_column) : std::string();
  };
  // Against the baseline when the monitor has one, else against the previous window.
  const std::string drift_type = monitor.baseline ? "BASELINE" : "CONSECUTIVE";
  const auto whole_table = [&](const std::string& alias, const std::string& type) {
    return fmt::format("{0}drift_type = '{1}' AND {0}slice_key IS NULL{2} AND {0}column_name <> ':table'",
                       alias, type, all_models(alias));
  };

  json datasets = json::array();
  const auto add_dataset = [&](const std::string& name, const std::string& display_name,
                               const std::string& sql) {
    datasets.push_back({{"name", name}, {"displayName", display_name}, {"queryLines", query_lines(sql)}});
  };
  add_dataset(
      "psi_summary", "PSI summary (newest window)",
      fmt::format(
          "SELECT d.granularity, d.`window`.start AS window_start, d.column_name AS feature,\n"
          "  d.data_type AS type, d.drift_test AS test, d.drift_statistic AS statistic,\n"
          "  d.pvalue_adjusted AS p_value, d.population_stability_index AS psi, d.drift_level,\n"
          "  d.drifted, d.percent_null_delta AS null_rate_change_pp\n"
          "FROM {0} d\n"
          "JOIN (\n"
          "  SELECT granularity, MAX(`window`.start) AS window_start\n"
          "  FROM {0}\n"
          "  WHERE {1}\n"
          "  GROUP BY granularity\n"
          ") newest ON d.granularity <=> newest.granularity AND d.`window`.start = newest.window_start\n"
          "WHERE {2}\n"
          "ORDER BY d.granularity,\n"
          "  CASE d.drift_level WHEN 'high' THEN 0 WHEN 'moderate' THEN 1 ELSE 2 END,\n"
          "  d.population_stability_index DESC, d.column_name",
          drift_table, whole_table("", drift_type), whole_table("d.", drift_type)));
  const auto timeseries = [&](const std::string& type) {
    return fmt::format(
        "SELECT granularity, `window`.start AS window_start, column_name AS feature,\n"
        "  population_stability_index AS psi, drift_level, drifted\n"
        "FROM {}\n"
        "WHERE {}\n"
        "ORDER BY granularity, window_start, feature",
        drift_table, whole_table("", type));
  };
  add_dataset("psi_timeseries", fmt::format("PSI over windows ({})", drift_type), timeseries(drift_type));
  if (monitor.baseline) {
    add_dataset("psi_timeseries_consecutive", "PSI over windows (CONSECUTIVE)", timeseries("CONSECUTIVE"));
  }
  add_dataset("drift_level_bins", "Features per drift level",
              fmt::format("SELECT granularity, `window`.start AS window_start,\n"
                          "  COALESCE(drift_level, 'not measured') AS drift_level, COUNT(*) AS features\n"
                          "FROM {}\n"
                          "WHERE {}\n"
                          "GROUP BY granularity, `window`.start, COALESCE(drift_level, 'not measured')\n"
                          "ORDER BY granularity, window_start, drift_level",
                          drift_table, whole_table("", drift_type)));
  const bool quality =
      monitor.profile_type == monitor::ProfileType::kInferenceLog && !monitor.label_col.empty();
  const bool classification = monitor.problem_type == monitor::ProblemType::kClassification;
  const std::string quality_metric = classification ? "accuracy_score" : "r2_score";
  if (quality) {
    add_dataset(
        "model_quality", "Model quality over windows",
        fmt::format("SELECT granularity, `window`.start AS window_start, {} AS model_id,\n"
                    "  `count` AS row_count, labelled_rows, accuracy_score, f1_score.macro AS f1_macro,\n"
                    "  roc_auc, log_loss, r2_score, mean_squared_error, mean_absolute_error\n"
                    "FROM {}\n"
                    "WHERE log_type = 'INPUT' AND column_name = ':table' AND slice_key IS NULL\n"
                    "ORDER BY granularity, window_start, model_id",
                    models ? model_column : "'*'", profile_table));
  }

  // The granularity filter applies to every dataset of the page (each has a granularity column).
  const auto granularity_filter = [&](const std::string& name, const std::vector<std::string>& names,
                                      json where) {
    json queries = json::array();
    json fields = json::array();
    for (const auto& dataset : names) {
      const auto query_name = "granularity_" + dataset;
      queries.push_back(
          {{"name", query_name},
           {"query",
            {{"datasetName", dataset},
             {"fields",
              {field("granularity", "`granularity`"),
               field("granularity_associativity", "COUNT_IF(`associative_filter_predicate_group`)")}},
             {"disaggregated", false}}}});
      fields.push_back(
          {{"fieldName", "granularity"}, {"displayName", "Granularity"}, {"queryName", query_name}});
    }
    return json{{"widget",
                 {{"name", name},
                  {"queries", std::move(queries)},
                  {"spec",
                   {{"version", 2},
                    {"widgetType", "filter-single-select"},
                    {"encodings", {{"fields", fields}}},
                    {"frame", frame("Granularity")}}}}},
                {"position", std::move(where)}};
  };
  const auto title_box = [](const std::string& name, const std::vector<std::string>& lines, json where) {
    return json{{"widget", {{"name", name}, {"multilineTextboxSpec", {{"lines", lines}}}}},
                {"position", where}};
  };

  json drift_layout = json::array();
  std::vector<std::string> drift_datasets = {"psi_summary", "psi_timeseries", "drift_level_bins"};
  if (monitor.baseline) drift_datasets.push_back("psi_timeseries_consecutive");
  drift_layout.push_back(
      title_box("drift_title",
                {fmt::format("## Drift of monitor `{}`\n", monitor.name),
                 "Whole table, all models; PSI levels: none < 0.1 <= moderate < 0.25 <= high."},
                position(0, 0, 4, 2)));
  drift_layout.push_back(granularity_filter("granularity_filter", drift_datasets, position(4, 0, 2, 2)));
  json summary_columns = json::array();
  int order = 0;
  for (const auto& [name, title, type] : std::vector<std::tuple<std::string, std::string, const char*>>{
           {"feature", "Feature", "string"},
           {"type", "Type", "string"},
           {"test", "Test", "string"},
           {"statistic", "Statistic", "float"},
           {"p_value", "p-value", "float"},
           {"psi", "PSI", "float"},
           {"drift_level", "Level", "string"},
           {"null_rate_change_pp", "Null rate change (pp)", "float"},
           {"drifted", "Drifted", "boolean"},
           {"window_start", "Window start (UTC)", "datetime"}}) {
    summary_columns.push_back(table_column(name, title, type, order++));
  }
  json summary_fields = json::array();
  for (const auto& column : summary_columns) {
    const auto name = column["fieldName"].get<std::string>();
    summary_fields.push_back(field(name, "`" + name + "`"));
  }
  drift_layout.push_back(
      chart_widget("psi_summary_table", "psi_summary", summary_fields, true,
                   {{"version", 1},
                    {"widgetType", "table"},
                    {"encodings", {{"columns", summary_columns}}},
                    {"itemsPerPage", 50},
                    {"frame", frame("PSI summary table (newest window, most severe first)")}},
                   position(0, 2, 6, 8)));
  drift_layout.push_back(line_chart("psi_timeseries_chart", "psi_timeseries", "psi", "PSI", "feature",
                                    "Feature", fmt::format("PSI per feature over windows ({})", drift_type),
                                    position(0, 10, 6, 7)));
  int y = 17;
  if (monitor.baseline) {
    drift_layout.push_back(
        line_chart("psi_consecutive_chart", "psi_timeseries_consecutive", "psi", "PSI", "feature", "Feature",
                   "PSI per feature against the previous window (CONSECUTIVE)", position(0, y, 6, 7)));
    y += 7;
  }
  drift_layout.push_back(chart_widget(
      "psi_heatmap", "psi_timeseries",
      {field("window_start", "`window_start`"), field("feature", "`feature`"),
       field("avg(psi)", "AVG(`psi`)")},
      false,
      {{"version", 3},
       {"widgetType", "heatmap"},
       {"encodings",
        {{"x", axis("window_start", "categorical", "Window start (UTC)")},
         {"y", axis("feature", "categorical", "Feature")},
         {"color",
          {{"fieldName", "avg(psi)"}, {"scale", {{"type", "quantitative"}}}, {"displayName", "PSI"}}}}},
       {"frame", frame("PSI heatmap: features x windows")}},
      position(0, y, 6, 9)));
  y += 9;
  drift_layout.push_back(
      chart_widget("drift_level_bins_chart", "drift_level_bins",
                   {field("window_start", "`window_start`"), field("drift_level", "`drift_level`"),
                    field("sum(features)", "SUM(`features`)")},
                   false,
                   {{"version", 3},
                    {"widgetType", "bar"},
                    {"encodings",
                     {{"x", axis("window_start", "temporal", "Window start (UTC)")},
                      {"y", axis("sum(features)", "quantitative", "Features")},
                      {"color",
                       {{"fieldName", "drift_level"},
                        {"scale",
                         {{"type", "categorical"},
                          {"mappings",
                           {{{"value", "none"}, {"color", report::level_colour(report::Level::kNone)}},
                            {{"value", "moderate"}, {"color", report::level_colour(report::Level::kModerate)}},
                            {{"value", "high"}, {"color", report::level_colour(report::Level::kHigh)}},
                            {{"value", "not measured"}, {"color", report::level_colour(report::Level::kUnknown)}}}}}},
                        {"displayName", "Drift level"}}}}},
                    {"frame", frame("Features per drift level and window")}},
                   position(0, y, 6, 7)));

  json pages = json::array();
  pages.push_back({{"name", "drift"}, {"displayName", "Drift"}, {"layout", std::move(drift_layout)}});
  if (quality) {
    json quality_layout = json::array();
    quality_layout.push_back(title_box("quality_title",
                                       {fmt::format("## Model quality of monitor `{}`\n", monitor.name),
                                        "Whole table, per model id (`*`: all models), on the labelled rows."},
                                       position(0, 0, 4, 2)));
    quality_layout.push_back(
        granularity_filter("quality_granularity_filter", {"model_quality"}, position(4, 0, 2, 2)));
    quality_layout.push_back(line_chart(
        "model_quality_chart", "model_quality", quality_metric, quality_metric, "model_id", "Model id",
        fmt::format("{} per model over windows", quality_metric), position(0, 2, 6, 7)));
    quality_layout.push_back(line_chart("labelled_rows_chart", "model_quality", "labelled_rows",
                                        "Labelled rows", "model_id", "Model id",
                                        "Labelled rows per model over windows", position(0, 9, 6, 6)));
    pages.push_back(
        {{"name", "model_quality"}, {"displayName", "Model quality"}, {"layout", std::move(quality_layout)}});
  }
  return {{"datasets", std::move(datasets)}, {"pages", std::move(pages)}};
}

}  // namespace driftgov::dashboard
