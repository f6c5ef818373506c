#pragma once
// Two-sample Kolmogorov-Smirnov test, computed as scipy.stats.ks_2samp(a, b) computes it with the default
// two-sided alternative and method='auto' (docs/statistics.md, "Kolmogorov-Smirnov"):
//  * exact p-value (Hodges 1958 lattice-path counting) when max(n1, n2) <= 10000, with the statistic rounded to
//    the lattice of multiples of 1 / lcm(n1, n2);
//  * otherwise the one-sample two-sided distribution kstwo.sf(D, round(n1 * n2 / (n1 + n2))) (Simard & L'Ecuyer
//    2011: Durbin matrix, Pomeranz recursion, Pelz-Good expansion or twice the one-sided Smirnov tail).
// Accuracy: p-values agree with scipy to a relative error of 1e-9 or better down to 1e-300 (measured figures in
// docs/statistics.md). Every function here is pure and thread safe.

#include <cstdint>
#include <span>
#include <string>

#include "driftgov/stats/empirical_cdf.hpp"

namespace driftgov::stats {

struct KsResult {
  double statistic = 0.0;
  double pvalue = 1.0;
  std::string method;  // "exact" | "asymp"
};

// Two-sided two-sample KS on samples sorted ascending, without NaN, neither empty.
// D = max |F_a(x) - F_b(x)| over every sample value x, with F(x) = #{values <= x} / n (so ties between and within
// the samples are handled as scipy's searchsorted(side='right')). In the exact method the reported statistic is
// D rounded to the nearest multiple of 1 / lcm(n1, n2), as scipy reports it.
KsResult ks_two_sample(std::span<const double> sorted_a, std::span<const double> sorted_b);
// The same test from the CDF gaps of samples of n1 and n2 values, for a caller that needs the gaps for more.
KsResult ks_two_sample(std::int64_t n1, std::int64_t n2, const CdfGaps& gaps);

// P-value of statistic d for sample sizes n1, n2 >= 1 under scipy's 'auto' rule; d is clamped to [0, 1] (a
// statistic from sketch CDFs may overshoot by rounding) and must not be NaN. Writes "exact" or "asymp" to *method
// when method is not null.
double ks_two_sample_pvalue(std::int64_t n1, std::int64_t n2, double d, std::string* method);
// The same p-value from the asymptotic distribution alone (scipy's method='asymp'): O(1) where the exact method
// costs O(n1 * n2).
double ks_two_sample_asymptotic_pvalue(std::int64_t n1, std::int64_t n2, double d);

// Bound on |D_sketch - D_exact| when D is computed from two quantile sketches whose normalized rank errors are
// ea and eb: each empirical CDF is off by at most its rank error everywhere, so the maximum gap moves by at most
// ea + eb.
double ks_sketch_statistic_bound(double ea, double eb);

}  // namespace driftgov::stats
