#pragma once
// Drift formulas, one function each. docs/statistics.md states every formula, default and source; the tests
// check each against scipy or numpy. Proportion vectors must have equal length.

#include <cstdint>
#include <span>

namespace driftgov::stats {

// PSI = sum_i (c_i - r_i) * ln(c_i / r_i), with proportions below `floor` raised to `floor` (no renormalising).
double population_stability_index(std::span<const double> reference, std::span<const double> current,
                                  double floor);
// KL(current || reference) = sum_i c_i * ln(c_i / r_i), natural log, same flooring as PSI.
double kl_divergence(std::span<const double> reference, std::span<const double> current, double floor);
// Jensen-Shannon distance, base 2 (in [0, 1]): sqrt((KL(r||m) + KL(c||m)) / 2) / sqrt(ln 2), m = (r + c) / 2,
// after normalising each vector to sum 1 (as scipy.spatial.distance.jensenshannon).
double js_distance(std::span<const double> reference, std::span<const double> current);
// Hellinger distance sqrt(1/2 * sum_i (sqrt(r_i) - sqrt(c_i))^2), in [0, 1].
double hellinger_distance(std::span<const double> reference, std::span<const double> current);
// Total variation distance 1/2 * sum_i |r_i - c_i|.
double tv_distance(std::span<const double> reference, std::span<const double> current);
// L-infinity distance max_i |r_i - c_i|.
double l_infinity_distance(std::span<const double> reference, std::span<const double> current);

struct ChiSquaredResult {
  double statistic = 0.0;
  double pvalue = 1.0;
  std::int64_t dof = 0;
};
// Pearson chi-square test of homogeneity on the 2 x k table (reference counts, current counts), without
// continuity correction, as scipy.stats.chi2_contingency(correction=False). Categories with zero count on
// both sides are dropped; with one category left the statistic is 0 and the p-value 1.
ChiSquaredResult chi_squared_homogeneity(std::span<const std::int64_t> reference,
                                         std::span<const std::int64_t> current);

// First Wasserstein distance between two samples (sorted ascending, no NaN), as scipy.stats.wasserstein_distance:
// the integral of |F_a(x) - F_b(x)| over x.
double wasserstein_distance(std::span<const double> sorted_a, std::span<const double> sorted_b);

}  // namespace driftgov::stats
