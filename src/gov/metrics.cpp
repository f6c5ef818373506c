// Holdout metrics, the paired bootstrap and DeLong's test (docs/statistics.md, "Holdout evaluation").
#include "driftgov/gov/metrics.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "driftgov/core/error.hpp"

namespace driftgov::gov {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();  // 2^-52, numpy's finfo(float64).eps
constexpr double kThreshold = 0.5;

// Midranks (1-based; tied values share the mean of their ranks) of `values`.
std::vector<double> midranks(std::span<const double> values) {
  const auto n = values.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  std::size_t i = 0;
  while (i < n) {
    std::size_t j = i;
    while (j + 1 < n && values[order[j + 1]] == values[order[i]]) ++j;
    const double rank = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

// The scores of the positives followed by those of the negatives.
struct SplitScores {
  std::vector<double> positives, negatives;
};
SplitScores split_by_label(std::span<const double> labels, std::span<const double> scores) {
  SplitScores split;
  for (std::size_t i = 0; i < labels.size(); ++i) (labels[i] == 1.0 ? split.positives : split.negatives).push_back(scores[i]);
  return split;
}

// The structural components of DeLong et al. (1988) and the AUC, through midranks (Sun & Xu 2014).
struct StructuralComponents {
  double auc = 0.0;
  std::vector<double> v10, v01;  // per positive, per negative
};
StructuralComponents structural_components(const SplitScores& split) {
  const auto m = split.positives.size();
  const auto n = split.negatives.size();
  std::vector<double> all(split.positives);
  all.insert(all.end(), split.negatives.begin(), split.negatives.end());
  const auto ranks_all = midranks(all);
  const auto ranks_positive = midranks(split.positives);
  const auto ranks_negative = midranks(split.negatives);
  StructuralComponents components;
  components.v10.resize(m);
  components.v01.resize(n);
  double positive_rank_sum = 0.0;
  for (std::size_t i = 0; i < m; ++i) {
    positive_rank_sum += ranks_all[i];
    components.v10[i] = (ranks_all[i] - ranks_positive[i]) / static_cast<double>(n);
  }
  for (std::size_t j = 0; j < n; ++j) {
    components.v01[j] = 1.0 - (ranks_all[m + j] - ranks_negative[j]) / static_cast<double>(m);
  }
  const auto md = static_cast<double>(m);
  components.auc = (positive_rank_sum - md * (md + 1.0) / 2.0) / (md * static_cast<double>(n));
  return components;
}

std::optional<double> roc_auc(std::span<const double> labels, std::span<const double> scores) {
  const auto split = split_by_label(labels, scores);
  if (split.positives.empty() || split.negatives.empty()) return std::nullopt;
  return structural_components(split).auc;
}

struct Counts {
  double tp = 0, fp = 0, tn = 0, fn = 0;
};
Counts confusion(std::span<const double> labels, std::span<const double> scores) {
  Counts counts;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const bool predicted = scores[i] >= kThreshold;
    const bool actual = labels[i] == 1.0;
    (predicted ? (actual ? counts.tp : counts.fp) : (actual ? counts.fn : counts.tn)) += 1.0;
  }
  return counts;
}

double ratio_or_zero(double numerator, double denominator) { return denominator == 0.0 ? 0.0 : numerator / denominator; }

template <typename Term>
std::optional<double> mean_of(std::span<const double> labels, std::span<const double> scores, Term term) {
  if (labels.empty()) return std::nullopt;
  double sum = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) sum += term(labels[i], scores[i]);
  return sum / static_cast<double>(labels.size());
}

std::optional<double> r2(std::span<const double> labels, std::span<const double> scores) {
  if (labels.size() < 2) return std::nullopt;
  const double mean = std::accumulate(labels.begin(), labels.end(), 0.0) / static_cast<double>(labels.size());
  double residual = 0.0, total = 0.0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    residual += (labels[i] - scores[i]) * (labels[i] - scores[i]);
    total += (labels[i] - mean) * (labels[i] - mean);
  }
  if (total == 0.0) return residual == 0.0 ? 1.0 : 0.0;
  return 1.0 - residual / total;
}

}  // namespace

const char* to_string(Problem problem) {
  return problem == Problem::kBinaryClassification ? "binary_classification" : "regression";
}

const std::vector<std::string>& metric_names(Problem problem) {
  static const std::vector<std::string> classification = {"roc_auc", "log_loss", "accuracy", "precision",
                                                          "recall",  "f1",       "brier"};
  static const std::vector<std::string> regression = {"rmse", "mae", "mape", "r2"};
  return problem == Problem::kBinaryClassification ? classification : regression;
}

bool greater_is_better(const std::string& metric) {
  return metric == "roc_auc" || metric == "accuracy" || metric == "precision" || metric == "recall" ||
         metric == "f1" || metric == "r2";
}

void check_metric_name(const std::string& metric, Problem problem, const std::string& option) {
  const auto& names = metric_names(problem);
  DRIFTGOV_USER_CHECK(std::find(names.begin(), names.end(), metric) != names.end(),
                      "{}: '{}' is not a metric of {} models (expected one of: {})", option, metric,
                      to_string(problem), fmt::join(names, ", "));
}

std::optional<double> compute_metric(const std::string& metric, std::span<const double> labels,
                                     std::span<const double> scores) {
  DRIFTGOV_CHECK_EQ(labels.size(), scores.size());
  if (labels.empty()) return std::nullopt;
  const auto rows = static_cast<double>(labels.size());
  if (metric == "roc_auc") return roc_auc(labels, scores);
  if (metric == "log_loss") {
    return mean_of(labels, scores, [](double y, double p) {
      p = std::clamp(p, kEpsilon, 1.0 - kEpsilon);
      return y == 1.0 ? -std::log(p) : -std::log(1.0 - p);
    });
  }
  if (metric == "brier") return mean_of(labels, scores, [](double y, double p) { return (p - y) * (p - y); });
  if (metric == "accuracy" || metric == "precision" || metric == "recall" || metric == "f1") {
    const auto c = confusion(labels, scores);
    if (metric == "accuracy") return (c.tp + c.tn) / rows;
    if (metric == "precision") return ratio_or_zero(c.tp, c.tp + c.fp);
    if (metric == "recall") return ratio_or_zero(c.tp, c.tp + c.fn);
    return ratio_or_zero(2.0 * c.tp, 2.0 * c.tp + c.fp + c.fn);
  }
  if (metric == "rmse") {
    const auto mse = mean_of(labels, scores, [](double y, double p) { return (y - p) * (y - p); });
    return std::sqrt(*mse);
  }
  if (metric == "mae") return mean_of(labels, scores, [](double y, double p) { return std::abs(y - p); });
  if (metric == "mape") {
    return mean_of(labels, scores,
                   [](double y, double p) { return std::abs(y - p) / std::max(std::abs(y), kEpsilon); });
  }
  if (metric == "r2") return r2(labels, scores);
  core::throw_internal(__FILE__, __LINE__, fmt::format("unknown metric '{}'", metric));
}

double linear_quantile(std::vector<double>& values, double q) {
  DRIFTGOV_CHECK(!values.empty(), "quantile of no values");
  std::sort(values.begin(), values.end());
  const double h = static_cast<double>(values.size() - 1) * q;
  const auto low = static_cast<std::size_t>(std::floor(h));
  if (low + 1 >= values.size()) return values.back();
  return values[low] + (h - static_cast<double>(low)) * (values[low + 1] - values[low]);
}

BootstrapInterval paired_bootstrap(const std::string& metric, std::span<const double> labels,
                                   std::span<const double> champion_scores, std::span<const double> challenger_scores,
                                   std::int64_t replicates, std::uint64_t seed, double confidence) {
  DRIFTGOV_CHECK_EQ(labels.size(), champion_scores.size());
  DRIFTGOV_CHECK_EQ(labels.size(), challenger_scores.size());
  BootstrapInterval interval;
  const auto n = static_cast<std::uint64_t>(labels.size());
  if (n == 0 || replicates <= 0) return interval;
  std::mt19937_64 generator(seed);
  // Outputs below 2^64 mod n would make the low indices likelier; they are drawn again.
  const std::uint64_t reject_below = (0 - n) % n;
  std::vector<double> y(n), a(n), b(n), differences;
  differences.reserve(static_cast<std::size_t>(replicates));
  for (std::int64_t r = 0; r < replicates; ++r) {
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint64_t draw = generator();
      while (draw < reject_below) draw = generator();
      const auto index = static_cast<std::size_t>(draw % n);
      y[i] = labels[index];
      a[i] = champion_scores[index];
      b[i] = challenger_scores[index];
    }
    const auto champion = compute_metric(metric, y, a);
    const auto challenger = compute_metric(metric, y, b);
    if (!champion || !challenger) {
      ++interval.undefined_replicates;
      continue;
    }
    differences.push_back(*challenger - *champion);
  }
  interval.replicates = static_cast<std::int64_t>(differences.size());
  if (differences.empty()) return interval;
  interval.low = linear_quantile(differences, (1.0 - confidence) / 2.0);
  interval.high = linear_quantile(differences, (1.0 + confidence) / 2.0);
  return interval;
}

std::optional<DeLongTest> delong_test(std::span<const double> labels, std::span<const double> champion_scores,
                                      std::span<const double> challenger_scores) {
  const auto champion = split_by_label(labels, champion_scores);
  const auto challenger = split_by_label(labels, challenger_scores);
  const auto m = champion.positives.size();
  const auto n = champion.negatives.size();
  if (m < 2 || n < 2) return std::nullopt;
  const auto a = structural_components(champion);
  const auto b = structural_components(challenger);
  // Sample covariance (denominator k - 1) of the two models' components.
  const auto covariance = [](const std::vector<double>& x, const std::vector<double>& z) {
    const auto k = static_cast<double>(x.size());
    const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / k;
    const double mean_z = std::accumulate(z.begin(), z.end(), 0.0) / k;
    double sum = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) sum += (x[i] - mean_x) * (z[i] - mean_z);
    return sum / (k - 1.0);
  };
  const double variance =
      (covariance(a.v10, a.v10) + covariance(b.v10, b.v10) - 2.0 * covariance(a.v10, b.v10)) / static_cast<double>(m) +
      (covariance(a.v01, a.v01) + covariance(b.v01, b.v01) - 2.0 * covariance(a.v01, b.v01)) / static_cast<double>(n);
  if (!(variance > 0.0)) return std::nullopt;
  DeLongTest test;
  test.auc_champion = a.auc;
  test.auc_challenger = b.auc;
  test.difference = b.auc - a.auc;
  test.variance = variance;
  test.z = test.difference / std::sqrt(variance);
  const boost::math::normal_distribution<double> normal;
  test.p_value = std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(normal, std::abs(test.z))));
  return test;
}

}  // namespace driftgov::gov
