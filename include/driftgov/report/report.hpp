#pragma once
// A drift report (docs/report.md): what a monitor's metric tables (or one comparison) say, as the charts of
// chart.hpp and one self-contained report.html. Building the charts and the HTML is pure (data in, text out);
// reading the tables is in monitor_report.hpp and writing the files is the CLI's.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "driftgov/report/chart.hpp"
#include "driftgov/stats/drift.hpp"

namespace driftgov::report {

// The dataset verdict of one window (the :table drift row).
struct WindowVerdict {
  std::int64_t window = 0;
  std::optional<bool> dataset_drift;
  std::optional<double> share_of_drifted_columns;
};

struct BreachRow {
  std::string rule, metric, drift_type, slice, model_id, column;
  std::int64_t window = 0;
  std::optional<double> value;
};

// One feature: its latest BASELINE row, its series over the windows and its distributions.
struct FeatureDetail {
  FeatureSummary summary;
  std::vector<std::optional<double>> baseline, consecutive;  // the drift metric per window
  Distribution distribution;
};

// A slice (slice_key = slice_value) of the monitor, seen through its drift levels.
struct SliceView {
  std::string label;  // "region = EU"
  std::vector<FeatureSummary> latest;  // per feature, the latest window with data
  LevelBinsData levels;
  std::vector<WindowVerdict> verdicts;
};

struct ReportData {
  std::string title;
  std::string subtitle;  // the time range, or the two sources compared
  std::string metric = "population_stability_index";
  std::string slice;     // the slice the report is about ("region = EU"); empty: the whole table
  std::string model_id;  // the model id shown; empty: the monitor has no model id column
  std::vector<std::int64_t> windows;  // empty for a single comparison
  std::vector<WindowVerdict> verdicts;
  std::string verdict_text;  // a single comparison's verdict sentence
  std::vector<FeatureDetail> features;
  std::vector<BreachRow> breaches;
  QualityData quality;
  bool has_quality = false;
  std::vector<SliceView> slices;
  std::string empty_reason;  // set: the report has nothing to show, and why (e.g. the monitor never refreshed)
  std::size_t top_n = 5;     // features in the time series, the distributions and the gallery; 0: all
};

struct NamedChart {
  std::string name;  // file name without extension: psi_summary_table, psi_timeseries, distribution_price, ...
  std::string svg;
};
// The charts of the report: the summary table, and for a monitor the time series, the heatmap, the level bins and
// model quality; the distributions of the top features; the gallery last.
std::vector<NamedChart> build_charts(const ReportData& data);
// report.html: one file, no external request (inline SVG, CSS and a little JavaScript).
std::string build_html(const ReportData& data);

// A single comparison as a report.
ReportData comparison_report(const stats::DriftReport& drift, std::size_t top_n = 5);

// A file name made of letters, digits, '-' and '_' from any text ("price (€)" -> "price____"), with a hash suffix
// when characters were replaced, so that two features never share a file.
std::string file_stem(const std::string& text);

}  // namespace driftgov::report
