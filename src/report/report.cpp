#include "driftgov/report/report.hpp"
#include "report/feature_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>

namespace driftgov::report {
namespace {

ChartHeading heading(const ReportData& data, const std::string& title) { return {title, data.subtitle}; }

std::string metric_title(const std::string& metric) {
  return metric == "population_stability_index" ? "PSI" : metric;
}

// The features in order of severity (indexes into data.features).
std::vector<std::size_t> by_severity(const ReportData& data) {
  const auto sorted = sorted_by_severity(feature_summaries(data));
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < data.features.size(); ++i) index.emplace(data.features[i].summary.feature, i);
  std::vector<std::size_t> order;
  for (const auto& row : sorted) order.push_back(index.at(row.feature));
  return order;
}

TimeSeriesData series_of(const ReportData& data, const std::vector<std::size_t>& features, std::size_t top_n) {
  TimeSeriesData series;
  series.metric = data.metric;
  series.windows = data.windows;
  series.top_n = top_n;
  for (const auto i : features) {
    const auto& f = data.features[i];
    series.series.push_back({f.summary.feature, "BASELINE", f.baseline});
    series.series.push_back({f.summary.feature, "CONSECUTIVE", f.consecutive});
  }
  std::map<std::int64_t, std::size_t> window_index;
  for (std::size_t w = 0; w < data.windows.size(); ++w) window_index.emplace(data.windows[w], w);
  for (const auto& breach : data.breaches) {
    const auto found = window_index.find(breach.window);
    if (found == window_index.end() || breach.slice != data.slice || breach.column.empty()) continue;
    if (breach.model_id != data.model_id) continue;
    series.breaches.push_back({breach.column, found->second, breach.drift_type.empty() ? "BASELINE" : breach.drift_type});
  }
  return series;
}

HeatmapData heatmap_of(const ReportData& data) {
  HeatmapData heatmap;
  heatmap.metric = data.metric;
  heatmap.windows = data.windows;
  for (const auto i : by_severity(data)) {
    heatmap.features.push_back(data.features[i].summary.feature);
    heatmap.values.push_back(data.features[i].baseline);
  }
  return heatmap;
}

LevelBinsData level_bins_of(const ReportData& data) {
  LevelBinsData bins;
  bins.windows = data.windows;
  bins.counts.resize(data.windows.size());
  for (const auto& f : data.features) {
    for (std::size_t w = 0; w < data.windows.size(); ++w) {
      auto& c = bins.counts[w];
      switch (level_of_psi(w < f.baseline.size() ? f.baseline[w] : std::nullopt)) {
        case Level::kNone: ++c.none; break;
        case Level::kModerate: ++c.moderate; break;
        case Level::kHigh: ++c.high; break;
        case Level::kUnknown: ++c.unknown; break;
      }
    }
  }
  return bins;
}

std::size_t shown_count(const ReportData& data) {
  return data.top_n == 0 ? data.features.size() : std::min(data.top_n, data.features.size());
}

}  // namespace

std::string distribution_chart(const ReportData& data, const FeatureDetail& feature) {
  return distribution({fmt::format("Distribution of {}: reference and current", feature.summary.feature),
                       data.windows.empty() ? data.subtitle
                                            : "reference (baseline) and the latest window with data, " +
                                                  format_window(data.windows.back()) + " and before"},
                      feature.distribution);
}

std::string feature_series_chart(const ReportData& data, const FeatureDetail& feature) {
  TimeSeriesData series = series_of(data, {static_cast<std::size_t>(&feature - data.features.data())}, 0);
  return psi_timeseries(heading(data, fmt::format("{} of {} over time", metric_title(data.metric),
                                                  feature.summary.feature)),
                        series);
}

std::vector<FeatureSummary> feature_summaries(const ReportData& data) {
  std::vector<FeatureSummary> rows;
  for (const auto& feature : data.features) rows.push_back(feature.summary);
  return rows;
}

std::string file_stem(const std::string& text) {
  std::string stem;
  bool replaced = false;
  for (const char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '_';
    stem += plain ? c : '_';
    replaced = replaced || !plain;
  }
  if (stem.size() > 60) {
    stem.resize(60);
    replaced = true;
  }
  if (replaced || stem.empty()) {
    std::uint32_t hash = 2166136261u;  // FNV-1a: a short, stable suffix
    for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
    stem += fmt::format("-{:08x}", hash);
  }
  return stem;
}

std::vector<NamedChart> build_charts(const ReportData& data) {
  std::vector<NamedChart> charts;
  if (!data.empty_reason.empty()) {
    charts.push_back({"psi_summary_table", empty_chart({data.title, data.subtitle}, data.empty_reason)});
    return charts;
  }
  const bool monitor = !data.windows.empty() || data.verdict_text.empty();
  charts.push_back(
      {"psi_summary_table",
       psi_summary_table(heading(data, monitor ? "Drift summary: the latest window with data, against the baseline"
                                               : "Drift summary"),
                         feature_summaries(data))});
  const auto order = by_severity(data);
  std::vector<std::string> gallery_charts;
  if (monitor) {
    charts.push_back({"psi_timeseries",
                      psi_timeseries(heading(data, fmt::format("{} per feature over time", metric_title(data.metric))),
                                     series_of(data, order, data.top_n))});
    charts.push_back({"psi_heatmap", psi_heatmap(heading(data, fmt::format("{}: features × windows (BASELINE)",
                                                                           metric_title(data.metric))),
                                                 heatmap_of(data))});
    charts.push_back({"drift_level_bins",
                      drift_level_bins(heading(data, "Features per drift level and window (BASELINE PSI)"),
                                       level_bins_of(data))});
    if (data.has_quality) {
      charts.push_back({"model_quality", model_quality(heading(data, fmt::format("Model quality over time: {}",
                                                                                 data.quality.metric)),
                                                       data.quality)});
    }
    for (std::size_t i = 1; i < charts.size(); ++i) gallery_charts.push_back(charts[i].svg);
  }
  gallery_charts.insert(gallery_charts.begin(), charts.front().svg);
  for (std::size_t k = 0; k < shown_count(data); ++k) {
    const auto& feature = data.features[order[k]];
    charts.push_back({"distribution_" + file_stem(feature.summary.feature), distribution_chart(data, feature)});
    gallery_charts.push_back(charts.back().svg);
  }
  charts.push_back({"gallery", gallery({data.title + ": gallery", data.subtitle}, gallery_charts, 2)});
  return charts;
}

ReportData comparison_report(const stats::DriftReport& drift, std::size_t top_n) {
  ReportData data;
  data.title = "Drift report";
  data.subtitle = fmt::format("reference {} ({} rows) against current {} ({} rows)", drift.reference_source,
                              drift.reference_rows, drift.current_source, drift.current_rows);
  data.top_n = top_n;
  data.verdict_text =
      !drift.undecided_reason.empty()
          ? "Dataset drift: not decided: " + drift.undecided_reason
          : fmt::format("Dataset drift: {} ({} of {} evaluated columns drifted, share {:.3f}, threshold {})",
                        drift.dataset_drift ? "YES" : "no", drift.drifted_columns, drift.evaluated_columns,
                        drift.share_of_drifted_columns, drift.options.drift_share);
  if (drift.columns.empty()) data.empty_reason = "The comparison has no column in common";
  for (const auto& column : drift.columns) {
    FeatureDetail detail;
    auto& s = detail.summary;
    s.feature = column.column_name;
    s.data_type = column.data_type;
    if (column.evaluated && column.test) {
      s.test = column.test->name;
      s.statistic = column.test->statistic;
      s.pvalue = column.test->pvalue_adjusted ? column.test->pvalue_adjusted : column.test->pvalue;
      const auto psi = column.metrics.find("population_stability_index");
      if (psi != column.metrics.end()) s.psi = psi->second;
      s.level = level_from_text(column.drift_level);
    } else {
      s.note = column.reason;
    }
    if (column.reference_count > 0 && column.current_count > 0) {
      s.null_change = column.percent_null_current - column.percent_null_reference;
    }
    s.drifted = column.drifted;
    auto& d = detail.distribution;
    d.feature = column.column_name;
    d.numeric = column.kind == stats::ColumnKind::kNumeric;
    const auto& bins = column.bins;
    if (!column.evaluated || bins.reference_proportion.empty()) {
      d.empty_reason = column.reason.empty() ? "No distribution: the column was not evaluated"
                                             : "No distribution: " + column.reason;
    } else if (d.numeric) {
      // Inner edges from the reference quantiles; the outer bins end at the range of both sides.
      const double low = column.min_value.value_or(bins.edges.empty() ? 0.0 : bins.edges.front() - 1.0);
      const double high = column.max_value.value_or(bins.edges.empty() ? 1.0 : bins.edges.back() + 1.0);
      d.edges.push_back(std::min(low, bins.edges.empty() ? low : bins.edges.front()));
      for (const double e : bins.edges) d.edges.push_back(e);
      d.edges.push_back(std::max(high, d.edges.back()));
      for (const auto& q : column.quantile_deltas) {
        if (q.q == 0.05 || q.q == 0.5 || q.q == 0.95) {
          d.quantiles.push_back({q.q == 0.5 ? "median" : fmt::format("p{:02.0f}", q.q * 100), q.reference, q.current});
        }
      }
    } else {
      d.labels = bins.labels;
      d.new_categories = column.new_categories;
      d.missing_categories = column.missing_categories;
    }
    if (d.empty_reason.empty()) {
      d.reference = bins.reference_proportion;
      d.current = bins.current_proportion;
    }
    data.features.push_back(std::move(detail));
  }
  return data;
}

}  // namespace driftgov::report
