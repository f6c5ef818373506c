#pragma once
// Drift charts as SVG text (docs/report.md): data in, SVG out, no I/O, so the CLI's report and a server's
// dashboard draw the same pictures. Every chart has a title, a subtitle with the time range (or the sources
// compared), labelled axes with units, and a legend. Drift levels have one colour everywhere (Okabe-Ito, a
// colour-blind-safe palette): none, moderate and high at the PSI bands of docs/statistics.md. Every text put into
// the SVG is escaped. A chart with nothing to draw is an explicit empty state (a framed message), never a broken
// picture. Functions are pure and thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace driftgov::report {

// The drift level of a value. kUnknown: no value (a window without data, a column not evaluated).
enum class Level { kNone, kModerate, kHigh, kUnknown };
inline constexpr double kModerateFrom = 0.1;  // PSI bands of docs/statistics.md
inline constexpr double kHighFrom = 0.25;
Level level_of_psi(std::optional<double> psi);
// "none" | "moderate" | "high"; anything else (empty, null) is kUnknown.
Level level_from_text(std::string_view text);
const char* to_string(Level level);  // none, moderate, high, no data
const char* level_colour(Level level);  // #009E73, #E69F00, #D55E00, #BBBBBB
int severity(Level level);  // high 3, moderate 2, none 1, unknown 0

// Text escaped for SVG and HTML content and attribute values (& < > " ').
std::string escape_markup(std::string_view text);
// "2026-03-01" for a midnight instant, "2026-03-01 06:00" otherwise (UTC), from microseconds since the epoch.
std::string format_window(std::int64_t start_us);

// The heading of a chart: title, and a subtitle with the time range or the sources.
struct ChartHeading {
  std::string title;
  std::string subtitle;
};

// 1. One row per feature, sorted by severity by the chart (level, then PSI, then name).
struct FeatureSummary {
  std::string feature;
  std::string data_type;
  std::string test;  // the selected test's metric name; empty: not evaluated
  std::optional<double> statistic, pvalue, psi;
  Level level = Level::kUnknown;
  std::optional<double> null_change;  // percentage points, current - reference
  bool drifted = false;
  std::string note;  // why it was not evaluated, new categories, ...
};
std::vector<FeatureSummary> sorted_by_severity(std::vector<FeatureSummary> rows);
std::string psi_summary_table(const ChartHeading& heading, const std::vector<FeatureSummary>& rows);

// Windows shared by the time charts: their start instants (microseconds), oldest first.
struct FeatureSeries {
  std::string feature;
  std::string drift_type;  // BASELINE (solid line) | CONSECUTIVE (dashed)
  std::vector<std::optional<double>> values;  // one per window; nullopt: no data in that window
};
struct BreachMark {
  std::string feature;
  std::size_t window = 0;  // index into the windows
  std::string drift_type;
};
struct TimeSeriesData {
  std::string metric = "population_stability_index";
  std::string unit;  // axis unit, e.g. "PSI" or "%"
  std::vector<std::int64_t> windows;
  std::vector<FeatureSeries> series;
  std::vector<BreachMark> breaches;
  // Features drawn: the top_n with the highest latest BASELINE value (all features when 0).
  std::size_t top_n = 5;
};
// 2. Level bands are shaded when the metric is PSI.
std::string psi_timeseries(const ChartHeading& heading, const TimeSeriesData& data);

// 3. Features x windows. values[feature][window]; nullopt: no data.
struct HeatmapData {
  std::string metric = "population_stability_index";
  std::vector<std::int64_t> windows;
  std::vector<std::string> features;
  std::vector<std::vector<std::optional<double>>> values;
};
std::string psi_heatmap(const ChartHeading& heading, const HeatmapData& data);

// 4. Per window, how many features are at each level (unknown: no data).
struct LevelCounts {
  int none = 0, moderate = 0, high = 0, unknown = 0;
};
struct LevelBinsData {
  std::vector<std::int64_t> windows;
  std::vector<LevelCounts> counts;
};
std::string drift_level_bins(const ChartHeading& heading, const LevelBinsData& data);

// 5. A feature's reference and current distributions.
struct Distribution {
  std::string feature;
  bool numeric = true;
  // numeric: bin edges (size bins + 1); categorical: one label per bar.
  std::vector<double> edges;
  std::vector<std::string> labels;
  std::vector<double> reference, current;  // proportions per bin or category (0..1)
  struct Marker {
    std::string name;  // "median", "p05", ...
    double reference, current;
  };
  std::vector<Marker> quantiles;  // numeric only
  std::vector<std::string> new_categories, missing_categories;
  std::string empty_reason;  // set: nothing to draw, and why (e.g. "every value is null")
  std::string note;          // printed under the chart (e.g. what the outer bins hold)
};
std::string distribution(const ChartHeading& heading, const Distribution& data);

// 6. A quality metric per model id over the windows, with the baseline's value as a reference line.
struct QualitySeries {
  std::string model_id;
  std::vector<std::optional<double>> values;  // one per window
};
struct QualityData {
  std::string metric;  // e.g. r2_score
  std::vector<std::int64_t> windows;
  std::vector<QualitySeries> series;
  std::optional<double> baseline;
  std::string empty_reason;  // e.g. "the monitor has no label column"
};
std::string model_quality(const ChartHeading& heading, const QualityData& data);

// A framed message in place of a chart that has nothing to draw.
std::string empty_chart(const ChartHeading& heading, const std::string& message, int width = 1600, int height = 300);

// 7. One image composing charts (each a complete <svg> from the functions above), in a grid of `columns`.
std::string gallery(const ChartHeading& heading, const std::vector<std::string>& charts, int columns = 2);

// The pixel size an SVG from this module declares (its width and height attributes); {0, 0} if absent.
struct Size {
  int width = 0, height = 0;
};
Size svg_size(std::string_view svg);

}  // namespace driftgov::report
