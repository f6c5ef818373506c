#include "driftgov/report/chart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <iterator>
#include <map>

#include "driftgov/stats/drift.hpp"

namespace driftgov::report {

Level level_of_psi(std::optional<double> psi) {
  if (!psi || !std::isfinite(*psi)) return Level::kUnknown;
  return level_from_text(stats::psi_level(*psi));
}

Level level_from_text(std::string_view text) {
  if (text == "none") return Level::kNone;
  if (text == "moderate") return Level::kModerate;
  if (text == "high") return Level::kHigh;
  return Level::kUnknown;
}

const char* to_string(Level level) {
  switch (level) {
    case Level::kNone: return "none";
    case Level::kModerate: return "moderate";
    case Level::kHigh: return "high";
    case Level::kUnknown: break;
  }
  return "no data";
}

const char* level_colour(Level level) {
  switch (level) {
    case Level::kNone: return "#009E73";      // Okabe-Ito bluish green
    case Level::kModerate: return "#E69F00";  // orange
    case Level::kHigh: return "#D55E00";      // vermillion
    case Level::kUnknown: break;
  }
  return "#BBBBBB";
}

int severity(Level level) {
  switch (level) {
    case Level::kHigh: return 3;
    case Level::kModerate: return 2;
    case Level::kNone: return 1;
    case Level::kUnknown: break;
  }
  return 0;
}

std::string escape_markup(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // Control characters are not allowed in XML 1.0; show them as a replacement character.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string format_window(std::int64_t start_us) {
  using namespace std::chrono;
  const sys_time<microseconds> instant{microseconds{start_us}};
  const auto day = floor<days>(instant);
  const year_month_day date{day};
  const auto time = hh_mm_ss<microseconds>(instant - day);
  const auto date_text = fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(date.year()),
                                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  if (time.to_duration().count() == 0) return date_text;
  return fmt::format("{} {:02d}:{:02d}", date_text, time.hours().count(), time.minutes().count());
}

namespace {

constexpr int kWidth = 1600;
constexpr const char* kReferenceColour = "#56B4E9";  // Okabe-Ito sky blue
constexpr const char* kCurrentColour = "#0072B2";    // blue
constexpr std::array<const char*, 6> kSeriesColours = {"#0072B2", "#CC79A7", "#000000", "#56B4E9", "#882255",
                                                       "#44AA99"};
constexpr const char* kTextColour = "#222222";
constexpr const char* kGridColour = "#DDDDDD";

// A coordinate to a tenth of a pixel, printed in the fewest digits ("110", "400.6"): the charts are 1,600 px wide,
// and report.html holds thousands of coordinates.
double px(double value) { return std::round(value * 10) / 10; }

// Appends SVG elements to one string; every text goes through escape_markup.
class Svg {
 public:
  Svg(const char* chart, int width, int height, const ChartHeading& heading) : width_(width), height_(height) {
    fmt::format_to(out(),
                   R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" )"
                   R"(role="img" aria-label="{2}" data-chart="{3}" font-family="DejaVu Sans, sans-serif" )"
                   R"(font-size="16" fill="{4}"><title>{2}</title><desc>{5}</desc>)",
                   width, height, escape_markup(heading.title), chart, kTextColour, escape_markup(heading.subtitle));
    rect(0, 0, width, height, "#FFFFFF");
    text(24, 40, heading.title, R"(font-size="26" font-weight="bold")");
    if (!heading.subtitle.empty()) text(24, 68, heading.subtitle, R"(font-size="17" fill="#555555")");
  }
  std::back_insert_iterator<std::string> out() { return std::back_inserter(text_); }
  int width() const { return width_; }
  int height() const { return height_; }

  void text(double x, double y, std::string_view content, std::string_view attributes = "") {
    fmt::format_to(out(), R"(<text x="{}" y="{}"{}{}>{}</text>)", px(x), px(y), attributes.empty() ? "" : " ",
                   attributes, escape_markup(content));
  }
  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view attributes = "") {
    fmt::format_to(out(), R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"{}{}/>)", px(x), px(y),
                   px(std::max(w, 0.0)), px(std::max(h, 0.0)), fill, attributes.empty() ? "" : " ", attributes);
  }
  void line(double x1, double y1, double x2, double y2, std::string_view stroke, std::string_view attributes = "") {
    fmt::format_to(out(), R"(<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"{}{}/>)", px(x1), px(y1), px(x2),
                   px(y2), stroke, attributes.empty() ? "" : " ", attributes);
  }
  void raw(std::string_view markup) { text_ += markup; }
  std::string finish() {
    text_ += "</svg>";
    return std::move(text_);
  }

 private:
  std::string text_;
  int width_, height_;
};

std::string number(std::optional<double> value, const char* spec = "{:.3g}") {
  if (!value || !std::isfinite(*value)) return "-";
  return fmt::format(fmt::runtime(spec), *value);
}

// About `count` round tick values covering [low, high].
std::vector<double> ticks(double low, double high, int count = 5) {
  if (!(high > low)) high = low + 1.0;
  const double raw = (high - low) / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double factor : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = factor * magnitude;
    if (raw <= step) break;
  }
  std::vector<double> result;
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) {
    result.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return result;
}

// The plot area of a chart with axes.
struct Plot {
  double left, top, right, bottom;
  double low = 0.0, high = 1.0;  // y range
  double width() const { return right - left; }
  double height() const { return bottom - top; }
  double y(double value) const {
    const double clamped = std::clamp(value, low, high);
    return bottom - (clamped - low) / (high - low) * height();
  }
};

void y_axis(Svg& svg, const Plot& plot, const std::string& label) {
  std::string grid;
  svg.raw(R"(<g text-anchor="end">)");
  for (const double t : ticks(plot.low, plot.high)) {
    const double y = plot.y(t);
    fmt::format_to(std::back_inserter(grid), "M{} {}H{}", px(plot.left), px(y), px(plot.right));
    svg.text(plot.left - 8, y + 5, fmt::format("{:.3g}", t));
  }
  svg.raw("</g>");
  fmt::format_to(svg.out(), R"(<path d="{}" stroke="{}"/>)", grid, kGridColour);
  svg.line(plot.left, plot.top, plot.left, plot.bottom, kTextColour);
  const double middle = (plot.top + plot.bottom) / 2;
  svg.text(28, middle, label,
           fmt::format(R"~(text-anchor="middle" transform="rotate(-90 28 {:.1f})" font-size="17")~", middle));
}

// Window labels under the plot: as many as fit (each needs about 110 px).
void window_axis(Svg& svg, const Plot& plot, const std::vector<std::int64_t>& windows, const std::string& label) {
  svg.line(plot.left, plot.bottom, plot.right, plot.bottom, kTextColour);
  const double step = windows.empty() ? 1.0 : plot.width() / static_cast<double>(windows.size());
  const std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(110.0 / step)));
  std::string marks;
  svg.raw(R"(<g text-anchor="middle" font-size="15">)");
  for (std::size_t i = 0; i < windows.size(); i += every) {
    const double x = plot.left + (static_cast<double>(i) + 0.5) * step;
    fmt::format_to(std::back_inserter(marks), "M{} {}v6", px(x), px(plot.bottom));
    svg.text(x, plot.bottom + 24, format_window(windows[i]));
  }
  svg.raw("</g>");
  if (!marks.empty()) fmt::format_to(svg.out(), R"(<path d="{}" stroke="{}"/>)", marks, kTextColour);
  svg.text((plot.left + plot.right) / 2, plot.bottom + 52, label, R"(text-anchor="middle" font-size="17")");
}

double window_x(const Plot& plot, std::size_t count, std::size_t index) {
  const double step = plot.width() / static_cast<double>(std::max<std::size_t>(count, 1));
  return plot.left + (static_cast<double>(index) + 0.5) * step;
}

struct Legend {
  double x, y;
  void swatch(Svg& svg, std::string_view colour, const std::string& label, std::string_view extra = "") {
    svg.rect(x, y - 13, 18, 18, colour, extra);
    svg.text(x + 26, y + 1, label);
    y += 28;
  }
  void stroke(Svg& svg, std::string_view colour, const std::string& label, std::string_view dash) {
    svg.line(x, y - 4, x + 30, y - 4, colour, fmt::format(R"(stroke-width="3" {})", dash));
    svg.text(x + 38, y + 1, label);
    y += 28;
  }
  void heading(Svg& svg, const std::string& label) {
    svg.text(x, y + 1, label, R"(font-weight="bold")");
    y += 28;
  }
};

void level_legend(Svg& svg, Legend& legend, bool with_unknown) {
  legend.heading(svg, "PSI level");
  legend.swatch(svg, level_colour(Level::kHigh), fmt::format("high (≥ {})", kHighFrom));
  legend.swatch(svg, level_colour(Level::kModerate), fmt::format("moderate ({} – {})", kModerateFrom, kHighFrom));
  legend.swatch(svg, level_colour(Level::kNone), fmt::format("none (< {})", kModerateFrom));
  if (with_unknown) legend.swatch(svg, level_colour(Level::kUnknown), "no data");
}

std::string shorten(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit - 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return text.substr(0, cut) + "…";
}

bool is_psi(const std::string& metric) { return metric == "population_stability_index"; }

std::string metric_label(const std::string& metric) {
  if (is_psi(metric)) return "PSI (population stability index, unitless)";
  return metric;
}

}  // namespace

std::string empty_chart(const ChartHeading& heading, const std::string& message, int width, int height) {
  Svg svg("empty", width, height, heading);
  svg.rect(24, 90, width - 48, height - 120, "#F6F6F6", R"(stroke="#BBBBBB" stroke-dasharray="6 4")");
  svg.text(width / 2.0, 90 + (height - 120) / 2.0 + 6, message,
           R"(text-anchor="middle" font-size="20" class="empty-state")");
  return svg.finish();
}

std::vector<FeatureSummary> sorted_by_severity(std::vector<FeatureSummary> rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const FeatureSummary& a, const FeatureSummary& b) {
    if (severity(a.level) != severity(b.level)) return severity(a.level) > severity(b.level);
    if (a.drifted != b.drifted) return a.drifted;
    const double pa = a.psi.value_or(-1.0), pb = b.psi.value_or(-1.0);
    if (pa != pb) return pa > pb;
    return a.feature < b.feature;
  });
  return rows;
}

std::string psi_summary_table(const ChartHeading& heading, const std::vector<FeatureSummary>& input) {
  if (input.empty()) return empty_chart(heading, "No feature to summarise: the comparison has no columns");
  const auto rows = sorted_by_severity(input);
  constexpr double kRowHeight = 34;
  constexpr double kTop = 100;
  const int height = static_cast<int>(kTop + kRowHeight * static_cast<double>(rows.size() + 1) + 60);
  Svg svg("psi_summary_table", kWidth, height, heading);
  // Columns: x of the left edge; numbers are right-aligned at the next edge minus a margin.
  const std::array<double, 10> edges = {24, 330, 480, 760, 900, 1020, 1140, 1290, 1420, 1576};
  const std::array<const char*, 9> titles = {"feature", "type", "test", "statistic", "p-value",
                                             "PSI", "level", "null Δ (pp)", "drift"};
  svg.rect(edges[0], kTop, edges[9] - edges[0], kRowHeight, "#EEEEEE");
  for (std::size_t c = 0; c < titles.size(); ++c) {
    svg.text(edges[c] + 8, kTop + 23, titles[c], R"(font-weight="bold")");
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    const double y = kTop + kRowHeight * static_cast<double>(r + 1);
    const char* colour = level_colour(row.level);
    // The PSI and level cells carry the level colour; the row gets a light stripe for reading across.
    if (r % 2 == 1) svg.rect(edges[0], y, edges[9] - edges[0], kRowHeight, "#F7F7F7");
    svg.rect(edges[5], y + 2, edges[7] - edges[5], kRowHeight - 4, colour,
             fmt::format(R"(class="level-{}" fill-opacity="0.85" data-feature="{}")",
                         row.level == Level::kUnknown ? "unknown" : to_string(row.level), escape_markup(row.feature)));
    const std::array<std::string, 9> cells = {
        shorten(row.feature, 28), shorten(row.data_type, 14), row.test.empty() ? "not evaluated" : row.test,
        number(row.statistic, "{:.4g}"), number(row.pvalue, "{:.3g}"), number(row.psi, "{:.4f}"),
        to_string(row.level), row.null_change ? fmt::format("{:+.2f}", *row.null_change) : "-",
        row.drifted ? "DRIFT" : (row.test.empty() ? "-" : "ok")};
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const bool numeric = c == 3 || c == 4 || c == 5 || c == 7;
      if (numeric) {
        svg.text(edges[c + 1] - 10, y + 23, cells[c], R"(text-anchor="end")");
      } else {
        svg.text(edges[c] + 8, y + 23, cells[c], c == 8 && row.drifted ? R"(font-weight="bold")" : "");
      }
    }
  }
  svg.text(24, height - 22,
           fmt::format("Sorted by severity. PSI levels: none < {} ≤ moderate < {} ≤ high. Drift is decided by the "
                       "test; the PSI level is informational.",
                       kModerateFrom, kHighFrom),
           R"(font-size="15" fill="#555555")");
  return svg.finish();
}

std::string psi_timeseries(const ChartHeading& heading, const TimeSeriesData& data) {
  if (data.windows.empty()) return empty_chart(heading, "No window in the range: the monitor has no drift metrics here");
  // Features ranked by their latest BASELINE value (the latest value of any series when there is no BASELINE).
  std::map<std::string, double> latest;
  for (const auto& series : data.series) {
    for (auto it = series.values.rbegin(); it != series.values.rend(); ++it) {
      if (!*it) continue;
      auto& slot = latest[series.feature];
      if (series.drift_type == "BASELINE" || slot == 0.0) slot = **it;
      break;
    }
  }
  if (latest.empty()) return empty_chart(heading, "No data: every window in the range is empty for these features");
  std::vector<std::pair<std::string, double>> ranked(latest.begin(), latest.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (data.top_n > 0 && ranked.size() > data.top_n) ranked.resize(data.top_n);
  std::map<std::string, std::size_t> colour_of;
  for (std::size_t i = 0; i < ranked.size(); ++i) colour_of[ranked[i].first] = i;

  double highest = is_psi(data.metric) ? kHighFrom * 1.2 : 0.0;
  for (const auto& series : data.series) {
    if (!colour_of.count(series.feature)) continue;
    for (const auto& v : series.values) {
      if (v && std::isfinite(*v)) highest = std::max(highest, *v);
    }
  }
  const int legend_rows = static_cast<int>(ranked.size()) + 10;
  const int height = std::max(620, 140 + legend_rows * 28);
  Svg svg("psi_timeseries", kWidth, height, heading);
  Plot plot{110, 100, kWidth - 340.0, height - 100.0};
  plot.high = highest > 0 ? highest * 1.08 : 1.0;
  if (is_psi(data.metric)) {
    const std::array<std::pair<double, Level>, 3> bands = {
        std::pair{0.0, Level::kNone}, std::pair{kModerateFrom, Level::kModerate}, std::pair{kHighFrom, Level::kHigh}};
    for (std::size_t b = 0; b < bands.size(); ++b) {
      const double from = bands[b].first;
      const double to = b + 1 < bands.size() ? bands[b + 1].first : plot.high;
      if (from >= plot.high) break;
      svg.rect(plot.left, plot.y(to), plot.width(), plot.y(from) - plot.y(to), level_colour(bands[b].second),
               fmt::format(R"(fill-opacity="0.13" class="band-{}")", to_string(bands[b].second)));
    }
  }
  y_axis(svg, plot, metric_label(data.metric) + (data.unit.empty() ? "" : " [" + data.unit + "]"));
  window_axis(svg, plot, data.windows, "window start (UTC)");
  const auto n = data.windows.size();
  for (const auto& series : data.series) {
    const auto found = colour_of.find(series.feature);
    if (found == colour_of.end()) continue;
    const char* colour = kSeriesColours[found->second % kSeriesColours.size()];
    const bool consecutive = series.drift_type == "CONSECUTIVE";
    const std::string dash = consecutive ? R"(stroke-dasharray="8 5")" : "";
    std::string points;
    const auto flush = [&] {
      if (points.empty()) return;
      fmt::format_to(svg.out(),
                     R"(<polyline fill="none" stroke="{}" stroke-width="{}" {} data-feature="{}" )"
                     R"(data-drift-type="{}" points="{}"/>)",
                     colour, consecutive ? 2 : 3, dash, escape_markup(series.feature), series.drift_type, points);
      points.clear();
    };
    for (std::size_t w = 0; w < n && w < series.values.size(); ++w) {
      const auto& v = series.values[w];
      if (!v || !std::isfinite(*v)) {
        flush();  // a window without data breaks the line
        continue;
      }
      fmt::format_to(std::back_inserter(points), "{:.0f},{:.0f} ", window_x(plot, n, w), plot.y(*v));
      if (n <= 40 && !consecutive) {
        fmt::format_to(svg.out(), R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"/>)", window_x(plot, n, w),
                       plot.y(*v), colour);
      }
    }
    flush();
  }
  // One path of triangles per feature and drift type: a noisy monitor has thousands of breaches.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::size_t>> triangles;
  std::size_t marks = 0;
  for (const auto& breach : data.breaches) {
    if (!colour_of.count(breach.feature) || breach.window >= n) continue;
    std::optional<double> value;
    for (const auto& series : data.series) {
      if (series.feature == breach.feature && series.drift_type == breach.drift_type &&
          breach.window < series.values.size()) {
        value = series.values[breach.window];
      }
    }
    auto& group = triangles[{breach.feature, breach.drift_type}];
    fmt::format_to(std::back_inserter(group.first), "M{:.0f} {:.0f}l9 -16h-18z", window_x(plot, n, breach.window),
                   (value ? plot.y(*value) : plot.top + 12) - 6);
    ++group.second;
    ++marks;
  }
  for (const auto& group : triangles) {
    fmt::format_to(svg.out(),
                   R"(<path class="breach" data-feature="{}" data-drift-type="{}" data-count="{}" d="{}" )"
                   R"(fill="#000000" stroke="#FFFFFF" stroke-width="1.5"><title>{} breaches: {} {}</title></path>)",
                   escape_markup(group.first.first), group.first.second, group.second.second, group.second.first,
                   group.second.second, escape_markup(group.first.first), group.first.second);
  }
  Legend legend{plot.right + 30, plot.top + 10};
  legend.heading(svg, data.top_n > 0 && latest.size() > data.top_n
                          ? fmt::format("top {} of {} features", ranked.size(), latest.size())
                          : "features");
  for (const auto& entry : ranked) {
    legend.swatch(svg, kSeriesColours[colour_of[entry.first] % kSeriesColours.size()], shorten(entry.first, 22));
  }
  legend.stroke(svg, "#444444", "BASELINE drift", "");
  legend.stroke(svg, "#444444", "CONSECUTIVE drift", R"(stroke-dasharray="8 5")");
  fmt::format_to(svg.out(), R"(<path d="M{:.1f} {:.1f}l9 -16h-18z" fill="#000000"/>)", legend.x + 15, legend.y + 4);
  svg.text(legend.x + 38, legend.y + 1, fmt::format("breach ({})", marks));
  legend.y += 36;
  if (is_psi(data.metric)) level_legend(svg, legend, false);
  return svg.finish();
}

std::string psi_heatmap(const ChartHeading& heading, const HeatmapData& data) {
  if (data.windows.empty() || data.features.empty()) {
    return empty_chart(heading, data.windows.empty() ? "No window in the range: nothing to draw"
                                                     : "No feature has drift metrics in the range");
  }
  const bool psi = is_psi(data.metric);
  const double row_height = std::clamp(900.0 / static_cast<double>(data.features.size()), 16.0, 34.0);
  constexpr double kLeft = 260;
  constexpr double kTop = 100;
  const double plot_width = kWidth - kLeft - 250;
  const double cell_width = plot_width / static_cast<double>(data.windows.size());
  const int height = static_cast<int>(kTop + row_height * static_cast<double>(data.features.size()) + 100);
  Svg svg("psi_heatmap", kWidth, std::max(height, 520), heading);
  double highest = 0.0;
  for (const auto& row : data.values) {
    for (const auto& v : row) {
      if (v && std::isfinite(*v)) highest = std::max(highest, *v);
    }
  }
  // Cells are grouped by colour into one path each: 4,500 cells stay a few dozen kilobytes.
  struct Bucket {
    std::string fill;
    double opacity;
    std::string label;
    std::string cls;
  };
  std::vector<Bucket> buckets;
  if (psi) {
    buckets = {{level_colour(Level::kNone), 0.30, fmt::format("none, < {}", kModerateFrom / 2), "level-none"},
               {level_colour(Level::kNone), 0.65, fmt::format("none, {} – {}", kModerateFrom / 2, kModerateFrom),
                "level-none"},
               {level_colour(Level::kModerate), 0.60, fmt::format("moderate, {} – 0.175", kModerateFrom),
                "level-moderate"},
               {level_colour(Level::kModerate), 1.00, fmt::format("moderate, 0.175 – {}", kHighFrom),
                "level-moderate"},
               {level_colour(Level::kHigh), 0.75, fmt::format("high, {} – 0.5", kHighFrom), "level-high"},
               {level_colour(Level::kHigh), 1.00, "high, ≥ 0.5", "level-high"}};
  } else {
    for (int b = 0; b < 5; ++b) {
      const double from = highest * b / 5, to = highest * (b + 1) / 5;
      buckets.push_back({kCurrentColour, 0.15 + 0.85 * b / 4.0, fmt::format("{:.3g} – {:.3g}", from, to),
                         fmt::format("step-{}", b)});
    }
  }
  buckets.push_back({level_colour(Level::kUnknown), 0.45, "no data", "level-unknown"});
  const auto bucket_of = [&](const std::optional<double>& v) -> std::size_t {
    if (!v || !std::isfinite(*v)) return buckets.size() - 1;
    if (psi) {
      if (*v < kModerateFrom / 2) return 0;
      if (*v < kModerateFrom) return 1;
      if (*v < 0.175) return 2;
      if (*v < kHighFrom) return 3;
      return *v < 0.5 ? 4 : 5;
    }
    if (highest <= 0) return 0;
    return std::min<std::size_t>(4, static_cast<std::size_t>(*v / highest * 5));
  };
  std::vector<std::string> paths(buckets.size());
  const bool values_fit = cell_width >= 52 && row_height >= 20;
  std::string labels;
  for (std::size_t f = 0; f < data.features.size(); ++f) {
    const double y = kTop + row_height * static_cast<double>(f);
    for (std::size_t w = 0; w < data.windows.size(); ++w) {
      static const std::optional<double> kMissing;
      const auto& v = f < data.values.size() && w < data.values[f].size() ? data.values[f][w] : kMissing;
      const double x = kLeft + cell_width * static_cast<double>(w);
      fmt::format_to(std::back_inserter(paths[bucket_of(v)]), "M{} {}h{}v{}h-{}z", px(x), px(y), px(cell_width - 1),
                     px(row_height - 1), px(cell_width - 1));
      if (values_fit && v && std::isfinite(*v)) {
        fmt::format_to(std::back_inserter(labels), R"(<text x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>)",
                       x + cell_width / 2, y + row_height / 2 + 5, fmt::format("{:.2f}", *v));
      }
    }
    svg.text(kLeft - 10, y + row_height / 2 + 5, shorten(data.features[f], 26),
             fmt::format(R"(text-anchor="end" font-size="{}")", row_height >= 20 ? 16 : 14));
  }
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    if (paths[b].empty()) continue;
    fmt::format_to(svg.out(), R"(<path class="{}" fill="{}" fill-opacity="{:.2f}" d="{}"/>)", buckets[b].cls,
                   buckets[b].fill, buckets[b].opacity, paths[b]);
  }
  if (!labels.empty()) fmt::format_to(svg.out(), R"(<g font-size="14">{}</g>)", labels);
  Plot plot{kLeft, kTop, kLeft + plot_width, kTop + row_height * static_cast<double>(data.features.size())};
  window_axis(svg, plot, data.windows, "window start (UTC)");
  Legend legend{plot.right + 30, kTop + 10};
  legend.heading(svg, psi ? "PSI (unitless)" : data.metric);
  for (const auto& bucket : buckets) {
    legend.swatch(svg, bucket.fill, bucket.label, fmt::format(R"(fill-opacity="{:.2f}")", bucket.opacity));
  }
  return svg.finish();
}

std::string drift_level_bins(const ChartHeading& heading, const LevelBinsData& data) {
  if (data.windows.empty()) return empty_chart(heading, "No window in the range: no drift levels to count");
  int most = 1;
  for (const auto& c : data.counts) most = std::max(most, c.none + c.moderate + c.high + c.unknown);
  Svg svg("drift_level_bins", kWidth, 560, heading);
  Plot plot{110, 100, kWidth - 300.0, 460};
  plot.high = most;
  y_axis(svg, plot, "features (count)");
  window_axis(svg, plot, data.windows, "window start (UTC)");
  const double step = plot.width() / static_cast<double>(data.windows.size());
  const double bar = std::max(1.0, step * 0.8);
  const std::array<Level, 4> order = {Level::kHigh, Level::kModerate, Level::kNone, Level::kUnknown};
  // One path per level, as in the heatmap.
  std::array<std::string, 4> paths;
  for (std::size_t w = 0; w < data.windows.size() && w < data.counts.size(); ++w) {
    const auto& c = data.counts[w];
    const std::array<int, 4> values = {c.high, c.moderate, c.none, c.unknown};
    double base = 0;
    for (std::size_t l = 0; l < order.size(); ++l) {
      if (values[l] == 0) continue;
      const double top = plot.y(base + values[l]);
      fmt::format_to(std::back_inserter(paths[l]), "M{:.1f} {:.1f}h{:.1f}v{:.1f}h-{:.1f}z",
                     window_x(plot, data.windows.size(), w) - bar / 2, top, bar, plot.y(base) - top, bar);
      base += values[l];
    }
  }
  for (std::size_t l = 0; l < order.size(); ++l) {
    if (paths[l].empty()) continue;
    fmt::format_to(svg.out(), R"(<path class="level-{}" fill="{}" d="{}"/>)",
                   order[l] == Level::kUnknown ? "unknown" : to_string(order[l]), level_colour(order[l]), paths[l]);
  }
  Legend legend{plot.right + 30, plot.top + 10};
  level_legend(svg, legend, true);
  return svg.finish();
}

std::string distribution(const ChartHeading& heading, const Distribution& data) {
  if (!data.empty_reason.empty()) return empty_chart(heading, data.empty_reason, kWidth, 420);
  const std::size_t bars = data.numeric ? (data.edges.size() > 1 ? data.edges.size() - 1 : 0) : data.labels.size();
  if (bars == 0 || data.reference.size() < bars || data.current.size() < bars) {
    return empty_chart(heading, "No values to draw on either side", kWidth, 420);
  }
  double highest = 0.0;
  for (std::size_t i = 0; i < bars; ++i) highest = std::max({highest, data.reference[i], data.current[i]});
  const bool notes = !data.new_categories.empty() || !data.missing_categories.empty();
  const int height = data.numeric ? 560 : 620 + (notes ? 60 : 0);
  Svg svg("distribution", kWidth, height, heading);
  Plot plot{110, 100, kWidth - 300.0, data.numeric ? 460.0 : 460.0};
  plot.high = highest > 0 ? highest * 100 * 1.1 : 1.0;
  y_axis(svg, plot, "share of non-null rows (%)");
  svg.line(plot.left, plot.bottom, plot.right, plot.bottom, kTextColour);
  const double step = plot.width() / static_cast<double>(bars);
  const double low = data.numeric ? data.edges.front() : 0.0, high = data.numeric ? data.edges.back() : 1.0;
  const auto x_of = [&](double value) {
    return high > low ? plot.left + (value - low) / (high - low) * plot.width() : plot.left;
  };
  std::string reference_bars, current_bars;
  for (std::size_t i = 0; i < bars; ++i) {
    // Numeric bins span their values (quantile bins have unequal widths); categories get equal slots. In each,
    // the reference bar is on the left half, the current bar on the right half.
    const double from = data.numeric ? x_of(data.edges[i]) : plot.left + step * static_cast<double>(i);
    const double to = data.numeric ? x_of(data.edges[i + 1]) : from + step;
    const double margin = (to - from) * 0.1;
    const double bar = std::max(0.5, (to - from - 2 * margin) / 2);
    const double ref = plot.y(data.reference[i] * 100), cur = plot.y(data.current[i] * 100);
    fmt::format_to(std::back_inserter(reference_bars), "M{} {}h{}V{}h-{}z", px(from + margin), px(ref), px(bar),
                   px(plot.bottom), px(bar));
    fmt::format_to(std::back_inserter(current_bars), "M{} {}h{}V{}h-{}z", px(from + margin + bar), px(cur), px(bar),
                   px(plot.bottom), px(bar));
  }
  // One path per side, a bar per bin or category: report.html holds a distribution per feature.
  fmt::format_to(svg.out(), R"(<path class="reference" fill="{}" d="{}"/><path class="current" fill="{}" d="{}"/>)",
                 kReferenceColour, reference_bars, kCurrentColour, current_bars);
  Legend legend{plot.right + 30, plot.top + 10};
  legend.swatch(svg, kReferenceColour, "reference");
  legend.swatch(svg, kCurrentColour, "current");
  if (data.numeric) {
    for (const double t : ticks(low, high, 8)) {
      if (t < low || t > high) continue;
      svg.line(x_of(t), plot.bottom, x_of(t), plot.bottom + 6, kTextColour);
      svg.text(x_of(t), plot.bottom + 24, fmt::format("{:.4g}", t), R"(text-anchor="middle" font-size="15")");
    }
    svg.text((plot.left + plot.right) / 2, plot.bottom + 52, "value of " + shorten(data.feature, 40) + " (its unit)",
             R"(text-anchor="middle" font-size="17")");
    std::size_t index = 0;
    for (const auto& marker : data.quantiles) {
      const double dy = 18.0 * static_cast<double>(index++ % 3);
      svg.line(x_of(marker.reference), plot.top, x_of(marker.reference), plot.bottom, kReferenceColour,
               R"(stroke-width="2" stroke-dasharray="6 4" class="quantile-reference")");
      svg.line(x_of(marker.current), plot.top, x_of(marker.current), plot.bottom, kCurrentColour,
               R"(stroke-width="2" stroke-dasharray="2 3" class="quantile-current")");
      svg.text(x_of(marker.current) + 4, plot.top + 14 + dy, marker.name, R"(font-size="14")");
    }
    legend.stroke(svg, kReferenceColour, "reference quantiles", R"(stroke-dasharray="6 4")");
    legend.stroke(svg, kCurrentColour, "current quantiles", R"(stroke-dasharray="2 3")");
    if (!data.note.empty()) svg.text(24, svg.height() - 14, data.note, R"(font-size="15" fill="#555555")");
    return svg.finish();
  }
  const auto listed = [](const std::vector<std::string>& list, const std::string& label) {
    return std::find(list.begin(), list.end(), label) != list.end();
  };
  const std::size_t label_limit = std::max<std::size_t>(4, static_cast<std::size_t>(step / 9));
  for (std::size_t i = 0; i < bars; ++i) {
    const double x = plot.left + step * (static_cast<double>(i) + 0.5);
    const auto& label = data.labels[i];
    std::string shown = shorten(label.empty() ? "\"\"" : label, label_limit);
    std::string attributes = R"(text-anchor="end" font-size="15")";
    if (listed(data.new_categories, label)) {
      shown += " (new)";
      attributes += R"( font-weight="bold" class="category-new")";
    } else if (listed(data.missing_categories, label)) {
      shown += " (missing)";
      attributes += R"( font-style="italic" class="category-missing")";
    }
    svg.text(x, plot.bottom + 18, shown,
             fmt::format(R"~({} transform="rotate(-35 {:.1f} {:.1f})")~", attributes, x, plot.bottom + 18));
  }
  svg.text((plot.left + plot.right) / 2, height - (notes ? 78 : 18), "category of " + shorten(data.feature, 40),
           R"(text-anchor="middle" font-size="17")");
  const auto joined = [](const std::vector<std::string>& list) {
    std::string text;
    for (std::size_t i = 0; i < list.size() && i < 8; ++i) text += (i ? ", " : "") + (list[i].empty() ? "\"\"" : list[i]);
    if (list.size() > 8) text += fmt::format(", … ({} in all)", list.size());
    return text;
  };
  double note_y = height - 46;
  if (!data.new_categories.empty()) {
    svg.text(24, note_y, "New in the current data: " + joined(data.new_categories), R"(font-weight="bold")");
    note_y += 26;
  }
  if (!data.missing_categories.empty()) {
    svg.text(24, note_y, "Missing from the current data: " + joined(data.missing_categories),
             R"(font-style="italic")");
  }
  return svg.finish();
}

std::string model_quality(const ChartHeading& heading, const QualityData& data) {
  if (!data.empty_reason.empty()) return empty_chart(heading, data.empty_reason);
  if (data.windows.empty()) return empty_chart(heading, "No window in the range: no model quality to draw");
  double low = data.baseline.value_or(INFINITY), high = data.baseline.value_or(-INFINITY);
  for (const auto& series : data.series) {
    for (const auto& v : series.values) {
      if (v && std::isfinite(*v)) {
        low = std::min(low, *v);
        high = std::max(high, *v);
      }
    }
  }
  if (!std::isfinite(low)) {
    return empty_chart(heading, "No labelled rows in the range: model quality needs labels");
  }
  const double pad = std::max((high - low) * 0.1, 1e-3);
  const int height = std::max(560, 160 + static_cast<int>(data.series.size() + 3) * 28);
  Svg svg("model_quality", kWidth, height, heading);
  Plot plot{110, 100, kWidth - 300.0, height - 100.0};
  plot.low = low - pad;
  plot.high = high + pad;
  y_axis(svg, plot, data.metric + " (unit of the metric)");
  window_axis(svg, plot, data.windows, "window start (UTC)");
  const auto n = data.windows.size();
  Legend legend{plot.right + 30, plot.top + 10};
  legend.heading(svg, "model id");
  for (std::size_t s = 0; s < data.series.size(); ++s) {
    const char* colour = kSeriesColours[s % kSeriesColours.size()];
    std::string points;
    const auto flush = [&] {
      if (points.empty()) return;
      fmt::format_to(svg.out(), R"(<polyline fill="none" stroke="{}" stroke-width="3" data-model="{}" points="{}"/>)",
                     colour, escape_markup(data.series[s].model_id), points);
      points.clear();
    };
    for (std::size_t w = 0; w < n && w < data.series[s].values.size(); ++w) {
      const auto& v = data.series[s].values[w];
      if (!v || !std::isfinite(*v)) {
        flush();
        continue;
      }
      fmt::format_to(std::back_inserter(points), "{:.0f},{:.0f} ", window_x(plot, n, w), plot.y(*v));
    }
    flush();
    legend.swatch(svg, colour, shorten(data.series[s].model_id, 22));
  }
  if (data.baseline) {
    const double y = plot.y(*data.baseline);
    svg.line(plot.left, y, plot.right, y, "#000000", R"(stroke-width="2" stroke-dasharray="10 6" class="baseline")");
    svg.text(plot.right - 6, y - 8, fmt::format("baseline {:.4g}", *data.baseline), R"(text-anchor="end")");
    legend.stroke(svg, "#000000", "baseline", R"(stroke-dasharray="10 6")");
  }
  return svg.finish();
}

Size svg_size(std::string_view svg) {
  Size size;
  const auto end = svg.find('>');
  const auto head = svg.substr(0, end);
  const auto read = [&](std::string_view name) {
    const auto at = head.find(name);
    if (at == std::string_view::npos) return 0;
    int value = 0;
    for (auto i = at + name.size(); i < head.size() && head[i] >= '0' && head[i] <= '9'; ++i) {
      value = value * 10 + (head[i] - '0');
    }
    return value;
  };
  size.width = read(" width=\"");
  size.height = read(" height=\"");
  return size;
}

std::string gallery(const ChartHeading& heading, const std::vector<std::string>& charts, int columns) {
  if (charts.empty()) return empty_chart(heading, "No chart to compose");
  columns = std::max(1, columns);
  constexpr int kGap = 24;
  constexpr int kTop = 90;
  int cell_width = 0;
  std::vector<int> row_heights;
  for (std::size_t i = 0; i < charts.size(); ++i) {
    const auto size = svg_size(charts[i]);
    cell_width = std::max(cell_width, size.width);
    const auto row = i / static_cast<std::size_t>(columns);
    if (row_heights.size() <= row) row_heights.push_back(0);
    row_heights[row] = std::max(row_heights[row], size.height);
  }
  int height = kTop;
  for (const int h : row_heights) height += h + kGap;
  const int width = columns * cell_width + (columns + 1) * kGap;
  Svg svg("gallery", width, height, heading);
  int y = kTop;
  for (std::size_t row = 0; row < row_heights.size(); ++row) {
    for (int c = 0; c < columns; ++c) {
      const auto i = row * static_cast<std::size_t>(columns) + static_cast<std::size_t>(c);
      if (i >= charts.size()) break;
      const int x = kGap + c * (cell_width + kGap);
      fmt::format_to(svg.out(), R"~(<g transform="translate({} {})">{}</g>)~", x, y, charts[i]);
    }
    y += row_heights[row] + kGap;
  }
  return svg.finish();
}

}  // namespace driftgov::report
