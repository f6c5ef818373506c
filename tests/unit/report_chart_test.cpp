// The chart module (include/driftgov/report/chart.hpp) alone: SVG structure computed from inputs built here, the
// level bands of docs/statistics.md, escaping, empty states, and the PNG/PDF rendering's headers.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "driftgov/report/chart.hpp"
#include "driftgov/report/render.hpp"
#include "driftgov/report/report.hpp"

namespace driftgov::report {
namespace {

constexpr std::int64_t kDay = 86'400'000'000;
constexpr std::int64_t kMarch2 = 1'772'409'600'000'000;  // 2026-03-02T00:00:00Z

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t found = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++found;
  return found;
}

// The d attribute of the path with this class ("" when absent).
std::string path_of(const std::string& svg, const std::string& cls) {
  const auto at = svg.find("<path class=\"" + cls + "\"");
  if (at == std::string::npos) return "";
  const auto d = svg.find(" d=\"", at) + 4;
  return svg.substr(d, svg.find('"', d) - d);
}

TEST(ReportLevels, PsiBandsOfTheStatistics) {
  EXPECT_EQ(level_of_psi(0.0), Level::kNone);
  EXPECT_EQ(level_of_psi(0.0999), Level::kNone);
  EXPECT_EQ(level_of_psi(0.1), Level::kModerate);
  EXPECT_EQ(level_of_psi(0.2499), Level::kModerate);
  EXPECT_EQ(level_of_psi(0.25), Level::kHigh);
  EXPECT_EQ(level_of_psi(std::nullopt), Level::kUnknown);
  EXPECT_EQ(level_of_psi(std::numeric_limits<double>::quiet_NaN()), Level::kUnknown);
  EXPECT_STREQ(level_colour(Level::kNone), "#009E73");
  EXPECT_STREQ(level_colour(Level::kModerate), "#E69F00");
  EXPECT_STREQ(level_colour(Level::kHigh), "#D55E00");
  EXPECT_STREQ(level_colour(Level::kUnknown), "#BBBBBB");
}

TEST(ReportText, EscapesMarkupAndControlCharacters) {
  EXPECT_EQ(escape_markup("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(escape_markup(std::string("x\x01y", 3)), "x\xEF\xBF\xBDy");
  EXPECT_EQ(format_window(kMarch2), "2026-03-02");
  EXPECT_EQ(format_window(kMarch2 + 6 * 3'600'000'000LL + 30 * 60'000'000LL), "2026-03-02 06:30");
  EXPECT_EQ(file_stem("price"), "price");
  EXPECT_NE(file_stem("a b"), file_stem("a_b"));  // replaced characters get a hash suffix
  EXPECT_EQ(file_stem("a b").substr(0, 4), "a_b-");
}

TEST(ReportCharts, SummaryTableSortsBySeverityAndColoursLevels) {
  std::vector<FeatureSummary> rows(3);
  rows[0] = {"calm", "double", "ks_test", 0.01, 0.9, 0.02, Level::kNone, 0.0, false, ""};
  rows[1] = {"wild <x>", "double", "ks_test", 0.5, 0.0, 0.7, Level::kHigh, 1.5, true, ""};
  rows[2] = {"mid", "string", "chi_squared_test", 3.0, 0.01, 0.15, Level::kModerate, std::nullopt, true, ""};
  const auto svg = psi_summary_table({"Summary", "a & b"}, rows);
  const auto high = svg.find("data-feature=\"wild &lt;x&gt;\"");
  const auto moderate = svg.find("data-feature=\"mid\"");
  const auto none = svg.find("data-feature=\"calm\"");
  ASSERT_NE(high, std::string::npos);
  EXPECT_LT(high, moderate);
  EXPECT_LT(moderate, none);
  EXPECT_EQ(count(svg, "fill=\"#D55E00\" class=\"level-high\""), 1u);
  EXPECT_EQ(count(svg, "fill=\"#E69F00\" class=\"level-moderate\""), 1u);
  EXPECT_EQ(count(svg, "fill=\"#009E73\" class=\"level-none\""), 1u);
  EXPECT_NE(svg.find("<desc>a &amp; b</desc>"), std::string::npos);
  EXPECT_NE(svg.find(">0.7000<"), std::string::npos);
  EXPECT_NE(svg.find(">+1.50<"), std::string::npos);
}

TEST(ReportCharts, HeatmapGroupsCellsByLevel) {
  HeatmapData data;
  data.windows = {kMarch2, kMarch2 + kDay, kMarch2 + 2 * kDay};
  data.features = {"a", "b"};
  data.values = {{0.01, 0.3, std::nullopt}, {0.12, 0.6, 0.07}};
  const auto svg = psi_heatmap({"Heatmap", ""}, data);
  EXPECT_NE(svg.find("data-chart=\"psi_heatmap\""), std::string::npos);
  // Two "none" shades (0.01 below 0.05, 0.07 above), one moderate, two high (0.3 and 0.6 in two shades), one gap.
  EXPECT_EQ(count(svg, "<path class=\"level-none\""), 2u);
  EXPECT_EQ(count(svg, "<path class=\"level-high\""), 2u);
  EXPECT_EQ(count(path_of(svg, "level-moderate"), "z"), 1u);
  EXPECT_EQ(count(path_of(svg, "level-unknown"), "z"), 1u);
  // Three wide cells: the values are printed.
  EXPECT_NE(svg.find(">0.60<"), std::string::npos);
  EXPECT_NE(svg.find(">2026-03-03<"), std::string::npos);
}

TEST(ReportCharts, LevelBinsStackOnePathPerLevel) {
  LevelBinsData data;
  data.windows = {kMarch2, kMarch2 + kDay};
  data.counts = {{3, 1, 0, 0}, {1, 0, 2, 1}};
  const auto svg = drift_level_bins({"Bins", ""}, data);
  EXPECT_EQ(count(path_of(svg, "level-none"), "z"), 2u);
  EXPECT_EQ(count(path_of(svg, "level-moderate"), "z"), 1u);
  EXPECT_EQ(count(path_of(svg, "level-high"), "z"), 1u);
  EXPECT_EQ(count(path_of(svg, "level-unknown"), "z"), 1u);
  EXPECT_NE(svg.find("features (count)"), std::string::npos);
}

TEST(ReportCharts, TimeSeriesShowsTheTopFeaturesAndBreaksLinesAtGaps) {
  TimeSeriesData data;
  data.windows = {kMarch2, kMarch2 + kDay, kMarch2 + 2 * kDay};
  data.top_n = 2;
  data.series = {{"low", "BASELINE", {0.01, 0.02, 0.03}},
                 {"high", "BASELINE", {0.2, std::nullopt, 0.5}},
                 {"middle", "BASELINE", {0.1, 0.1, 0.1}},
                 {"middle", "CONSECUTIVE", {std::nullopt, 0.0, 0.0}}};
  data.breaches = {{"high", 2, "BASELINE"}, {"low", 1, "BASELINE"}};
  const auto svg = psi_timeseries({"Series", ""}, data);
  EXPECT_EQ(count(svg, "data-feature=\"low\""), 0u);  // not in the top 2
  EXPECT_EQ(count(svg, "<polyline"), 4u);           // high: two pieces around the gap; middle: two series
  EXPECT_EQ(count(svg, "data-drift-type=\"CONSECUTIVE\" points"), 1u);
  EXPECT_EQ(count(svg, "stroke-dasharray=\"8 5\" data-feature=\"middle\""), 1u);
  EXPECT_EQ(count(svg, "class=\"breach\""), 1u);     // the breach of "low" is not drawn
  EXPECT_NE(svg.find("top 2 of 3 features"), std::string::npos);
  EXPECT_NE(svg.find("class=\"band-high\""), std::string::npos);
}

TEST(ReportCharts, EmptyInputsAreExplicitEmptyStates) {
  EXPECT_NE(psi_timeseries({"T", ""}, {}).find("data-chart=\"empty\""), std::string::npos);
  EXPECT_NE(psi_heatmap({"T", ""}, {}).find("data-chart=\"empty\""), std::string::npos);
  EXPECT_NE(drift_level_bins({"T", ""}, {}).find("data-chart=\"empty\""), std::string::npos);
  EXPECT_NE(psi_summary_table({"T", ""}, {}).find("data-chart=\"empty\""), std::string::npos);
  Distribution null_feature;
  null_feature.empty_reason = "Every value of x is null";
  const auto svg = distribution({"T", ""}, null_feature);
  EXPECT_NE(svg.find("class=\"empty-state\">Every value of x is null<"), std::string::npos);
  QualityData no_labels;
  no_labels.windows = {kMarch2};
  no_labels.series = {{"*", {std::nullopt}}};
  EXPECT_NE(model_quality({"T", ""}, no_labels).find("No labelled rows"), std::string::npos);
}

TEST(ReportCharts, GalleryComposesChartsInAGrid) {
  const auto a = empty_chart({"A", ""}, "a", 1600, 300);
  const auto b = empty_chart({"B", ""}, "b", 1600, 500);
  const auto c = empty_chart({"C", ""}, "c", 1600, 200);
  const auto svg = gallery({"Gallery", ""}, {a, b, c}, 2);
  const auto size = svg_size(svg);
  EXPECT_EQ(size.width, 2 * 1600 + 3 * 24);
  EXPECT_EQ(size.height, 90 + (500 + 24) + (200 + 24));
  EXPECT_EQ(count(svg, "<svg "), 4u);
}

TEST(ReportRender, PngHasTheDeclaredSizeAndPdfIsAPdf) {
  const auto svg = empty_chart({"Render", ""}, "message", 640, 300);
  const auto png = render_svg(svg, ImageFormat::kPng);
  ASSERT_GT(png.size(), 24u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  const auto be32 = [&](std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(png[at + 3]));
  };
  EXPECT_EQ(be32(16), 640u);  // IHDR width and height
  EXPECT_EQ(be32(20), 300u);
  EXPECT_EQ(render_svg(svg, ImageFormat::kPng, 2.0).size() > png.size(), true);
  EXPECT_EQ(render_svg(svg, ImageFormat::kPdf).substr(0, 5), "%PDF-");
}

}  // namespace
}  // namespace driftgov::report
