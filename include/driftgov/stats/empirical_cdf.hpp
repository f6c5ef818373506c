#pragma once
// The empirical CDFs of two samples compared at every distinct value of their union, in one pass: what the
// two-sample KS statistic and the first Wasserstein distance are both made of (docs/statistics.md). Pure and
// thread safe.

#include <cstdint>
#include <span>

namespace driftgov::stats {

// With F(x) = #{values <= x} / n for each sample (ties as scipy's searchsorted(side='right')), over the distinct
// values x_1 < ... < x_k of the union:
struct CdfGaps {
  double largest_above = 0.0;  // max(0, max F_a(x_i) - F_b(x_i))
  double largest_below = 0.0;  // max(0, max F_b(x_i) - F_a(x_i))
  double integral = 0.0;       // sum over i < k of |F_a(x_i) - F_b(x_i)| (x_{i+1} - x_i), in that order
};

// Both samples sorted ascending, without NaN, neither empty. Each CDF is rounded on its own (i / n) before the
// difference is taken, as scipy computes it.
CdfGaps empirical_cdf_gaps(std::span<const double> sorted_a, std::span<const double> sorted_b);

// A sorted sample as its distinct values, ascending, each with how many values of the sample are at most it.
struct DistinctValues {
  std::span<const double> values;
  std::span<const std::int64_t> at_most;
};
// The same gaps, bit for bit, from samples given as distinct values (each non-empty, no NaN).
CdfGaps empirical_cdf_gaps(const DistinctValues& a, const DistinctValues& b);

}  // namespace driftgov::stats
