#include "driftgov/stats/drift.hpp"

#include <fmt/format.h>

#include <boost/math/distributions/normal.hpp>
#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "driftgov/core/error.hpp"
#include "driftgov/stats/distances.hpp"
#include "driftgov/stats/empirical_cdf.hpp"
#include "driftgov/stats/kolmogorov.hpp"
#include "stats/json_numbers.hpp"
#include "stats/time_values.hpp"

namespace driftgov::stats {
namespace {

constexpr const char* kOtherLabel = "__other__";
constexpr const char* kUnseenLabel = "__unseen__";
constexpr std::size_t kListedCategories = 20;  // new/missing category names listed per column

using core::OptionName;
using core::option_error;

void check_bins(int bins, const OptionName& option) {
  if (bins < DriftOptions::kMinBins || bins > DriftOptions::kMaxBins) {
    throw option_error(option, fmt::format(" must be a whole number from {} to {}, got {}", DriftOptions::kMinBins,
                                           DriftOptions::kMaxBins, bins));
  }
}

void check_alpha(double alpha, const OptionName& option) {
  if (!(alpha > 0.0 && alpha < 1.0)) throw option_error(option, fmt::format(" must be in (0, 1), got {}", alpha));
}

void check_distance_threshold(double threshold, const OptionName& option) {
  if (!(threshold > 0.0 && std::isfinite(threshold))) {
    throw option_error(option, fmt::format(" must be a finite number above 0, got {}", threshold));
  }
}


struct TestName {
  DriftTest test;
  const char* metric;
  std::vector<const char*> aliases;
};

const std::vector<TestName>& test_names() {
  static const std::vector<TestName> names = {
      {DriftTest::kAuto, "auto", {}},
      {DriftTest::kKs, "ks_test", {"ks"}},
      {DriftTest::kChiSquared, "chi_squared_test", {"chi2", "chi_squared", "chisquare"}},
      {DriftTest::kPsi, "population_stability_index", {"psi"}},
      {DriftTest::kWasserstein, "wasserstein_normed", {"wasserstein", "wasserstein_distance"}},
      {DriftTest::kJensenShannon, "js_distance", {"js", "jensenshannon"}},
      {DriftTest::kHellinger, "hellinger_distance", {"hellinger"}},
      {DriftTest::kKl, "kl_divergence", {"kl"}},
      {DriftTest::kTotalVariation, "tv_distance", {"tv"}},
      {DriftTest::kLInfinity, "l_infinity_distance", {"linf", "l_infinity"}},
  };
  return names;
}

// Quantile of `size` sorted values, value_at(k) the k-th smallest, with linear interpolation between closest ranks
// (numpy.quantile's default).
template <typename ValueAt>
double linear_quantile(std::size_t size, double q, const ValueAt& value_at) {
  if (size == 0) return std::numeric_limits<double>::quiet_NaN();
  const double position = q * static_cast<double>(size - 1);
  const auto below = static_cast<std::size_t>(std::floor(position));
  const auto above = std::min(below + 1, size - 1);
  const double fraction = position - static_cast<double>(below);
  const double a = value_at(below);
  const double b = value_at(above);
  if (a == b) return a;
  const double difference = b - a;
  // numpy evaluates the interpolation from the nearer end, which keeps it monotone.
  return fraction >= 0.5 ? b - difference * (1.0 - fraction) : a + difference * fraction;
}

// One side of a numeric comparison: the exact sorted values (every value, or distinct values with counts), or
// the sketch's view.
struct NumericSide {
  const ColumnProfile* profile = nullptr;
  bool has_exact = false;
  std::span<const double> exact;  // every value, when the profile kept them so
  // When the profile kept counts: the distinct values and, for each, how many values are at most it.
  bool counted = false;
  std::vector<double> distinct;
  std::vector<std::int64_t> at_most;
  std::shared_ptr<const QuantileSketch::SortedView> view;
  double error = 0.0;
  std::int64_t n = 0;

  explicit NumericSide(const ColumnProfile& column) : profile(&column), n(column.value_count()) {
    const auto& numeric = *column.numeric;
    if (numeric.exact_counts) {
      has_exact = true;
      counted = true;
      const auto& counts = *numeric.exact_counts;
      std::int64_t running = 0;
      for (std::size_t k = 0; k < counts.counts.size(); ++k) {
        if (counts.counts[k] == 0) continue;
        running += counts.counts[k];
        distinct.push_back(static_cast<double>(counts.low + static_cast<std::int64_t>(k)));
        at_most.push_back(running);
      }
    } else if (numeric.exact_values) {
      exact = *numeric.exact_values;
      has_exact = true;
    } else {
      view = numeric.sketch.shared_sorted_view();
      error = numeric.sketch.normalized_rank_error();
    }
  }
  std::size_t exact_size() const { return counted ? static_cast<std::size_t>(n) : exact.size(); }
  // The k-th smallest exact value (0-based).
  double exact_at(std::size_t k) const {
    if (!counted) return exact[k];
    const auto slot = std::upper_bound(at_most.begin(), at_most.end(), static_cast<std::int64_t>(k)) - at_most.begin();
    return distinct[static_cast<std::size_t>(slot)];
  }
  DistinctValues distinct_values() const { return {distinct, at_most}; }
  double quantile(double q) const {
    if (has_exact) return linear_quantile(exact_size(), q, [this](std::size_t k) { return exact_at(k); });
    return view->quantile(q, profile->numeric->min, profile->numeric->max);
  }
  // Number of values <= x (estimated from the sketch when not exact).
  double count_at_most(double x) const {
    if (counted) {
      const auto slot = std::upper_bound(distinct.begin(), distinct.end(), x) - distinct.begin();
      return slot == 0 ? 0.0 : static_cast<double>(at_most[static_cast<std::size_t>(slot - 1)]);
    }
    if (has_exact) return static_cast<double>(std::upper_bound(exact.begin(), exact.end(), x) - exact.begin());
    return view->cdf(x) * static_cast<double>(n);
  }
  // Values at most support()[i - 1] (0 for i = 0): count_at_most at the support's points, in one pass.
  double count_through(std::size_t i) const {
    if (i == 0) return 0.0;
    if (counted) return static_cast<double>(at_most[i - 1]);
    if (has_exact) return static_cast<double>(i);
    return view->total_weight == 0 ? 0.0
                                   : static_cast<double>(view->cumulative_weights[i - 1]) /
                                         static_cast<double>(view->total_weight) * static_cast<double>(n);
  }
  double cdf(double x) const { return n == 0 ? 0.0 : count_at_most(x) / static_cast<double>(n); }
  // Points where the empirical CDF can change.
  std::span<const double> support() const {
    if (counted) return distinct;
    return has_exact ? exact : std::span<const double>(view->values);
  }
};

std::vector<double> union_support(const NumericSide& a, const NumericSide& b) {
  std::vector<double> points;
  const auto sa = a.support();
  const auto sb = b.support();
  points.reserve(sa.size() + sb.size());
  std::merge(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(points));
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

// sup |F_a - F_b| and the integral of |F_a - F_b| over the union of the two supports.
std::pair<double, double> cdf_distances(const NumericSide& a, const NumericSide& b) {
  const auto points = union_support(a, b);
  double supremum = 0.0;
  double integral = 0.0;
  // Walk both supports alongside the union: at each point, every support value <= it has been passed.
  const auto sa = a.support();
  const auto sb = b.support();
  std::size_t ia = 0, ib = 0;
  const auto cdf_at = [](const NumericSide& side, std::span<const double> support, std::size_t& index, double x) {
    while (index < support.size() && support[index] <= x) ++index;
    return side.n == 0 ? 0.0 : side.count_through(index) / static_cast<double>(side.n);
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double gap = std::abs(cdf_at(a, sa, ia, points[i]) - cdf_at(b, sb, ib, points[i]));
    supremum = std::max(supremum, gap);
    if (i + 1 < points.size() && std::isfinite(points[i]) && std::isfinite(points[i + 1])) {
      integral += gap * (points[i + 1] - points[i]);
    }
  }
  return {supremum, integral};
}

void fill_proportions(Bins& bins) {
  const double total_r = std::accumulate(bins.reference_count.begin(), bins.reference_count.end(), 0.0);
  const double total_c = std::accumulate(bins.current_count.begin(), bins.current_count.end(), 0.0);
  bins.reference_proportion.resize(bins.reference_count.size());
  bins.current_proportion.resize(bins.current_count.size());
  for (std::size_t i = 0; i < bins.reference_count.size(); ++i) {
    bins.reference_proportion[i] = total_r > 0 ? bins.reference_count[i] / total_r : 0.0;
    bins.current_proportion[i] = total_c > 0 ? bins.current_count[i] / total_c : 0.0;
  }
}

void binned_metrics(ColumnDrift& result, const DriftOptions& options) {
  const auto& r = result.bins.reference_proportion;
  const auto& c = result.bins.current_proportion;
  result.metrics["population_stability_index"] = population_stability_index(r, c, options.proportion_floor);
  result.metrics["kl_divergence"] = kl_divergence(r, c, options.proportion_floor);
  result.metrics["js_distance"] = js_distance(r, c);
  result.metrics["hellinger_distance"] = hellinger_distance(r, c);
  result.metrics["tv_distance"] = tv_distance(r, c);
  result.metrics["l_infinity_distance"] = l_infinity_distance(r, c);
}

// Numeric bins: `bin_count` bins at reference quantiles; values beyond the reference range fall in the end bins.
Bins numeric_bins(const NumericSide& reference, const NumericSide& current, int bin_count) {
  Bins bins;
  for (int i = 1; i < bin_count; ++i) {
    const double edge = reference.quantile(static_cast<double>(i) / bin_count);
    if (bins.edges.empty() || edge > bins.edges.back()) bins.edges.push_back(edge);
  }
  // Counts are whole numbers: a sketch's estimate of the values at most an edge is rounded (cumulatively, so the
  // bins still add up to the side's count).
  const auto counts = [&](const NumericSide& side, std::vector<double>& out) {
    double previous = 0.0;
    for (double edge : bins.edges) {
      const double at_most = std::round(side.count_at_most(edge));
      out.push_back(std::max(0.0, at_most - previous));
      previous = at_most;
    }
    out.push_back(std::max(0.0, static_cast<double>(side.n) - previous));
  };
  counts(reference, bins.reference_count);
  counts(current, bins.current_count);
  fill_proportions(bins);
  return bins;
}

DriftTest auto_test(ColumnKind kind, std::int64_t reference_values, const DriftOptions& options) {
  const bool small = reference_values <= options.small_sample_limit;
  if (kind == ColumnKind::kNumeric) return small ? DriftTest::kKs : DriftTest::kWasserstein;
  return small ? DriftTest::kChiSquared : DriftTest::kJensenShannon;
}

bool suits(DriftTest test, ColumnKind kind) {
  if (test == DriftTest::kKs || test == DriftTest::kWasserstein) return kind == ColumnKind::kNumeric;
  if (test == DriftTest::kChiSquared) return kind == ColumnKind::kCategorical;
  return true;
}

double default_threshold(DriftTest test, const DriftOptions& options) {
  if (is_hypothesis_test(test)) return options.alpha;
  const auto it = options.distance_thresholds.find(test);
  DRIFTGOV_CHECK(it != options.distance_thresholds.end(), "no default threshold for {}", metric_name(test));
  return it->second;
}

// The CDF gaps of two exact sides. Counts against counts walk the distinct values; a side of counts against
// one of every value (rare: an integer column on one side only) is expanded to every value first.
CdfGaps exact_cdf_gaps(const NumericSide& a, const NumericSide& b) {
  if (a.counted && b.counted) return empirical_cdf_gaps(a.distinct_values(), b.distinct_values());
  const std::vector<double> expanded_a = a.counted ? a.profile->numeric->exact_counts->expand() : std::vector<double>{};
  const std::vector<double> expanded_b = b.counted ? b.profile->numeric->exact_counts->expand() : std::vector<double>{};
  return empirical_cdf_gaps(a.counted ? std::span<const double>(expanded_a) : a.exact,
                            b.counted ? std::span<const double>(expanded_b) : b.exact);
}

void compare_numeric(ColumnDrift& result, const ColumnProfile& reference, const ColumnProfile& current,
                     const DriftOptions& options, int bin_count) {
  const NumericSide ref(reference);
  const NumericSide cur(current);
  result.exact = ref.has_exact && cur.has_exact;
  const auto& rm = reference.numeric->moments;
  for (double q : options.quantiles) result.quantile_deltas.push_back({q, ref.quantile(q), cur.quantile(q)});

  result.bins = numeric_bins(ref, cur, bin_count);
  binned_metrics(result, options);

  double wasserstein = 0.0;
  if (result.exact) {
    // One walk over both samples gives the KS statistic and the Wasserstein distance.
    const auto gaps = exact_cdf_gaps(ref, cur);
    const auto ks = ks_two_sample(static_cast<std::int64_t>(ref.exact_size()),
                                  static_cast<std::int64_t>(cur.exact_size()), gaps);
    result.ks_statistic = ks.statistic;
    result.ks_pvalue = ks.pvalue;
    result.ks_method = ks.method;
    wasserstein = gaps.integral;
  } else {
    const auto [supremum, integral] = cdf_distances(ref, cur);
    std::string method;
    result.ks_statistic = supremum;
    result.ks_pvalue = options.exact_sketch_ks_pvalue ? ks_two_sample_pvalue(ref.n, cur.n, supremum, &method)
                                                      : ks_two_sample_asymptotic_pvalue(ref.n, cur.n, supremum);
    result.ks_method = "sketch";
    // A side with its exact values contributes no error; only sketched sides do.
    result.ks_statistic_bound = ks_sketch_statistic_bound(ref.error, cur.error);
    wasserstein = integral;
    const double low = std::min(reference.numeric->min, current.numeric->min);
    const double high = std::max(reference.numeric->max, current.numeric->max);
    result.wasserstein_bound = (ref.error + cur.error) * (high - low);
  }
  result.metrics["ks_test.statistic"] = *result.ks_statistic;
  result.metrics["wasserstein_distance"] = wasserstein;
  const double scale = std::max(rm.population_stddev(), options.wasserstein_std_floor);
  result.metrics["wasserstein_normed"] = wasserstein / scale;
  if (result.wasserstein_bound) result.wasserstein_normed_bound = *result.wasserstein_bound / scale;
}

// Counts by category on one side, as a map.
std::unordered_map<std::string, double> count_map(const CategoricalSummary& summary) {
  std::unordered_map<std::string, double> map;
  for (const auto& [category, count] : summary.counts()) map.emplace(category, static_cast<double>(count));
  return map;
}

void compare_categorical(ColumnDrift& result, const ColumnProfile& reference, const ColumnProfile& current,
                         const DriftOptions& options) {
  const auto& rs = *reference.categorical;
  const auto& cs = *current.categorical;
  result.exact = rs.is_exact() && cs.is_exact();
  auto ref_counts = rs.counts();  // by decreasing count
  std::stable_sort(ref_counts.begin(), ref_counts.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  const auto cur_map = count_map(cs);
  const auto ref_map = count_map(rs);
  const double ref_n = static_cast<double>(reference.value_count());
  const double cur_n = static_cast<double>(current.value_count());

  // Bins: the most frequent reference categories, the rest of the reference categories, unseen ones.
  Bins& bins = result.bins;
  const std::size_t own = std::min(ref_counts.size(), options.max_category_bins);
  double ref_listed = 0.0;
  double cur_listed = 0.0;
  for (std::size_t i = 0; i < own; ++i) {
    const auto& [category, count] = ref_counts[i];
    bins.labels.push_back(category);
    bins.reference_count.push_back(static_cast<double>(count));
    const auto it = cur_map.find(category);
    const double c = it == cur_map.end() ? 0.0 : it->second;
    bins.current_count.push_back(c);
    ref_listed += static_cast<double>(count);
    cur_listed += c;
  }
  double cur_unseen = 0.0;
  std::vector<std::pair<std::string, double>> unseen;
  for (const auto& [category, count] : cur_map) {
    if (!ref_map.contains(category)) {
      cur_unseen += count;
      unseen.emplace_back(category, count);
    }
  }
  if (!rs.is_exact()) cur_unseen = std::max(cur_unseen, 0.0);  // sketch: categories below its error are unknown
  const double ref_other = std::max(0.0, ref_n - ref_listed);
  const double cur_other = std::max(0.0, cur_n - cur_listed - cur_unseen);
  if (ref_counts.size() > own || !rs.is_exact() || !cs.is_exact()) {
    bins.labels.push_back(kOtherLabel);
    bins.reference_count.push_back(ref_other);
    bins.current_count.push_back(cur_other);
  }
  bins.labels.push_back(kUnseenLabel);
  bins.reference_count.push_back(0.0);
  bins.current_count.push_back(cur_unseen);
  fill_proportions(bins);
  binned_metrics(result, options);

  // Chi-square of homogeneity on every category either side has seen (exact counts), or on the known
  // categories plus a remainder when a side is a sketch.
  std::vector<std::int64_t> table_r;
  std::vector<std::int64_t> table_c;
  for (const auto& [category, count] : ref_counts) {
    table_r.push_back(count);
    const auto it = cur_map.find(category);
    table_c.push_back(it == cur_map.end() ? 0 : static_cast<std::int64_t>(it->second));
  }
  for (const auto& [category, count] : unseen) {
    table_r.push_back(0);
    table_c.push_back(static_cast<std::int64_t>(count));
  }
  if (!result.exact) {
    const auto known_r = std::accumulate(table_r.begin(), table_r.end(), std::int64_t{0});
    const auto known_c = std::accumulate(table_c.begin(), table_c.end(), std::int64_t{0});
    table_r.push_back(std::max<std::int64_t>(0, reference.value_count() - known_r));
    table_c.push_back(std::max<std::int64_t>(0, current.value_count() - known_c));
  }
  result.chi_squared = chi_squared_homogeneity(table_r, table_c);
  result.metrics["chi_squared_test.statistic"] = result.chi_squared->statistic;

  std::sort(unseen.begin(), unseen.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  result.new_category_count = static_cast<std::int64_t>(unseen.size());
  for (std::size_t i = 0; i < unseen.size() && i < kListedCategories; ++i) result.new_categories.push_back(unseen[i].first);
  for (const auto& [category, count] : ref_counts) {
    if (cur_map.contains(category)) continue;
    if (!cs.is_exact() && static_cast<double>(count) / std::max(ref_n, 1.0) < 0.01) continue;  // unknowable
    ++result.missing_category_count;
    if (result.missing_categories.size() < kListedCategories) result.missing_categories.push_back(category);
  }
}

std::optional<double> metric_value(const ColumnDrift& result, DriftTest test) {
  switch (test) {
    case DriftTest::kKs:
      return result.ks_statistic;
    case DriftTest::kChiSquared:
      if (result.chi_squared) return result.chi_squared->statistic;
      return std::nullopt;
    default: {
      const auto it = result.metrics.find(metric_name(test));
      if (it == result.metrics.end()) return std::nullopt;
      return it->second;
    }
  }
}

double percent(std::int64_t part, std::int64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// The range of a numeric column over both sides (sides without values left out).
void fill_range(ColumnDrift& result, const ColumnProfile& reference, const ColumnProfile& current) {
  for (const auto* side : {&reference, &current}) {
    if (!side->numeric || side->value_count() == 0) continue;
    result.min_value = result.min_value ? std::min(*result.min_value, side->numeric->min) : side->numeric->min;
    result.max_value = result.max_value ? std::max(*result.max_value, side->numeric->max) : side->numeric->max;
  }
}

void fill_moments(ColumnDrift& result, const ColumnProfile& reference, const ColumnProfile& current) {
  if (!reference.numeric || !current.numeric) return;
  const auto& rm = reference.numeric->moments;
  const auto& cm = current.numeric->moments;
  if (rm.count > 0) {
    result.avg_reference = rm.mean;
    result.stddev_reference = rm.stddev();
  }
  if (cm.count > 0) {
    result.avg_current = cm.mean;
    result.stddev_current = cm.stddev();
  }
}

// The column's name, type and row counts; `typed` is the side whose type the column takes.
ColumnDrift column_identity(const ColumnProfile& typed, const ColumnProfile& reference, const ColumnProfile& current) {
  ColumnDrift result;
  result.column_name = typed.name;
  result.data_type = typed.type.to_string();
  result.type = typed.type;
  result.kind = typed.kind;
  result.reference_count = reference.count;
  result.current_count = current.count;
  result.drift_reason = "none";
  return result;
}

// A side without rows: nothing is typed from its data, so the column takes the other side's type, and no test runs.
ColumnDrift column_without_rows(const ColumnProfile& reference, const ColumnProfile& current) {
  const bool reference_empty = reference.count == 0;
  ColumnDrift result = column_identity(reference_empty ? current : reference, reference, current);
  // With no rows on either side nothing was typed from data at all.
  if (reference.count == 0 && current.count == 0) result.data_type = "unknown (no rows)";
  result.reason = reference.count == 0 && current.count == 0 ? "no rows on either side"
                  : reference_empty                          ? "the reference has no rows"
                                                             : "the current data has no rows";
  return result;
}

ColumnDrift compare_column(const ColumnProfile& reference, const ColumnProfile& current, const DriftOptions& options) {
  ColumnDrift result = column_identity(reference, reference, current);
  result.percent_null_reference = percent(reference.null_count, reference.count);
  result.percent_null_current = percent(current.null_count, current.count);
  fill_range(result, reference, current);
  fill_moments(result, reference, current);
  if (is_time_type(reference.type) && !options.test_time_columns) {
    result.time_column = true;
    result.reason = "time column: not drift-tested (test_time_columns tests it)";
    return result;
  }
  if (options.null_rate_test) {
    // Pooled proportion 0 or 1 (no nulls anywhere, or only nulls): the test has no variance to work with.
    const auto nulls = reference.null_count + current.null_count;
    if (nulls > 0 && nulls < reference.count + current.count) {
      result.null_rate = null_rate_ztest(reference.null_count, reference.count, current.null_count, current.count);
      result.null_rate->min_change = options.null_rate_min_change;
    }
  }

  const auto column_options = options.columns.find(reference.name);
  const ColumnDriftOptions* overrides = column_options == options.columns.end() ? nullptr : &column_options->second;
  const int bin_count = overrides && overrides->bins ? *overrides->bins : options.bins;

  if (reference.value_count() == 0 || current.value_count() == 0) {
    result.reason = reference.value_count() == 0 ? "no non-null values in the reference"
                                                  : "no non-null values in the current data";
    return result;
  }
  if (reference.kind == ColumnKind::kNumeric) {
    compare_numeric(result, reference, current, options, bin_count);
  } else {
    compare_categorical(result, reference, current, options);
  }
  const double psi = result.metrics.at("population_stability_index");
  result.drift_level = psi_level(psi);

  DriftTest test = DriftTest::kAuto;
  if (overrides && overrides->test) {
    test = *overrides->test;
  } else if (options.test && suits(*options.test, reference.kind)) {
    test = *options.test;
  }
  if (test == DriftTest::kAuto) test = auto_test(reference.kind, reference.value_count(), options);
  if (reference.kind == ColumnKind::kCategorical && (test == DriftTest::kKs || test == DriftTest::kWasserstein)) {
    throw core::InputError(fmt::format("column '{}': the {} test needs a numeric column, but it is categorical ({})",
                                       reference.name, metric_name(test), result.data_type));
  }
  if (reference.kind == ColumnKind::kNumeric && test == DriftTest::kChiSquared) {
    throw option_error(fmt::format("column '{}': the chi-squared test needs a categorical column, but it is numeric "
                                   "({}); declare it categorical with ",
                                   reference.name, result.data_type),
                       OptionName{"kind_overrides", reference.name, "categorical"});
  }
  TestOutcome outcome;
  outcome.name = metric_name(test);
  outcome.threshold = overrides && overrides->threshold ? *overrides->threshold : default_threshold(test, options);
  if (overrides && overrides->threshold && is_hypothesis_test(test)) {
    check_alpha(outcome.threshold, {"columns[].threshold", reference.name});
  }
  const auto value = metric_value(result, test);
  DRIFTGOV_CHECK(value.has_value(), "metric {} was not computed for column {}", outcome.name, reference.name);
  outcome.statistic = *value;
  if (test == DriftTest::kKs) {
    outcome.pvalue = result.ks_pvalue;
    if (result.ks_statistic_bound) {
      const double bound = *result.ks_statistic_bound;
      const double low = std::max(0.0, outcome.statistic - bound);
      const double high = std::min(1.0, outcome.statistic + bound);
      const auto n = reference.value_count();
      const auto m = current.value_count();
      outcome.statistic_range = {low, high};
      // A larger statistic gives a smaller p-value.
      const auto pvalue = [&](double d) {
        return options.exact_sketch_ks_pvalue ? ks_two_sample_pvalue(n, m, d, nullptr)
                                              : ks_two_sample_asymptotic_pvalue(n, m, d);
      };
      outcome.pvalue_range = {pvalue(high), pvalue(low)};
    }
  }
  if (test == DriftTest::kWasserstein && result.wasserstein_normed_bound) {
    const double bound = *result.wasserstein_normed_bound;
    outcome.statistic_range = {std::max(0.0, outcome.statistic - bound), outcome.statistic + bound};
  }
  if (test == DriftTest::kChiSquared) outcome.pvalue = result.chi_squared->pvalue;
  result.test = outcome;
  result.evaluated = true;
  return result;
}

// One family of p-values for the correction: every distribution test with a p-value and every null-rate test.
struct FamilyMember {
  double pvalue;
  std::optional<double>* adjusted;
};

void adjust(std::vector<FamilyMember>& family, Correction correction) {
  const double m = static_cast<double>(family.size());
  if (correction == Correction::kBonferroni) {
    for (auto& member : family) *member.adjusted = std::min(1.0, member.pvalue * m);
  } else if (correction == Correction::kBenjaminiHochberg) {
    // Step-up: adjusted p_(i) = min over j >= i of p_(j) * m / j, capped at 1.
    std::stable_sort(family.begin(), family.end(),
                     [](const FamilyMember& a, const FamilyMember& b) { return a.pvalue < b.pvalue; });
    double running = 1.0;
    for (std::size_t i = family.size(); i-- > 0;) {
      running = std::min(running, family[i].pvalue * m / static_cast<double>(i + 1));
      *family[i].adjusted = std::min(1.0, running);
    }
  }
}

// A sketched verdict is borderline when the statistic's bound reaches across the threshold.
bool borderline(const TestOutcome& test) {
  if (test.pvalue_range && test.pvalue) {
    // The correction scales a p-value by a factor (Bonferroni: m; BH: m / rank, at most); apply the same factor.
    const double factor = test.pvalue_adjusted && *test.pvalue > 0 ? *test.pvalue_adjusted / *test.pvalue : 1.0;
    const bool low_drifts = std::min(1.0, test.pvalue_range->first * factor) < test.threshold;
    const bool high_drifts = std::min(1.0, test.pvalue_range->second * factor) < test.threshold;
    return low_drifts != high_drifts;
  }
  if (test.statistic_range && !test.pvalue) {
    return (test.statistic_range->first >= test.threshold) != (test.statistic_range->second >= test.threshold);
  }
  return false;
}

// Adjusted p-values, then each column's verdict from its distribution test and its null-rate test.
std::int64_t decide(std::vector<ColumnDrift>& columns, const DriftOptions& options) {
  std::vector<FamilyMember> family;
  for (auto& column : columns) {
    if (column.evaluated && column.test->pvalue) family.push_back({*column.test->pvalue, &column.test->pvalue_adjusted});
    if (column.null_rate) family.push_back({column.null_rate->pvalue, &column.null_rate->pvalue_adjusted});
  }
  adjust(family, options.correction);
  for (auto& column : columns) {
    bool distribution = false;
    if (column.evaluated) {
      auto& test = *column.test;
      if (test.pvalue) {
        const double p = test.pvalue_adjusted ? *test.pvalue_adjusted : *test.pvalue;
        test.drifted = p < test.threshold;
      } else {
        test.drifted = test.statistic >= test.threshold;
      }
      test.borderline = borderline(test);
      distribution = test.drifted;
    }
    bool null_rate = false;
    if (column.null_rate) {
      auto& rule = *column.null_rate;
      const double p = rule.pvalue_adjusted ? *rule.pvalue_adjusted : rule.pvalue;
      rule.drifted = p < options.alpha && std::abs(rule.change) >= rule.min_change;
      null_rate = rule.drifted;
    }
    column.drifted = distribution || null_rate;
    column.drift_reason = distribution && null_rate ? "both" : distribution ? "distribution" : null_rate ? "null_rate" : "none";
  }
  return static_cast<std::int64_t>(family.size());
}

nlohmann::json optional_number(const std::optional<double>& value) {
  return value ? number_to_json(*value) : nlohmann::json(nullptr);
}

nlohmann::json numbers(const std::vector<double>& values) {
  auto array = nlohmann::json::array();
  for (double v : values) array.push_back(number_to_json(v));
  return array;
}

// Bin counts are whole numbers (sketch estimates are rounded where the bins are built).
nlohmann::json counts(const std::vector<double>& values) {
  auto array = nlohmann::json::array();
  for (double v : values) array.push_back(static_cast<std::int64_t>(std::llround(v)));
  return array;
}

nlohmann::json delta_json(const std::optional<double>& reference, const std::optional<double>& current) {
  nlohmann::json out;
  out["reference"] = optional_number(reference);
  out["current"] = optional_number(current);
  out["delta"] = reference && current ? number_to_json(*current - *reference) : nlohmann::json(nullptr);
  return out;
}

nlohmann::json column_json(const ColumnDrift& column) {
  nlohmann::json out;
  out["column_name"] = column.column_name;
  out["data_type"] = column.data_type;
  out["kind"] = to_string(column.kind);
  out["evaluated"] = column.evaluated;
  if (!column.evaluated) out["reason"] = column.reason;
  out["time_column"] = column.time_column;
  out["exact"] = column.exact;
  out["drifted"] = column.drifted;
  out["drift_reason"] = column.drift_reason;
  if (column.null_rate) {
    const auto& rule = *column.null_rate;
    out["null_rate_test"] = {{"name", "two_proportion_z_test"},
                             {"statistic", number_to_json(rule.statistic)},
                             {"pvalue", number_to_json(rule.pvalue)},
                             {"pvalue_adjusted", optional_number(rule.pvalue_adjusted)},
                             {"change_pp", number_to_json(rule.change)},
                             {"min_change_pp", rule.min_change},
                             {"drifted", rule.drifted}};
  }
  if (column.min_value && column.max_value) {
    nlohmann::json range = {{"min", number_to_json(*column.min_value)}, {"max", number_to_json(*column.max_value)}};
    if (is_time_type(column.type)) {
      range["min_iso"] = format_time_value(column.type, *column.min_value);
      range["max_iso"] = format_time_value(column.type, *column.max_value);
    }
    out["range"] = range;
  }
  out["count_delta"] = {{"reference", column.reference_count},
                        {"current", column.current_count},
                        {"delta", column.current_count - column.reference_count}};
  out["percent_null"] = delta_json(column.percent_null_reference, column.percent_null_current);
  if (column.kind == ColumnKind::kNumeric) {
    out["avg_delta"] = delta_json(column.avg_reference, column.avg_current);
    if (is_time_type(column.type)) {
      out["avg_delta"]["reference_iso"] =
          column.avg_reference ? nlohmann::json(format_time_value(column.type, *column.avg_reference)) : nullptr;
      out["avg_delta"]["current_iso"] =
          column.avg_current ? nlohmann::json(format_time_value(column.type, *column.avg_current)) : nullptr;
    }
    out["stddev_delta"] = delta_json(column.stddev_reference, column.stddev_current);
    auto quantiles = nlohmann::json::array();
    for (const auto& q : column.quantile_deltas) {
      nlohmann::json entry = {{"quantile", q.q},
                              {"reference", number_to_json(q.reference)},
                              {"current", number_to_json(q.current)},
                              {"delta", number_to_json(q.current - q.reference)}};
      if (is_time_type(column.type)) {
        entry["reference_iso"] = format_time_value(column.type, q.reference);
        entry["current_iso"] = format_time_value(column.type, q.current);
      }
      quantiles.push_back(entry);
    }
    out["quantile_deltas"] = quantiles;
  }
  if (!column.evaluated) return out;

  out["drift_level"] = column.drift_level;
  const auto& test = *column.test;
  out["test"] = {{"name", test.name},
                 {"statistic", number_to_json(test.statistic)},
                 {"pvalue", optional_number(test.pvalue)},
                 {"pvalue_adjusted", optional_number(test.pvalue_adjusted)},
                 {"threshold", test.threshold},
                 {"drifted", test.drifted},
                 {"borderline", test.borderline}};
  if (test.statistic_range) out["test"]["statistic_range"] = {test.statistic_range->first, test.statistic_range->second};
  if (test.pvalue_range) out["test"]["pvalue_range"] = {test.pvalue_range->first, test.pvalue_range->second};
  out["borderline"] = test.borderline;
  for (const auto& [name, value] : column.metrics) {
    if (name.find('.') == std::string::npos) out[name] = number_to_json(value);
  }
  if (column.ks_statistic) {
    nlohmann::json ks = {{"statistic", number_to_json(*column.ks_statistic)},
                         {"pvalue", optional_number(column.ks_pvalue)},
                         {"method", column.ks_method}};
    if (column.ks_statistic_bound) ks["statistic_bound"] = *column.ks_statistic_bound;
    out["ks_test"] = ks;
  }
  if (column.wasserstein_bound) out["wasserstein_bound"] = number_to_json(*column.wasserstein_bound);
  if (column.wasserstein_normed_bound) out["wasserstein_normed_bound"] = number_to_json(*column.wasserstein_normed_bound);
  if (column.chi_squared) {
    out["chi_squared_test"] = {{"statistic", number_to_json(column.chi_squared->statistic)},
                               {"pvalue", number_to_json(column.chi_squared->pvalue)},
                               {"dof", column.chi_squared->dof}};
  }
  nlohmann::json bins;
  if (column.kind == ColumnKind::kNumeric) {
    bins["edges"] = numbers(column.bins.edges);
    bins["rule"] = "bin i holds (edges[i-1], edges[i]]; the first and last bins are open";
  } else {
    bins["labels"] = column.bins.labels;
  }
  bins["reference_count"] = counts(column.bins.reference_count);
  bins["current_count"] = counts(column.bins.current_count);
  bins["reference_proportion"] = numbers(column.bins.reference_proportion);
  bins["current_proportion"] = numbers(column.bins.current_proportion);
  out["bins"] = bins;
  if (column.kind == ColumnKind::kCategorical) {
    out["new_categories"] = {{"count", column.new_category_count}, {"values", column.new_categories}};
    out["missing_categories"] = {{"count", column.missing_category_count}, {"values", column.missing_categories}};
  }
  return out;
}

}  // namespace

const char* metric_name(DriftTest test) {
  for (const auto& entry : test_names()) {
    if (entry.test == test) return entry.metric;
  }
  DRIFTGOV_CHECK(false, "unknown drift test {}", static_cast<int>(test));
  return "";
}

std::string drift_test_names() {
  std::string names;
  for (const auto& entry : test_names()) {
    names += names.empty() ? "" : ", ";
    if (entry.aliases.empty()) {
      names += entry.metric;
    } else {
      names += fmt::format("{} ({}{})", entry.aliases.front(),
                           fmt::join(entry.aliases.begin() + 1, entry.aliases.end(), ", "),
                           fmt::format("{}{}", entry.aliases.size() > 1 ? ", " : "", entry.metric));
    }
  }
  return names;
}

DriftTest drift_test_from_string(const std::string& text, const std::string& context) {
  for (const auto& entry : test_names()) {
    if (text == entry.metric) return entry.test;
    for (const char* alias : entry.aliases) {
      if (text == alias) return entry.test;
    }
  }
  throw core::InputError(fmt::format("{}: unknown test '{}'; expected one of {}", context, text, drift_test_names()));
}

NullRateOutcome null_rate_ztest(std::int64_t reference_nulls, std::int64_t reference_rows, std::int64_t current_nulls,
                                std::int64_t current_rows) {
  NullRateOutcome outcome;
  if (reference_rows <= 0 || current_rows <= 0) return outcome;
  const double n1 = static_cast<double>(reference_rows);
  const double n2 = static_cast<double>(current_rows);
  const double p1 = static_cast<double>(reference_nulls) / n1;
  const double p2 = static_cast<double>(current_nulls) / n2;
  // From whole numbers, so that a change of exactly the minimum (6000 of 100000 against 5000 of 100000: 1 pp) is
  // not lost to rounding in p2 - p1.
  const long double cross = static_cast<long double>(current_nulls) * static_cast<long double>(reference_rows) -
                            static_cast<long double>(reference_nulls) * static_cast<long double>(current_rows);
  outcome.change = static_cast<double>(100.0L * cross /
                                       (static_cast<long double>(reference_rows) * static_cast<long double>(current_rows)));
  const double pooled = static_cast<double>(reference_nulls + current_nulls) / (n1 + n2);
  const double variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
  if (!(variance > 0.0)) return outcome;  // z = 0, p = 1
  outcome.statistic = (p2 - p1) / std::sqrt(variance);
  const boost::math::normal_distribution<double> normal;
  outcome.pvalue = std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(normal, std::abs(outcome.statistic))));
  return outcome;
}

bool is_hypothesis_test(DriftTest test) { return test == DriftTest::kKs || test == DriftTest::kChiSquared; }

Correction correction_from_string(const std::string& text, const std::string& context) {
  if (text == "none") return Correction::kNone;
  if (text == "bonferroni") return Correction::kBonferroni;
  if (text == "bh" || text == "benjamini-hochberg" || text == "fdr_bh") return Correction::kBenjaminiHochberg;
  throw core::InputError(
      fmt::format("{}: unknown correction '{}'; expected none, bonferroni or benjamini-hochberg", context, text));
}

const char* to_string(Correction correction) {
  switch (correction) {
    case Correction::kNone:
      return "none";
    case Correction::kBonferroni:
      return "bonferroni";
    case Correction::kBenjaminiHochberg:
      return "benjamini-hochberg";
  }
  return "none";
}

const char* psi_level(double psi) {
  if (!(psi >= 0.1)) return "none";
  return psi < 0.25 ? "moderate" : "high";
}

void DriftOptions::validate() const {
  check_bins(bins, {"bins"});
  if (!(proportion_floor > 0.0 && proportion_floor < 1.0)) {
    throw option_error(OptionName{"proportion_floor"}, fmt::format(" must be in (0, 1), got {}", proportion_floor));
  }
  check_alpha(alpha, {"alpha"});
  for (const auto& entry : test_names()) {
    if (entry.test == DriftTest::kAuto || is_hypothesis_test(entry.test)) continue;
    const auto found = distance_thresholds.find(entry.test);
    if (found == distance_thresholds.end()) {
      throw option_error(OptionName{"distance_thresholds"}, fmt::format(" has no threshold for {}", entry.metric));
    }
    check_distance_threshold(found->second, {"distance_thresholds", entry.metric});
  }
  core::check_option_at_least(small_sample_limit, 0, {"small_sample_limit"});
  if (!(wasserstein_std_floor > 0.0 && std::isfinite(wasserstein_std_floor))) {
    throw option_error(OptionName{"wasserstein_std_floor"},
                       fmt::format(" must be a finite number above 0, got {}", wasserstein_std_floor));
  }
  core::check_option_at_least(max_category_bins, std::size_t{1}, {"max_category_bins"});
  if (!(drift_share > 0.0 && drift_share <= 1.0)) {
    throw option_error(OptionName{"drift_share"}, fmt::format(" must be in (0, 1], got {}", drift_share));
  }
  if (!(null_rate_min_change >= 0.0 && null_rate_min_change <= 100.0)) {
    throw option_error(OptionName{"null_rate_min_change"},
                       fmt::format(" must be from 0 to 100 percentage points, got {}", null_rate_min_change));
  }
  for (const double q : quantiles) {
    if (!(q >= 0.0 && q <= 1.0)) throw option_error(OptionName{"quantiles"}, fmt::format(" must lie in [0, 1], got {}", q));
  }
  for (const auto& [name, column] : columns) {
    if (column.bins) check_bins(*column.bins, {"columns[].bins", name});
    if (column.test && *column.test == DriftTest::kAuto) continue;
    if (column.threshold && column.test) {
      if (is_hypothesis_test(*column.test)) {
        check_alpha(*column.threshold, {"columns[].threshold", name});
      } else {
        check_distance_threshold(*column.threshold, {"columns[].threshold", name});
      }
    } else if (column.threshold) {
      // The test is chosen per column later: a p-value threshold must be below 1, a distance's above 0.
      check_distance_threshold(*column.threshold, {"columns[].threshold", name});
    }
  }
}

void set_test_threshold(DriftOptions& options, double threshold) {
  if (!options.test || *options.test == DriftTest::kAuto) {
    throw option_error(OptionName{"threshold"}, " without a column needs ", OptionName{"test"}, "; use ",
                       OptionName{"alpha"}, " for the automatic hypothesis tests, or give one column's threshold");
  }
  if (is_hypothesis_test(*options.test)) {
    options.alpha = threshold;
  } else {
    options.distance_thresholds[*options.test] = threshold;
  }
}

std::vector<std::string> compared_columns(const DatasetProfile& reference, const DatasetProfile& current,
                                          const std::vector<std::string>& columns,
                                          const std::vector<std::string>& exclude) {
  std::vector<std::string> names = columns;
  if (names.empty() && !exclude.empty()) {
    for (const auto& column : reference.columns) names.push_back(column.name);
    for (const auto& column : current.columns) {
      if (!reference.find(column.name)) names.push_back(column.name);
    }
  }
  for (const auto& excluded : exclude) {
    if (!reference.find(excluded) && !current.find(excluded)) {
      throw option_error(OptionName{"exclude"}, fmt::format(" {}: no such column on either side", excluded));
    }
    std::erase(names, excluded);
  }
  if (!exclude.empty() && names.empty()) throw option_error(OptionName{"exclude"}, " left no columns to compare");
  return names;
}

DriftReport compare_profiles(const DatasetProfile& reference, const DatasetProfile& current,
                             const DriftOptions& options, const std::vector<std::string>& columns) {
  options.validate();
  std::vector<std::string> names = columns;
  if (names.empty()) {
    std::vector<std::string> missing_current;
    for (const auto& column : reference.columns) {
      names.push_back(column.name);
      if (!current.find(column.name)) missing_current.push_back(column.name);
    }
    std::vector<std::string> missing_reference;
    for (const auto& column : current.columns) {
      if (!reference.find(column.name)) missing_reference.push_back(column.name);
    }
    if (!missing_current.empty() || !missing_reference.empty()) {
      std::string message = "the two sides have different columns:";
      if (!missing_current.empty()) {
        message += fmt::format(" missing in the current data ({}): {};", current.source,
                               fmt::join(missing_current, ", "));
      }
      if (!missing_reference.empty()) {
        message += fmt::format(" missing in the reference ({}): {};", reference.source,
                               fmt::join(missing_reference, ", "));
      }
      throw option_error(message + " choose the columns to compare with ", OptionName{"columns"});
    }
  }
  DriftReport report;
  report.reference_source = reference.source;
  report.current_source = current.source;
  report.reference_rows = reference.row_count;
  report.current_rows = current.row_count;
  report.options = options;
  for (const auto& name : names) {
    const auto* ref = reference.find(name);
    const auto* cur = current.find(name);
    if (!ref || !cur) {
      throw core::InputError(fmt::format("column '{}' is missing in the {} ({})", name,
                                         ref ? "current data" : "reference", ref ? current.source : reference.source));
    }
    if (ref->count == 0 || cur->count == 0) {
      report.columns.push_back(column_without_rows(*ref, *cur));
      continue;
    }
    if (ref->kind != cur->kind) {
      throw option_error(
          fmt::format("column '{}' is {} ({}) in the reference ({}) but {} ({}) in the current data ({}); a numeric "
                      "column must hold numbers on both sides (fix the data, or set ",
                      name, to_string(ref->kind), ref->type.to_string(), reference.source, to_string(cur->kind),
                      cur->type.to_string(), current.source),
          OptionName{"type_overrides", name, "string"}, " on both sides)");
    }
    report.columns.push_back(compare_column(*ref, *cur, options));
  }
  report.tests_run = decide(report.columns, options);
  // A column counts when any test ran on it: a column emptied to all nulls is decided by the null-rate test.
  for (const auto& column : report.columns) {
    if (!column.evaluated && !column.null_rate) continue;
    ++report.evaluated_columns;
    if (column.drifted) ++report.drifted_columns;
  }
  if (report.evaluated_columns == 0) {
    if (report.reference_rows == 0 || report.current_rows == 0) {
      report.undecided_reason = report.reference_rows == 0 && report.current_rows == 0
                                    ? "neither side has rows; no drift test ran"
                                : report.reference_rows == 0 ? "the reference has no rows; no drift test ran"
                                                             : "the current data has no rows; no drift test ran";
    } else {
      report.undecided_reason = "no column could be tested";
    }
  }
  report.share_of_drifted_columns =
      report.evaluated_columns == 0
          ? 0.0
          : static_cast<double>(report.drifted_columns) / static_cast<double>(report.evaluated_columns);
  report.dataset_drift = report.evaluated_columns > 0 && report.share_of_drifted_columns >= options.drift_share;
  return report;
}

nlohmann::json to_json(const DriftReport& report) {
  nlohmann::json out;
  out["format"] = kDriftResultFormatName;
  out["format_version"] = kDriftResultFormatVersion;
  out["reference"] = {{"source", report.reference_source}, {"rows", report.reference_rows}};
  out["current"] = {{"source", report.current_source}, {"rows", report.current_rows}};
  if (!report.reference_built_from.empty()) out["reference"]["built_from"] = report.reference_built_from;
  if (!report.current_built_from.empty()) out["current"]["built_from"] = report.current_built_from;
  const auto& options = report.options;
  nlohmann::json thresholds;
  for (const auto& [test, value] : options.distance_thresholds) thresholds[metric_name(test)] = value;
  out["options"] = {{"bins", options.bins},
                    {"proportion_floor", options.proportion_floor},
                    {"alpha", options.alpha},
                    {"distance_thresholds", thresholds},
                    {"small_sample_limit", options.small_sample_limit},
                    {"wasserstein_std_floor", options.wasserstein_std_floor},
                    {"max_category_bins", options.max_category_bins},
                    {"drift_share", options.drift_share},
                    {"correction", to_string(options.correction)},
                    {"null_rate_test", options.null_rate_test},
                    {"null_rate_min_change_pp", options.null_rate_min_change},
                    {"test_time_columns", options.test_time_columns},
                    {"quantiles", options.quantiles}};
  auto columns = nlohmann::json::array();
  for (const auto& column : report.columns) columns.push_back(column_json(column));
  out["columns"] = columns;
  out["dataset"] = {{"evaluated_columns", report.evaluated_columns},
                    {"drifted_columns", report.drifted_columns},
                    {"share_of_drifted_columns", report.share_of_drifted_columns},
                    {"drift_share", options.drift_share},
                    {"tests_in_correction", report.tests_run},
                    {"dataset_drift", report.undecided_reason.empty() ? nlohmann::json(report.dataset_drift)
                                                                     : nlohmann::json(nullptr)}};
  if (!report.undecided_reason.empty()) out["dataset"]["reason"] = report.undecided_reason;
  return out;
}

}  // namespace driftgov::stats
